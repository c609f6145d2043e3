/** Shared helpers for the sandbox tests: a running emulator, kubectl against it, deadlines. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  kubeconfigFor,
  startApiServer,
  type ApiServer,
  type ApiServerOptions,
} from '../../src/sandbox/apiserver/index.js';

const exec = promisify(execFile);
export const root = new URL('../../', import.meta.url).pathname;

export interface Sandbox {
  server: ApiServer;
  kubeconfig: string;
  kubectl(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** kubectl that must succeed; returns stdout. */
  k(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

export async function startSandbox(opts: ApiServerOptions = {}): Promise<Sandbox> {
  const server = await startApiServer(opts);
  const dir = mkdtempSync(join(tmpdir(), 'sluice-apiserver-'));
  const kubeconfig = join(dir, 'kubeconfig');
  writeFileSync(kubeconfig, kubeconfigFor(server.url));
  const env = { ...process.env, KUBECONFIG: kubeconfig, HOME: dir };
  const kubectl = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
    try {
      const { stdout, stderr } = await exec('kubectl', args, { env, cwd: root, timeout: 30_000 });
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code?: number | string; stdout?: string; stderr?: string };
      if (err.code === 'ENOENT')
        throw new Error(
          'kubectl is not installed: these tests drive the emulator with the real kubectl (1.32); install it to run them',
        );
      return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    }
  };
  const k = async (...args: string[]): Promise<string> => {
    const r = await kubectl(...args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r.stdout;
  };
  return { server, kubeconfig, kubectl, k, close: () => server.close() };
}

/** A long-running kubectl (e.g. `get -w`) whose output is collected. */
export function spawnKubectl(kubeconfig: string, args: string[]): { proc: ChildProcess; output: () => string } {
  let out = '';
  const proc = spawn('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig }, cwd: root });
  proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, output: () => out };
}

/** Waits until `check` holds, polling; fails with `what` after the deadline. */
export async function eventually<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what}${last === undefined ? '' : `: ${last instanceof Error ? last.message : JSON.stringify(last)}`}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}
