/**
 * Renders charts/sluice as `helm template` would, with test/support/helm-render (Go's
 * text/template and Sprig, Helm's template engine; see its header) — there is no helm binary
 * here. Go and Sprig come from Debian's packages.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { which } from '../../src/sandbox/processes/child.js';
import { aptInstall } from './apt.js';

const SOURCE = join(import.meta.dirname, 'helm-render', 'main.go');
const PACKAGES = ['golang-go', 'golang-github-masterminds-sprig-dev', 'golang-github-ghodss-yaml-dev'];
const GOPATH = '/usr/share/gocode';
export const HELM_ENGINE_MISSING = `rendering the chart needs Go with Sprig (Debian: apt-get install -y ${PACKAGES.join(' ')})`;

function present(): boolean {
  return (
    which('go') !== undefined &&
    existsSync(join(GOPATH, 'src/github.com/Masterminds/sprig')) &&
    existsSync(join(GOPATH, 'src/github.com/ghodss/yaml'))
  );
}

/** Installs Go and Sprig from Debian when missing and running as root; a problem line otherwise. */
export function ensureHelmEngine(say: (line: string) => void): string | undefined {
  if (present()) return undefined;
  if (process.getuid?.() !== 0) return HELM_ENGINE_MISSING;
  say(`Go and Sprig are missing (to render the Helm chart); installing Debian's ${PACKAGES.join(', ')}...`);
  return aptInstall(PACKAGES) && present() ? undefined : `installing failed; ${HELM_ENGINE_MISSING}`;
}

/** The renderer, built once per version of its source. */
function binary(): string {
  if (!present()) throw new Error(HELM_ENGINE_MISSING);
  const source = readFileSync(SOURCE);
  const dir = join(tmpdir(), `sluice-helm-render-${createHash('sha256').update(source).digest('hex').slice(0, 12)}`);
  const bin = join(dir, 'helm-render');
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const built = spawnSync('go', ['build', '-o', `${bin}.tmp`, SOURCE], {
    env: { ...process.env, GO111MODULE: 'off', GOPATH, GOCACHE: join(dir, 'cache'), GOFLAGS: '' },
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`building helm-render failed: ${built.stderr}`);
  spawnSync('mv', [`${bin}.tmp`, bin]);
  return bin;
}

/** `helm template` of a chart: the manifests, or the renderer's error. */
export function helmTemplate(
  chart: string,
  opts: { valueFiles?: string[]; includeCrds?: boolean; release?: string; namespace?: string } = {},
): { ok: true; manifests: string } | { ok: false; error: string } {
  const args = [
    ...(opts.includeCrds === true ? ['--include-crds'] : []),
    ...(opts.release === undefined ? [] : ['--release', opts.release]),
    ...(opts.namespace === undefined ? [] : ['--namespace', opts.namespace]),
    ...(opts.valueFiles ?? []).flatMap((f) => ['-f', f]),
    chart,
  ];
  const r = spawnSync(binary(), args, { encoding: 'utf8' });
  return r.status === 0 ? { ok: true, manifests: r.stdout } : { ok: false, error: r.stderr.trim() };
}
