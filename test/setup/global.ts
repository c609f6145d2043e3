/**
 * Before the suite: make sure what the end-to-end tests need is here. Prometheus comes from
 * Debian's package; when it is missing and we run as root, it is installed; otherwise a clear
 * line says how (and the tests that need it fail with the same line).
 */
import { spawnSync } from 'node:child_process';
import { which } from '../../src/sandbox/processes/child.js';
import { PROMETHEUS_MISSING } from '../../src/sandbox/processes/prometheus.js';

export default function setup(): void {
  if (which('prometheus') !== undefined) return;
  if (process.getuid?.() !== 0) {
    console.warn(`test setup: ${PROMETHEUS_MISSING}`);
    return;
  }
  console.log('test setup: prometheus is missing; installing Debian\'s package (apt-get install -y prometheus)...');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update'], { env, stdio: 'ignore' });
  const install = update.status === 0 ? spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], { env, stdio: 'ignore' }) : update;
  if (install.status !== 0 || which('prometheus') === undefined) console.warn(`test setup: installing prometheus failed; ${PROMETHEUS_MISSING}`);
}
