/**
 * The Dockerfile, checked without Docker: its stages are what they claim (a build stage, a
 * production-only install from the lockfile, a non-root runtime whose entrypoint is
 * `sluice controller`), and its steps, run here — compile, `npm ci --omit=dev`, the runtime
 * files only — give a controller that starts, becomes ready and serves /metrics.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ISTIO_CRDS } from '../../src/sandbox/mesh/istio-crds.js';
import { freePort } from '../../src/sandbox/processes/child.js';
import { eventually, root, startSandbox, type Sandbox } from '../sandbox/helpers.js';

const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
const stages = dockerfile
  .split(/^FROM /m)
  .slice(1)
  .map((s) => `FROM ${s}`);
const runtime = stages.at(-1) ?? '';
const app = mkdtempSync(join(tmpdir(), 'sluice-image-'));
let sb: Sandbox;
let controller: ChildProcess | undefined;

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

describe('Dockerfile', () => {
  it('builds in stages and runs as non-root, `sluice controller` as entrypoint', () => {
    expect(stages.map((s) => /^FROM \S+(?: AS (\w+))?/.exec(s)?.[1] ?? 'runtime')).toEqual([
      'build',
      'deps',
      'runtime',
    ]);
    expect(stages[1]).toMatch(/npm ci --omit=dev/);
    expect(runtime).toMatch(/^USER 65532:65532$/m);
    expect(JSON.parse(/^ENTRYPOINT (.*)$/m.exec(runtime)?.[1] ?? '[]')).toEqual([
      '/nodejs/bin/node',
      '/app/bin/sluice.js',
      'controller',
    ]);
    // only the runtime's files: production node_modules, compiled code, package.json, the bin script
    expect([...runtime.matchAll(/^COPY (?:--from=(\w+) )?(\S+)/gm)].map((m) => `${m[1] ?? 'context'}:${m[2]}`)).toEqual(
      ['deps:/app/node_modules', 'build:/src/dist', 'context:package.json', 'context:bin'],
    );
  });
});

describe("the image's steps, run here", () => {
  beforeAll(async () => {
    // stage build: compile; stage deps: production dependencies from the lockfile
    run(
      process.execPath,
      [
        join(root, 'node_modules/typescript/bin/tsc'),
        '-p',
        join(root, 'tsconfig.build.json'),
        '--outDir',
        join(app, 'dist'),
      ],
      root,
    );
    for (const f of ['package.json', 'package-lock.json', 'bin'])
      cpSync(join(root, f), join(app, f), { recursive: true });
    run('npm', ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], app);
    sb = await startSandbox();
    await sb.k('apply', '-f', 'crds/');
  }, 180_000);
  afterAll(async () => {
    controller?.kill('SIGKILL');
    await sb.close();
  });

  it('installs no development-only package (the lockfile marks them dev)', () => {
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { dev?: boolean }>;
    };
    const devOnly = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.dev === true)
      .map(([path]) => path);
    expect(devOnly.length).toBeGreaterThan(50);
    expect(devOnly.filter((path) => existsSync(join(app, path)))).toEqual([]);
    expect(existsSync(join(app, 'node_modules/vitest'))).toBe(false);
  });

  it('starts the controller on production dependencies only: not ready without Istio, then ready, with /metrics', async () => {
    const port = await freePort();
    let log = '';
    controller = spawn(
      process.execPath,
      [join(app, 'bin/sluice.js'), 'controller', '--kubeconfig', sb.kubeconfig, '--listen', `127.0.0.1:${port}`],
      { cwd: app, env: { PATH: process.env['PATH'], NODE_ENV: 'production' } },
    );
    controller.stdout?.on('data', (d: Buffer) => (log += d.toString()));
    controller.stderr?.on('data', (d: Buffer) => (log += d.toString()));
    const ready = async (): Promise<number | undefined> =>
      (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status;
    // No Istio in the cluster yet: the controller says so and is not ready.
    await eventually(
      'the missing Istio CRDs named',
      () => log.includes('does not serve VirtualService (networking.istio.io/v1): install Istio'),
      30_000,
    );
    expect(await ready()).not.toBe(200);
    const crds = sb.server.api.registry.resource('apiextensions.k8s.io', 'customresourcedefinitions');
    for (const crd of ISTIO_CRDS) sb.server.api.create(crds, undefined, structuredClone(crd));
    await eventually('ready', async () => (await ready()) === 200, 30_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; controller output:\n${log}`);
    });
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toMatch(
      /sluice_rollouts\{phase="Healthy"\} 0/,
    );
  }, 90_000);
});
