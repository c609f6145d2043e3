/** Child processes the sandbox starts and must stop: tracked by pid, stopped with SIGTERM then SIGKILL. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, connect } from 'node:net';

const children = new Set<ChildProcess>();
let exitHook = false;

/** The path of an executable on PATH (or an absolute path that exists), else undefined. */
export function which(binary: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path !== '' ? path : undefined;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface Child {
  proc: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a child whose output is kept (bounded) for error messages, and stopped with the sandbox. */
export function startChild(binary: string, args: string[], opts: { cwd?: string } = {}): Child {
  const proc = spawn(binary, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
  });
  let out = '';
  const keep = (d: Buffer): void => {
    out = (out + d.toString()).slice(-20_000);
  };
  proc.stdout.on('data', keep);
  proc.stderr.on('data', keep);
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  if (!exitHook) {
    exitHook = true;
    // If the sandbox process dies without stopping cleanly, its children go with it.
    process.once('exit', () => {
      for (const c of children) c.kill('SIGKILL');
    });
  }
  return {
    proc,
    output: () => out,
    stop: () => stopChild(proc),
  };
}

export function stopChild(proc: ChildProcess, graceMs = 5000): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
    proc.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill('SIGTERM');
  });
}

/** Waits until `check` resolves true, or fails naming `what` (with the child's output). */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  child?: Child,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child !== undefined && child.proc.exitCode !== null)
      throw new Error(
        `${what}: the process exited (${child.proc.exitCode}): ${child.output().trim().split('\n').slice(-5).join(' | ')}`,
      );
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline)
      throw new Error(
        `${what}: not ready after ${timeoutMs} ms${child === undefined ? '' : `: ${child.output().trim().split('\n').slice(-5).join(' | ')}`}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Sends a Redis PING over plain TCP; true on +PONG. */
export function redisPing(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    socket.setTimeout(1000);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
