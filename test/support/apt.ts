/** Debian packages a test needs, installed when missing and running as root (as the suite does for Prometheus). */
import { spawnSync } from 'node:child_process';
import { which } from '../../src/sandbox/processes/child.js';

/** Installs `packages` with apt-get (updating the index once if the first try fails); true when it worked. */
export function aptInstall(packages: readonly string[]): boolean {
  if (process.getuid?.() !== 0 || which('apt-get') === undefined) return false;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = (): number | null =>
    spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], { env, stdio: 'ignore' }).status;
  if (install() === 0) return true;
  spawnSync('apt-get', ['update'], { env, stdio: 'ignore' });
  return install() === 0;
}
