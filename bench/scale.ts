/**
 * Scale: N Rollouts in the emulator (`sluice sandbox up --rps 0`, its own process), each
 * released once and moving through its steps (weight 10, pause, 30, pause, 60, promotion) with
 * background analysis on istio-error-rate answered by a synthetic Prometheus API
 * (prometheus-api.ts); `sluice controller --redis-url` in its own process. Reports memory, CPU
 * per step transition, step lateness, reconcile p99, the controller's API requests per step
 * and PromQL queries per tick. Then, optionally, **restart** (a new controller process on the
 * same fleet: time to ready and caught up, writes issued) and **idle** (every Rollout Healthy:
 * CPU share and API requests per minute).
 */
import type { ChildProcess } from 'node:child_process';
import { freePort } from '../src/sandbox/processes/child.js';
import {
  app,
  controllerProcess,
  createApps,
  healthy,
  histogramPercentile,
  inBatches,
  json,
  lateness,
  newSeen,
  peakActive,
  peakRssMiB,
  ready,
  requestsByVerb,
  rssMiB,
  stopProcess,
  until,
  watchRollouts,
  type Audit,
} from './fleet.js';
import { median, percentile } from './machine.js';
import { syntheticPrometheus } from './prometheus-api.js';
import { cpuTicks, down, up, type RunningSandbox } from './sandbox.js';

export interface ScaleOptions {
  rollouts: number;
  namespaces?: number;
  pauseSeconds?: number;
  /** Releases are spread evenly over this many seconds. */
  spreadSeconds: number;
  intervalSeconds?: number;
  /** Also measure a controller restart and an idle period of this many seconds. */
  restartAndIdleSeconds?: number;
}

export interface ScaleResult {
  rollouts: number;
  namespaces: number;
  pauseSeconds: number;
  spreadSeconds: number;
  intervalSeconds: number;
  prometheus: 'synthetic';
  setupSeconds: { create: number; initialize: number };
  peakActive: number;
  completed: number;
  runSeconds: number;
  transitions: number;
  latenessMs: { p50: number; p99: number; max: number; pauses: number };
  controller: {
    cpuSeconds: number;
    cpuMsPerTransition: number;
    peakRssMiB: number;
    steadyRssMiB: number;
    reconcileP99Seconds: number | undefined;
  };
  sandboxCpuSeconds: number;
  /** The controller's requests during the runs, by verb and resource, per step transition. */
  requestsPerTransition: Record<string, number>;
  writesPerTransition: number;
  promql: { ticks: number; queriesPerTickMedian: number; queriesPerTickMax: number; total: number };
  restart?: {
    readySeconds: number;
    caughtUpSeconds: number;
    writes: Record<string, number>;
    reads: Record<string, number>;
  };
  idle?: {
    seconds: number;
    cpuPercentOfOneCore: number;
    requestsPerMinute: number;
    requests: Record<string, number>;
    rssMiB: number;
  };
}

const WRITES = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;

async function auditSince(api: string, after: number): Promise<Audit[]> {
  return (await json<{ items: Audit[] }>(`${api}/sandbox/v1/audit?after=${after}`)).items;
}

async function auditLast(api: string): Promise<number> {
  return (await json<{ last: number }>(`${api}/sandbox/v1/audit?after=999999999`)).last;
}

