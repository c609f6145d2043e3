/**
 * Step lateness: N Rollouts run at once, each through pause steps; for every pause, how long
 * after its due time (the pause's stepStartedAt + duration) the next weight reached the API
 * server (the emulator's audit log time of the VirtualService write). The sandbox and the
 * controller (`sluice controller --redis-url`, BullMQ on the sandbox's own Redis) run in their
 * own processes, so the controller's CPU and memory are measured apart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { percentile, median } from './machine.js';
import { cpuTicks, down, nodeArgs, post, up, type RunningSandbox } from './sandbox.js';

const root = new URL('..', import.meta.url).pathname;

export interface StepsBenchOptions {
  rollouts?: number;
  namespaces?: number;
  pauseSeconds?: number;
  /** Releases are spread evenly over this many seconds (0: all at once, the worst case). */
  spreadSeconds?: number;
  deadlineSeconds?: number;
}

export interface StepsBenchResult {
  rollouts: number;
  namespaces: number;
  pauseSeconds: number;
  spreadSeconds: number;
  /** The most runs in progress at one time. */
  peakActive: number;
  completed: number;
  pausesMeasured: number;
  latenessMs: { p50: number; p99: number; max: number };
  runSeconds: number;
  controller: { cpuSeconds: number; peakRssMiB: number };
  sandboxCpuSeconds: number;
  /** The controller's writes during the runs, by verb, resource and subresource. */
  writes: Record<string, number>;
}

interface Audit {
  seq: number;
  time: string;
  verb: string;
  resource?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  code: number;
  userAgent?: string;
}

async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

function app(i: number, namespaces: number): { ns: string; name: string } {
  return { ns: `bench${i % namespaces}`, name: `app${i}` };
}

/** CRDs, namespaces, and per rollout a Deployment, a Service and a Rollout with two pauses. */
async function createApps(api: string, n: number, namespaces: number, pauseSeconds: number): Promise<void> {
  for (const f of ['rollouts.sluice.dev.yaml', 'analysistemplates.sluice.dev.yaml']) await post(api, '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', parse(readFileSync(join(root, 'crds', f), 'utf8')));
  for (let i = 0; i < namespaces; i++) await post(api, '/api/v1/namespaces', { metadata: { name: `bench${i}` } });
  const pause = { pause: { duration: `${pauseSeconds}s` } };
  const one = async (i: number): Promise<void> => {
    const { ns, name } = app(i, namespaces);
    const labels = { app: name };
    await post(api, `/apis/apps/v1/namespaces/${ns}/deployments`, { metadata: { name, labels }, spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'podinfo:1' }] } } } });
    await post(api, `/api/v1/namespaces/${ns}/services`, { metadata: { name }, spec: { selector: labels, ports: [{ name: 'http', port: 9898 }] } });
    await post(api, `/apis/sluice.dev/v1alpha1/namespaces/${ns}/rollouts`, { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', metadata: { name }, spec: { targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name }, service: { name, port: 9898 }, progressDeadlineSeconds: 3600, strategy: { canary: { steps: [{ setWeight: 10 }, pause, { setWeight: 30 }, pause, { setWeight: 60 }] } } } });
  };
  await inBatches(n, 32, one);
}

async function inBatches(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < n; i += width) await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, k) => fn(i + k)));
}

interface RolloutItem {
  metadata: { namespace: string; name: string };
  status?: { phase?: string; currentStepIndex?: number; stepStartedAt?: string; stableRevision?: string; canaryRevision?: string };
}

async function rollouts(api: string): Promise<RolloutItem[]> {
  return (await json<{ items: RolloutItem[] }>(`${api}/apis/sluice.dev/v1alpha1/rollouts`)).items;
}

async function until(what: string, deadline: number, check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

interface Seen {
  /** When each (rollout, step index) started. */
  starts: Map<string, number>;
  /** Per rollout, when its run was first seen in progress and when it was first seen done after that. */
  runs: Map<string, { from: number; to?: number }>;
}

const RUNNING = new Set(['Progressing', 'Paused', 'Promoting']);

function see(seen: Seen, r: RolloutItem): void {
  const k = `${r.metadata.namespace}/${r.metadata.name}`;
  const s = r.status;
  const run = seen.runs.get(k);
  if (run === undefined && RUNNING.has(s?.phase ?? '')) seen.runs.set(k, { from: Date.now() });
  if (run !== undefined && run.to === undefined && s?.phase === 'Healthy') run.to = Date.now();
  if (s?.stepStartedAt === undefined || s.currentStepIndex === undefined) return;
  const step = `${k}#${s.currentStepIndex}`;
  if (!seen.starts.has(step)) seen.starts.set(step, Date.parse(s.stepStartedAt));
}

/** The most runs in progress at one time. */
function peakActive(seen: Seen): number {
  const edges = [...seen.runs.values()].flatMap((r) => [[r.from, 1], [r.to ?? Infinity, -1]] as [number, number][]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let active = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (active += d));
  return peak;
}

/** Follows the Rollouts with a watch, as a client of the API would. */
function watchRollouts(api: string, from: string, seen: Seen): AbortController {
  const abort = new AbortController();
  void (async () => {
    const res = await fetch(`${api}/apis/sluice.dev/v1alpha1/rollouts?watch=true&resourceVersion=${from}`, { signal: abort.signal });
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffer.slice(0, nl)) as { object: RolloutItem };
        buffer = buffer.slice(nl + 1);
        see(seen, event.object);
      }
    }
  })().catch(() => undefined);
  return abort;
}

