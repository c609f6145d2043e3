/**
 * The fleet of the scale benchmark: N apps (Deployment, Service, Rollout) in the emulator, a
 * watch that notes when each step started, the emulator's audit log, and `sluice controller`
 * in its own process (its CPU and memory read from /proc, its /metrics scraped).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { nodeArgs, post, type RunningSandbox } from './sandbox.js';
import { CRD_FILES } from '../src/api/crd.js';

const root = new URL('..', import.meta.url).pathname;

export interface Audit {
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

export async function json<T>(url: string, init?: RequestInit): Promise<T> {
  const res = await fetch(url, init);
  if (!res.ok) throw new Error(`${init?.method ?? 'GET'} ${url}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

export function app(i: number, namespaces: number): { ns: string; name: string } {
  return { ns: `bench${i % namespaces}`, name: `app${i}` };
}

/**
 * CRDs, namespaces (each with the istio-error-rate template, measured every `intervalSeconds`),
 * and per rollout a Deployment, a Service and a Rollout: weight 10, pause, 30, pause, 60, with
 * background analysis on the template for the whole run.
 */
export async function createApps(
  api: string,
  n: number,
  namespaces: number,
  pauseSeconds: number,
  intervalSeconds: number,
): Promise<void> {
  for (const f of CRD_FILES)
    await post(
      api,
      '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      parse(readFileSync(join(root, 'crds', f), 'utf8')),
    );
  const template = parse(readFileSync(join(root, 'analysis-templates/istio-error-rate.yaml'), 'utf8'));
  template.spec.metrics[0].interval = `${intervalSeconds}s`;
  for (let i = 0; i < namespaces; i++) {
    await post(api, '/api/v1/namespaces', { metadata: { name: `bench${i}` } });
    await post(api, `/apis/sluice.dev/v1alpha1/namespaces/bench${i}/analysistemplates`, template);
  }
  const pause = { pause: { duration: `${pauseSeconds}s` } };
  const analysis = { templates: [{ name: 'istio-error-rate' }] };
  const one = async (i: number): Promise<void> => {
    const { ns, name } = app(i, namespaces);
    const labels = { app: name };
    await post(api, `/apis/apps/v1/namespaces/${ns}/deployments`, {
      metadata: { name, labels },
      spec: {
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'podinfo:1' }] } },
      },
    });
    await post(api, `/api/v1/namespaces/${ns}/services`, {
      metadata: { name },
      spec: { selector: labels, ports: [{ name: 'http', port: 9898 }] },
    });
    await post(api, `/apis/sluice.dev/v1alpha1/namespaces/${ns}/rollouts`, {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Rollout',
      metadata: { name },
      spec: {
        targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        service: { name, port: 9898 },
        progressDeadlineSeconds: 3600,
        strategy: {
          canary: { steps: [{ setWeight: 10 }, pause, { setWeight: 30 }, pause, { setWeight: 60 }], analysis },
        },
      },
    });
  };
  await inBatches(n, 32, one);
}

export async function inBatches(n: number, width: number, fn: (i: number) => Promise<void>): Promise<void> {
  for (let i = 0; i < n; i += width)
    await Promise.all(Array.from({ length: Math.min(width, n - i) }, (_, k) => fn(i + k)));
}

export interface RolloutItem {
  metadata: { namespace: string; name: string };
  status?: {
    phase?: string;
    currentStepIndex?: number;
    stepStartedAt?: string;
    stableRevision?: string;
    canaryRevision?: string;
  };
}