/** Releases every app (a new image), spread over `spreadSeconds`. */
async function release(api: string, n: number, namespaces: number, spreadSeconds: number, t0: number): Promise<void> {
  await inBatches(n, 32, async (i) => {
    const { ns, name } = app(i, namespaces);
    const at = t0 + (i * spreadSeconds * 1000) / n;
    if (at > Date.now()) await new Promise((r) => setTimeout(r, at - Date.now()));
    await json(`${api}/apis/apps/v1/namespaces/${ns}/deployments/${name}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'app', image: 'podinfo:2' }] } } } }),
    });
  });
}

/** A new controller on the same fleet: until ready, then until 10 s pass without a write. */
async function restart(
  sb: RunningSandbox,
  old: ChildProcess,
  port: number,
  prometheusUrl: string,
): Promise<{ proc: ChildProcess; result: NonNullable<ScaleResult['restart']> }> {
  const api = sb.info.apiServer;
  await stopProcess(old);
  const from = await auditLast(api);
  const t0 = Date.now();
  const proc = controllerProcess(sb, port, prometheusUrl);
  await ready(port, t0 + 600_000);
  const readySeconds = (Date.now() - t0) / 1000;
  let lastWrite = Date.now();
  let seen = from;
  await until('the restarted controller to settle', Date.now() + 300_000, async () => {
    const audit = await auditSince(api, seen);
    seen = audit.at(-1)?.seq ?? seen;
    if (audit.some((e) => e.userAgent?.startsWith('sluice-controller') === true && WRITES.has(e.verb)))
      lastWrite = Date.now();
    const depth = /^sluice_queue_depth (\S+)$/m.exec(
      await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(),
    )?.[1];
    return Date.now() - lastWrite > 10_000 && Number(depth) === 0;
  }).catch((e: unknown) => console.error(`  restart: ${(e as Error).message}`));
  const caughtUpSeconds = (Math.max(lastWrite, t0 + readySeconds * 1000) - t0) / 1000;
  const audit = await auditSince(api, from);
  return {
    proc,
    result: {
      readySeconds: round(readySeconds),
      caughtUpSeconds: round(caughtUpSeconds),
      writes: requestsByVerb(audit, (e) => WRITES.has(e.verb)),
      reads: requestsByVerb(audit, (e) => !WRITES.has(e.verb)),
    },
  };
}

/** Every Rollout Healthy, nothing changing, for `seconds`: the controller's CPU and requests. */
async function idle(sb: RunningSandbox, pid: number, seconds: number): Promise<NonNullable<ScaleResult['idle']>> {
  const api = sb.info.apiServer;
  const from = await auditLast(api);
  const cpu0 = cpuTicks(pid);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const wall = (Date.now() - t0) / 1000;
  const cpu = (cpuTicks(pid) - cpu0) / 100;
  const requests = requestsByVerb(await auditSince(api, from));
  const count = Object.values(requests).reduce((a, b) => a + b, 0);
  return {
    seconds,
    cpuPercentOfOneCore: round((cpu / wall) * 100, 1),
    requestsPerMinute: round((count * 60) / wall, 1),
    requests,
    rssMiB: rssMiB(pid),
  };
}

export async function benchScale(opts: ScaleOptions): Promise<ScaleResult> {
  const n = opts.rollouts;
  const namespaces = opts.namespaces ?? 20;
  const pauseSeconds = opts.pauseSeconds ?? 30;
  const intervalSeconds = opts.intervalSeconds ?? 10;
  const workloads = new Map<string, string[]>();
  for (let i = 0; i < n; i++) {
    const { ns, name } = app(i, namespaces);
    workloads.set(ns, [...(workloads.get(ns) ?? []), name, `${name}-primary`]);
  }
  const prometheus = await syntheticPrometheus((ns) => workloads.get(ns) ?? []);
  const sb = await up(0);
  const api = sb.info.apiServer;
  const port = await freePort();
  let controller: ChildProcess | undefined;
  const seen = newSeen();
  const watch = watchRollouts(api, seen);
  try {
    const tCreate = Date.now();
    await createApps(api, n, namespaces, pauseSeconds, intervalSeconds);
    const tInit = Date.now();
    controller = controllerProcess(sb, port, prometheus.url);
    await until('every Rollout to be Healthy', Date.now() + 3_600_000, () => Promise.resolve(healthy(seen) === n));
    const setupSeconds = {
      create: round((tInit - tCreate) / 1000, 1),
      initialize: round((Date.now() - tInit) / 1000, 1),
    };
    const pid = controller.pid ?? 0;
    seen.starts.clear();
    seen.runs.clear();
    const auditFrom = await auditLast(api);
    const ticksBefore = prometheus.queriesPerTick().length;
    const totalBefore = prometheus.total();
    const cpu0 = cpuTicks(pid);
    const sandboxCpu0 = cpuTicks(sb.proc.pid ?? 0);
    const t0 = Date.now();
    await release(api, n, namespaces, opts.spreadSeconds, t0);
    let completed = 0;
    await until('every run to complete', t0 + (opts.spreadSeconds + pauseSeconds * 2 + 900) * 1000, () => {
      completed = [...seen.phases].filter(([k, phase]) => phase === 'Healthy' && seen.starts.has(`${k}#3`)).length;
      return Promise.resolve(completed === n);
    }).catch((e: unknown) => console.error(`  scale: ${(e as Error).message} (${completed}/${n} completed)`));
    const runSeconds = round((Date.now() - t0) / 1000, 0);
    watch.abort();
    const cpuSeconds = (cpuTicks(pid) - cpu0) / 100;
    const audit = await auditSince(api, auditFrom);
    const late = lateness(audit, seen.starts, n, namespaces, pauseSeconds * 1000);
    const transitions = audit.filter(
      (e) =>
        e.userAgent?.startsWith('sluice-controller') === true &&
        e.resource === 'virtualservices' &&
        e.verb === 'patch' &&
        e.code < 300,
    ).length;
    const requests = requestsByVerb(audit);
    const perTransition = Object.fromEntries(
      Object.entries(requests).map(([k, v]) => [k, round(v / Math.max(1, transitions))]),
    );
    const writes = Object.entries(requests)
      .filter(([k]) => WRITES.has(k.split(' ')[0] ?? ''))
      .reduce((a, [, v]) => a + v, 0);
    const ticks = prometheus.queriesPerTick().slice(ticksBefore);
    const result: ScaleResult = {
      rollouts: n,
      namespaces,
      pauseSeconds,
      spreadSeconds: opts.spreadSeconds,
      intervalSeconds,
      prometheus: 'synthetic',
      setupSeconds,
      peakActive: peakActive(seen),
      completed,
      runSeconds,
      transitions,
      latenessMs: { p50: median(late), p99: percentile(late, 99), max: Math.max(0, ...late), pauses: late.length },
      controller: {
        cpuSeconds,
        cpuMsPerTransition: round((cpuSeconds * 1000) / Math.max(1, transitions), 1),
        peakRssMiB: peakRssMiB(pid),
        steadyRssMiB: rssMiB(pid),
        reconcileP99Seconds: await histogramPercentile(
          `http://127.0.0.1:${port}/metrics`,
          'sluice_reconcile_duration_seconds',
          99,
        ),
      },
      sandboxCpuSeconds: (cpuTicks(sb.proc.pid ?? 0) - sandboxCpu0) / 100,
      requestsPerTransition: perTransition,
      writesPerTransition: round(writes / Math.max(1, transitions)),
      promql: {
        ticks: ticks.length,
        queriesPerTickMedian: median(ticks),
        queriesPerTickMax: Math.max(0, ...ticks),
        total: prometheus.total() - totalBefore,
      },
    };
    // idle and restart mean something only once every run is over
    if (opts.restartAndIdleSeconds !== undefined && completed === n) {
      result.idle = await idle(sb, pid, opts.restartAndIdleSeconds);
      const restarted = await restart(sb, controller, port, prometheus.url);
      controller = restarted.proc;
      result.restart = restarted.result;
    }
    return result;
  } finally {
    watch.abort();
    await stopProcess(controller);
    await down(sb);
    await prometheus.close();
  }
}