function controllerProcess(sb: RunningSandbox): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, join(root, 'bin/sluice.js'), 'controller', '--kubeconfig', sb.info.kubeconfig, '--redis-url', sb.info.redis, '--listen', '127.0.0.1:0', '--concurrency', '20'], { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' } });
}

function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

/** Lateness of every pause: the first VirtualService write after it was due, minus its due time. */
function lateness(audit: Audit[], starts: Map<string, number>, n: number, namespaces: number, pauseMs: number): number[] {
  const writes = new Map<string, number[]>();
  for (const e of audit) {
    if (e.resource !== 'virtualservices' || (e.verb !== 'patch' && e.verb !== 'update') || e.code >= 300) continue;
    const key = `${e.namespace}/${e.name}`;
    writes.set(key, [...(writes.get(key) ?? []), Date.parse(e.time)]);
  }
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const { ns, name } = app(i, namespaces);
    for (const pauseIndex of [1, 3]) {
      const started = starts.get(`${ns}/${name}#${pauseIndex}`);
      if (started === undefined) continue;
      const due = started + pauseMs;
      const written = writes.get(`${ns}/${name}`)?.find((t) => t >= due - 5);
      if (written !== undefined) out.push(Math.max(0, written - due));
    }
  }
  return out;
}

export async function benchSteps(opts: StepsBenchOptions = {}): Promise<StepsBenchResult> {
  const n = opts.rollouts ?? 1000;
  const namespaces = opts.namespaces ?? 20;
  const pauseSeconds = opts.pauseSeconds ?? 60;
  const spreadSeconds = opts.spreadSeconds ?? 60;
  const sb = await up(0);
  const api = sb.info.apiServer;
  let controller: ChildProcess | undefined;
  try {
    await createApps(api, n, namespaces, pauseSeconds);
    controller = controllerProcess(sb);
    const pid = controller.pid ?? 0;
    await until('every Rollout to be Healthy', Date.now() + 300_000, async () => (await rollouts(api)).filter((r) => r.status?.phase === 'Healthy').length === n);
    const list = await json<{ metadata: { resourceVersion: string } }>(`${api}/apis/sluice.dev/v1alpha1/rollouts?limit=1`);
    const seen: Seen = { starts: new Map(), runs: new Map() };
    const watch = watchRollouts(api, list.metadata.resourceVersion, seen);
    const auditFrom = (await json<{ last: number }>(`${api}/sandbox/v1/audit?after=999999999`)).last;
    const cpu0 = cpuTicks(pid);
    const sandboxCpu0 = cpuTicks(sb.proc.pid ?? 0);
    const t0 = Date.now();
    await inBatches(n, 32, async (i) => {
      const { ns, name } = app(i, namespaces);
      const at = t0 + (i * spreadSeconds * 1000) / n;
      if (at > Date.now()) await new Promise((r) => setTimeout(r, at - Date.now()));
      await json(`${api}/apis/apps/v1/namespaces/${ns}/deployments/${name}`, { method: 'PATCH', headers: { 'Content-Type': 'application/merge-patch+json' }, body: JSON.stringify({ spec: { template: { spec: { containers: [{ name: 'app', image: 'podinfo:2' }] } } } }) });
    });
    const deadline = t0 + (opts.deadlineSeconds ?? 600) * 1000;
    let completed = 0;
    await until('every run to complete', deadline, async () => {
      completed = (await rollouts(api)).filter((r) => r.status?.phase === 'Healthy' && seen.starts.has(`${r.metadata.namespace}/${r.metadata.name}#3`)).length;
      return completed === n;
    }).catch((e: unknown) => console.error(`  steps: ${(e as Error).message} (${completed}/${n} completed)`));
    const runSeconds = (Date.now() - t0) / 1000;
    watch.abort();
    const audit = (await json<{ items: Audit[] }>(`${api}/sandbox/v1/audit?after=${auditFrom}`)).items;
    const late = lateness(audit, seen.starts, n, namespaces, pauseSeconds * 1000);
    const writes: Record<string, number> = {};
    for (const e of audit) {
      if (e.userAgent?.startsWith('sluice-controller') !== true || ['get', 'list', 'watch'].includes(e.verb)) continue;
      const what = `${e.verb} ${e.resource ?? '?'}${e.subresource === undefined ? '' : `/${e.subresource}`}`;
      writes[what] = (writes[what] ?? 0) + 1;
    }
    return {
      rollouts: n,
      namespaces,
      pauseSeconds,
      spreadSeconds,
      peakActive: peakActive(seen),
      completed,
      pausesMeasured: late.length,
      latenessMs: { p50: median(late), p99: percentile(late, 99), max: Math.max(0, ...late) },
      runSeconds: Math.round(runSeconds),
      controller: { cpuSeconds: (cpuTicks(pid) - cpu0) / 100, peakRssMiB: peakRssMiB(pid) },
      sandboxCpuSeconds: (cpuTicks(sb.proc.pid ?? 0) - sandboxCpu0) / 100,
      writes,
    };
  } finally {
    if (controller !== undefined && controller.exitCode === null) {
      const c = controller;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGTERM');
      });
    }
    await down(sb);
  }
}