export async function until(what: string, deadline: number, check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface Seen {
  /** When each (rollout, step index) started. */
  starts: Map<string, number>;
  /** Per rollout, when its run was first seen in progress and when it was first seen done after that. */
  runs: Map<string, { from: number; to?: number }>;
  /** Per rollout, its phase as last seen. */
  phases: Map<string, string | undefined>;
}

export function newSeen(): Seen {
  return { starts: new Map(), runs: new Map(), phases: new Map() };
}

/** How many Rollouts were last seen Healthy. */
export function healthy(seen: Seen): number {
  let n = 0;
  for (const phase of seen.phases.values()) if (phase === 'Healthy') n++;
  return n;
}

const RUNNING = new Set(['Progressing', 'Paused', 'Promoting']);

function see(seen: Seen, r: RolloutItem): void {
  const k = `${r.metadata.namespace}/${r.metadata.name}`;
  const s = r.status;
  seen.phases.set(k, s?.phase);
  const run = seen.runs.get(k);
  if (run === undefined && RUNNING.has(s?.phase ?? '')) seen.runs.set(k, { from: Date.now() });
  if (run !== undefined && run.to === undefined && s?.phase === 'Healthy') run.to = Date.now();
  if (s?.stepStartedAt === undefined || s.currentStepIndex === undefined) return;
  const step = `${k}#${s.currentStepIndex}`;
  if (!seen.starts.has(step)) seen.starts.set(step, Date.parse(s.stepStartedAt));
}

/** The most runs in progress at one time. */
export function peakActive(seen: Seen): number {
  const edges = [...seen.runs.values()]
    .flatMap(
      (r) =>
        [
          [r.from, 1],
          [r.to ?? Infinity, -1],
        ] as [number, number][],
    )
    .sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let active = 0;
  let peak = 0;
  for (const [, d] of edges) peak = Math.max(peak, (active += d));
  return peak;
}

/**
 * Follows the Rollouts with a watch, as a client of the API would (from the current state: every
 * Rollout first as ADDED). Cheap at any scale, where polling a LIST of 10,000 Rollouts would load
 * the emulator more than the controller does.
 */
export function watchRollouts(api: string, seen: Seen): AbortController {
  const abort = new AbortController();
  let from = '';
  const follow = async (): Promise<void> => {
    const res = await fetch(
      `${api}/apis/sluice.dev/v1alpha1/rollouts?watch=true${from === '' ? '' : `&resourceVersion=${from}`}`,
      { signal: abort.signal },
    );
    if (!res.ok) throw new Error(`watch: ${res.status}`); // e.g. before the CRD exists
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const event = JSON.parse(buffer.slice(0, nl)) as {
          type: string;
          object: RolloutItem & { metadata: { resourceVersion?: string } };
        };
        buffer = buffer.slice(nl + 1);
        from = event.object.metadata.resourceVersion ?? from;
        if (event.type !== 'BOOKMARK') see(seen, event.object);
      }
    }
  };
  void (async () => {
    // a watch the server ends is taken up again where it stopped
    while (!abort.signal.aborted) await follow().catch(() => new Promise((r) => setTimeout(r, 100)));
  })();
  return abort;
}

/** `sluice controller` on the sandbox's Redis, /metrics on `port`, analysis against `prometheusUrl`. */
export function controllerProcess(sb: RunningSandbox, port: number, prometheusUrl: string): ChildProcess {
  const args = [
    'controller',
    '--kubeconfig',
    sb.info.kubeconfig,
    '--redis-url',
    sb.info.redis,
    '--prometheus-url',
    prometheusUrl,
    '--scrape-interval',
    sb.info.scrapeInterval,
    '--listen',
    `127.0.0.1:${port}`,
    '--concurrency',
    '20',
  ];
  return spawn(process.execPath, [...nodeArgs, join(root, 'bin/sluice.js'), ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn' },
  });
}

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

/** The p-th percentile of a Prometheus histogram on the controller's /metrics (upper bucket bound). */
export async function histogramPercentile(metricsUrl: string, name: string, p: number): Promise<number | undefined> {
  const text = await (await fetch(metricsUrl)).text();
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\S+)$`, 'gm'))].map((m) => ({
    le: Number(m[1] === '+Inf' ? Infinity : m[1]),
    count: Number(m[2]),
  }));
  const total = buckets.at(-1)?.count ?? 0;
  if (total === 0) return undefined;
  return buckets.find((b) => b.count >= (p / 100) * total)?.le;
}

/** The controller's requests in an audit excerpt, by `verb resource[/subresource]`. */
export function requestsByVerb(
  audit: readonly Audit[],
  only: (e: Audit) => boolean = () => true,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of audit) {
    if (e.userAgent?.startsWith('sluice-controller') !== true || !only(e)) continue;
    const what = `${e.verb} ${e.resource ?? '?'}${e.subresource === undefined ? '' : `/${e.subresource}`}`;
    out[what] = (out[what] ?? 0) + 1;
  }
  return out;
}

/** Waits until /readyz answers 200. */
export async function ready(port: number, deadline: number): Promise<void> {
  await until(
    'the controller to be ready',
    deadline,
    async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200,
  );
}

export function peakRssMiB(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Math.round(Number(m?.[1] ?? 0) / 1024);
}

/** Lateness of every pause: the first VirtualService write after it was due, minus its due time. */
export function lateness(
  audit: Audit[],
  starts: Map<string, number>,
  n: number,
  namespaces: number,
  pauseMs: number,
): number[] {
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

/** SIGTERM, and wait until the process has exited (nothing to do if it already has). */
export async function stopProcess(c: ChildProcess | undefined): Promise<void> {
  if (c === undefined || c.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    c.once('exit', () => resolve());
    c.kill('SIGTERM');
  });
}
