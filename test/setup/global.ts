/**
 * Before the suite: make sure what the end-to-end tests need is here. Prometheus comes from
 * Debian's package; when it is missing and we run as root, it is installed; otherwise a clear
 * line says how (and the tests that need it fail with the same line). Go's text/template and
 * Sprig (Helm's template engine) come from Debian too, for rendering the chart.
 *
 * Every sandbox of the run writes its API audit log into one fresh folder
 * ($SLUICE_SANDBOX_AUDIT_DIR), which test/deploy/rbac.test.ts — sorted last — reads to check the
 * controller's ClusterRole against what the controller used.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { ensurePrometheus } from '../../src/sandbox/processes/prometheus.js';
import { AUDIT_DIR } from '../support/audit.js';
import { ensureHelmEngine } from '../support/helm.js';

export default function setup(): void {
  for (const ensure of [ensurePrometheus, ensureHelmEngine]) {
    const problem = ensure((line) => console.log(`test setup: ${line}`));
    if (problem !== undefined) console.warn(`test setup: ${problem}`);
  }
  rmSync(AUDIT_DIR, { recursive: true, force: true });
  mkdirSync(AUDIT_DIR, { recursive: true });
  process.env['SLUICE_SANDBOX_AUDIT_DIR'] = AUDIT_DIR;
}
