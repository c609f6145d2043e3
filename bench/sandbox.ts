/**
 * Sandbox benchmark: time from `sluice sandbox up` to the first sample Prometheus scraped from
 * the mesh, and the CPU the sandbox process (emulator + workload and mesh simulators) uses
 * while sending 50 rps to each of 10 services.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { median } from './machine.js';

const root = new URL('..', import.meta.url).pathname;

/** Extra Node flags for the processes a benchmark spawns, e.g. BENCH_NODE_ARGS=--cpu-prof to profile them. */
export const nodeArgs = (process.env['BENCH_NODE_ARGS'] ?? '').split(' ').filter((a) => a !== '');

export interface SandboxBenchResult {
  upToFirstSampleMs: { median: number; samples: number[] };
  cpu: { services: number; rpsPerService: number; seconds: number; percentOfOneCore: number; requestsSent: number };
}

export interface Info {
  apiServer: string;
  prometheus: string;
  mesh: string;
  redis: string;
  kubeconfig: string;
  scrapeInterval: string;
}

export interface RunningSandbox {
  proc: ChildProcess;
  dir: string;
  info: Info;
  startedAt: number;
}

/** `sluice sandbox up` in its own process, once it has written sandbox.json. */
export async function up(rps: number): Promise<RunningSandbox> {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-sandbox-'));
  const startedAt = performance.now();
  const proc = spawn(
    process.execPath,
    [...nodeArgs, join(root, 'bin/sluice.js'), 'sandbox', 'up', '--dir', dir, '--rps', String(rps)],
    { stdio: 'ignore' },
  );
  const file = join(dir, 'sandbox.json');
  const deadline = Date.now() + 60_000;
  while (!existsSync(file)) {
    if (Date.now() > deadline || proc.exitCode !== null)
      throw new Error('sluice sandbox up did not write sandbox.json');
    await new Promise((r) => setTimeout(r, 20));
  }
  return { proc, dir, info: JSON.parse(readFileSync(file, 'utf8')) as Info, startedAt };
}

export async function down(s: { proc: ChildProcess; dir: string }): Promise<void> {
  await new Promise<void>((resolve) => {
    s.proc.once('exit', () => resolve());
    s.proc.kill('SIGTERM');
  });
  rmSync(s.dir, { recursive: true, force: true });
}

async function firstSample(prometheus: string): Promise<void> {
  for (;;) {
    const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent('up{job="sandbox-mesh"}')}`).catch(
      () => undefined,
    );
    const body = (await res?.json().catch(() => undefined)) as { data?: { result?: unknown[] } } | undefined;
    if ((body?.data?.result?.length ?? 0) > 0) return;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (100 per second)
}

export async function post(base: string, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
}

async function deployServices(api: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const ns = `svc${i}`;
    const labels = { app: `app${i}` };
    await post(api, '/api/v1/namespaces', { metadata: { name: ns } });
    await post(api, `/apis/apps/v1/namespaces/${ns}/deployments`, {
      metadata: { name: `app${i}` },
      spec: {
        replicas: 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [{ name: 'app', image: 'podinfo', env: [{ name: 'SANDBOX_ERROR_RATE', value: '0.01' }] }],
          },
        },
      },
    });
    await post(api, `/api/v1/namespaces/${ns}/services`, {
      metadata: { name: `app${i}` },
      spec: { selector: labels, ports: [{ name: 'http', port: 9898 }] },
    });
    await post(api, `/apis/networking.istio.io/v1/namespaces/${ns}/virtualservices`, {
      metadata: { name: `app${i}` },
      spec: { hosts: [`app${i}`], http: [{ route: [{ destination: { host: `app${i}` } }] }] },
    });
  }
}

export async function benchSandbox(opts: { runs?: number; cpuSeconds?: number } = {}): Promise<SandboxBenchResult> {
  const samples: number[] = [];
  for (let i = 0; i < (opts.runs ?? 3); i++) {
    const s = await up(20);
    await firstSample(s.info.prometheus);
    samples.push(Math.round(performance.now() - s.startedAt));
    await down(s);
  }
  const services = 10;
  const rps = 50;
  const seconds = opts.cpuSeconds ?? 20;
  const s = await up(rps);
  try {
    await deployServices(s.info.apiServer, services);
    await new Promise((r) => setTimeout(r, 3000)); // pods ready, traffic flowing
    const pid = s.proc.pid ?? 0;
    const before = cpuTicks(pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const used = (cpuTicks(pid) - before) / 100;
    const wall = (performance.now() - t0) / 1000;
    const metrics = await (await fetch(`${s.info.mesh}/metrics`)).text();
    const sent = [...metrics.matchAll(/^istio_requests_total\{.*reporter="source".*\} (\d+)$/gm)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    return {
      upToFirstSampleMs: { median: median(samples), samples },
      cpu: {
        services,
        rpsPerService: rps,
        seconds,
        percentOfOneCore: Math.round((used / wall) * 1000) / 10,
        requestsSent: sent,
      },
    };
  } finally {
    await down(s);
  }
}
