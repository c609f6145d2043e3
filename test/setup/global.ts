/**
 * Before the suite: make sure what the end-to-end tests need is here. Prometheus comes from
 * Debian's package; when it is missing and we run as root, it is installed; otherwise a clear
 * line says how (and the tests that need it fail with the same line).
 */
import { ensurePrometheus } from '../../src/sandbox/processes/prometheus.js';

export default function setup(): void {
  const problem = ensurePrometheus((line) => console.log(`test setup: ${line}`));
  if (problem !== undefined) console.warn(`test setup: ${problem}`);
}
