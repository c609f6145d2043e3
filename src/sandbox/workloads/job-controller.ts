/**
 * What the Job controller, the kubelet and the TTL-after-finished controller do for batch/v1
 * Jobs, over the emulator's store. A Job gets pods (up to parallelism, until completions
 * succeeded); a pod runs for `SANDBOX_RUN_SECONDS` (its env, default 1), then exits with
 * `SANDBOX_EXIT_CODE` (default 0); with `SANDBOX_LOAD_TARGET=host[:port]` and `SANDBOX_LOAD_RPS=N`
 * it sends that many requests a second through the mesh while it runs. A failed pod is replaced
 * after the controller's back-off (10 s doubling, up to 6 min) until backoffLimit; status carries
 * active, ready, succeeded, failed, startTime, completionTime and the conditions as Kubernetes
 * 1.31+ writes them (SuccessCriteriaMet then Complete; FailureTarget then Failed).
 * Simplification: restartPolicy OnFailure is run like Never (a failed container fails its pod).
 */
import type { Api } from '../apiserver/api.js';
import { now } from '../apiserver/admission.js';
import type { ResourceType } from '../apiserver/resource-type.js';
import type { KubeObject } from '../apiserver/store.js';
import { podEnv, randomSuffix, startedStatus } from './pods.js';

type Json = Record<string, any>;

export interface JobControllerOptions {
  /** How long a pod takes to start. */
  startDelayMs?: number;
  /** Sends one request through the mesh to `host` from a pod in `namespace` (the load of load-test pods). */
  send?: (host: string, namespace: string) => void;
  tickMs?: number;
}

const BACKOFF_BASE_MS = 10_000;
const BACKOFF_MAX_MS = 360_000;

function condition(type: string, reason: string, message: string, at: string): Json {
  return { type, status: 'True', reason, message, lastProbeTime: at, lastTransitionTime: at };
}

function finished(job: Json): boolean {
  return ((job['status']?.['conditions'] ?? []) as Json[]).some(
    (c) => (c['type'] === 'Complete' || c['type'] === 'Failed') && c['status'] === 'True',
  );
}

const podDone = (p: Json): boolean => p['status']?.['phase'] === 'Succeeded' || p['status']?.['phase'] === 'Failed';

export class JobController {
  private readonly t: Record<'jobs' | 'pods', ResourceType>;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly dirty = new Set<string>();
  /** Pods sending load: uid -> where, how fast, and the requests owed. */
  private readonly loads = new Map<string, { host: string; namespace: string; rps: number; credit: number }>();
  /** Jobs (by uid) with a timer for their deadline or TTL already set. */
  private readonly timed = new Set<string>();
  private ticker: NodeJS.Timeout | undefined;
  private scheduled = false;

  constructor(
    private readonly api: Api,
    private readonly opts: JobControllerOptions = {},
  ) {
    const find = (g: string, r: string): ResourceType => {
      const type = api.registry.find(g, 'v1', r);
      if (type === undefined) throw new Error(`the emulator does not serve ${r}`);
      return type;
    };
    this.t = { jobs: find('batch', 'jobs'), pods: find('', 'pods') };
  }

  start(): void {
    const key = (ns: string | undefined, name: string): string => `${ns ?? ''}/${name}`;
    this.unsubscribe.push(
      this.api.store.subscribe(this.t.jobs.storageKey, (e) =>
        this.mark(key(e.object.metadata.namespace, e.object.metadata.name)),
      ),
      this.api.store.subscribe(this.t.pods.storageKey, (e) => {
        for (const o of e.object.metadata.ownerReferences ?? [])
          if (o.kind === 'Job') this.mark(key(e.object.metadata.namespace, o.name));
        if (e.type === 'DELETED') this.loads.delete(e.object.metadata.uid ?? '');
      }),
    );
    for (const j of this.api.store.list(this.t.jobs.storageKey)) this.mark(key(j.metadata.namespace, j.metadata.name));
    let last = Date.now();
    this.ticker = setInterval(() => {
      const t = Date.now();
      this.sendLoad((t - last) / 1000);
      last = t;
    }, this.opts.tickMs ?? 100);
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    for (const timer of this.timers) clearTimeout(timer);
    if (this.ticker !== undefined) clearInterval(this.ticker);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /** `later`, at most once per `id`. */
  private once(id: string, ms: number, fn: () => void): void {
    if (this.timed.has(id)) return;
    this.timed.add(id);
    this.later(ms, () => {
      this.timed.delete(id);
      fn();
    });
  }

  private mark(k: string): void {
    this.dirty.add(k);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const keys = [...this.dirty];
      this.dirty.clear();
      for (const key of keys) {
        const [ns = '', name = ''] = key.split('/', 2);
        this.sync(ns, name);
      }
    });
  }

  private pods(job: KubeObject): Json[] {
    return this.api.store
      .dependents(job.metadata.uid ?? '')
      .filter((d) => d.storageKey === this.t.pods.storageKey)
      .map((d) => d.object as Json)
      .filter((p) => p['metadata']['deletionTimestamp'] === undefined);
  }

  private sync(ns: string, name: string): void {
    const job = this.api.store.get(this.t.jobs.storageKey, ns, name) as Json | undefined;
    if (job === undefined || job['metadata']['deletionTimestamp'] !== undefined) return;
    if (finished(job)) return this.expire(job);
    const spec = (job['spec'] ?? {}) as Json;
    if (spec['suspend'] === true) return;
    const pods = this.pods(job as KubeObject);
    // counts only grow, as the Job controller tracks them (a failed pod deleted still counts)
    const counted = (phase: string, field: string): number =>
      Math.max((job['status']?.[field] ?? 0) as number, pods.filter((p) => p['status']?.['phase'] === phase).length);
    const succeeded = counted('Succeeded', 'succeeded');
    const failed = counted('Failed', 'failed');
    const active = pods.filter((p) => !podDone(p));
    const at = now();
    const status: Json = {
      ...job['status'],
      startTime: job['status']?.['startTime'] ?? at,
      active: active.length,
      ready: active.filter((p) => p['status']?.['phase'] === 'Running').length,
      succeeded,
      failed,
      terminating: 0,
      uncountedTerminatedPods: {},
    };
    const end = this.outcome(job, { succeeded, failed, active: active.length }, status['startTime'] as string);
    if (end !== undefined) {
      for (const p of active) this.api.delete({ type: this.t.pods, namespace: ns, name: p['metadata']['name'] });
      status['active'] = 0;
      status['ready'] = 0;
      status['conditions'] = [...(status['conditions'] ?? []), ...end.conditions(at)];
      if (end.complete) status['completionTime'] = at;
    }
    if (JSON.stringify(status) !== JSON.stringify(job['status']))
      this.api.update({ type: this.t.jobs, namespace: ns, name, subresource: 'status' }, { ...job, status });
    if (end === undefined) this.runPods(job, active.length, succeeded, failed, pods);
  }

  /** How the Job ends now, if it does. */
  private outcome(
    job: Json,
    { succeeded, failed, active }: { succeeded: number; failed: number; active: number },
    startTime: string,
  ): { complete: boolean; conditions: (at: string) => Json[] } | undefined {
    const spec = job['spec'] as Json;
    const fail = (reason: string, message: string): { complete: boolean; conditions: (at: string) => Json[] } => ({
      complete: false,
      conditions: (at: string) => [
        condition('FailureTarget', reason, message, at),
        condition('Failed', reason, message, at),
      ],
    });
    const completions = spec['completions'] as number | undefined;
    // a work queue (no completions) is done once a pod succeeded and none runs
    if (completions === undefined ? succeeded > 0 && active === 0 : succeeded >= completions) {
      const message = 'Reached expected number of succeeded pods';
      return {
        complete: true,
        conditions: (at) => [
          condition('SuccessCriteriaMet', 'CompletionsReached', message, at),
          condition('Complete', 'CompletionsReached', message, at),
        ],
      };
    }
    if (failed > ((spec['backoffLimit'] ?? 6) as number))
      return fail('BackoffLimitExceeded', 'Job has reached the specified backoff limit');
    const deadline = spec['activeDeadlineSeconds'] as number | undefined;
    if (deadline !== undefined) {
      const left = Date.parse(startTime) + deadline * 1000 - Date.now();
      if (left <= 0) return fail('DeadlineExceeded', 'Job was active longer than specified deadline');
      this.once(`deadline/${job['metadata']['uid']}`, left + 10, () =>
        this.mark(`${job['metadata']['namespace']}/${job['metadata']['name']}`),
      );
    }
    return undefined;
  }

  /** Starts the pods the Job still needs, after the back-off that its failed pods call for. */
  private runPods(job: Json, active: number, succeeded: number, failed: number, pods: Json[]): void {
    const spec = job['spec'] as Json;
    const parallelism = (spec['parallelism'] ?? 1) as number;
    const completions = spec['completions'] as number | undefined;
    const left = completions === undefined ? (succeeded > 0 ? 0 : parallelism) : completions - succeeded;
    const want = Math.min(parallelism, left) - active;
    if (want <= 0) return;
    if (failed > 0) {
      const lastFailure = Math.max(
        ...pods
          .filter((p) => p['status']?.['phase'] === 'Failed')
          .map((p) =>
            Date.parse(p['status']?.['containerStatuses']?.[0]?.['state']?.['terminated']?.['finishedAt'] ?? 0),
          ),
      );
      const wait = lastFailure + Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** (failed - 1)) - Date.now();
      if (wait > 0) {
        this.later(wait, () => this.mark(`${job['metadata']['namespace']}/${job['metadata']['name']}`));
        return;
      }
    }
    for (let i = 0; i < want; i++)
      this.startPod(this.api.create(this.t.pods, job['metadata']['namespace'], this.podFor(job)).object);
  }

  private podFor(job: Json): KubeObject {
    const template = (job['spec']?.['template'] ?? {}) as Json;
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: `${job['metadata']['name']}-${randomSuffix()}`,
        namespace: job['metadata']['namespace'],
        labels: { ...(template['metadata']?.['labels'] ?? {}) },
        ownerReferences: [
          {
            apiVersion: 'batch/v1',
            kind: 'Job',
            name: job['metadata']['name'],
            uid: job['metadata']['uid'],
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { ...(template['spec'] ?? {}), nodeName: 'sandbox-node' },
    };
  }

  private current(pod: KubeObject): Json | undefined {
    const p = this.api.store.get(this.t.pods.storageKey, pod.metadata.namespace, pod.metadata.name) as Json | undefined;
    return p === undefined ||
      p['metadata']['uid'] !== pod.metadata.uid ||
      p['metadata']['deletionTimestamp'] !== undefined
      ? undefined
      : p;
  }

  private startPod(pod: KubeObject): void {
    const env = podEnv(pod);
    this.later(this.opts.startDelayMs ?? 200, () => {
      const p = this.current(pod);
      if (p === undefined) return;
      this.api.update(
        { type: this.t.pods, namespace: pod.metadata.namespace, name: pod.metadata.name, subresource: 'status' },
        { ...p, status: startedStatus(pod, now()) },
      );
      const target = env['SANDBOX_LOAD_TARGET'];
      const rps = Number(env['SANDBOX_LOAD_RPS'] ?? '0');
      if (target !== undefined && rps > 0)
        this.loads.set(pod.metadata.uid ?? '', {
          host: target.replace(/:\d+$/, ''),
          namespace: pod.metadata.namespace ?? 'default',
          rps,
          credit: 0,
        });
      const seconds = Number(env['SANDBOX_RUN_SECONDS'] ?? '1');
      this.later(Math.max(0, Number.isFinite(seconds) ? seconds * 1000 : 1000), () =>
        this.exit(pod, Number(env['SANDBOX_EXIT_CODE'] ?? '0')),
      );
    });
  }

  private exit(pod: KubeObject, code: number): void {
    this.loads.delete(pod.metadata.uid ?? '');
    const p = this.current(pod);
    if (p === undefined) return;
    const at = now();
    const ok = code === 0;
    const cond = (type: string): Json => ({
      type,
      status: type === 'PodScheduled' || type === 'Initialized' ? 'True' : 'False',
      lastTransitionTime: at,
      ...(type === 'Ready' || type === 'ContainersReady' ? { reason: 'PodCompleted' } : {}),
    });
    const status = {
      ...p['status'],
      phase: ok ? 'Succeeded' : 'Failed',
      conditions: ['Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map(cond),
      containerStatuses: ((p['status']?.['containerStatuses'] ?? []) as Json[]).map((c) => ({
        ...c,
        ready: false,
        started: false,
        state: {
          terminated: {
            exitCode: code,
            reason: ok ? 'Completed' : 'Error',
            startedAt: c['state']?.['running']?.['startedAt'] ?? at,
            finishedAt: at,
          },
        },
      })),
    };
    this.api.update(
      { type: this.t.pods, namespace: pod.metadata.namespace, name: pod.metadata.name, subresource: 'status' },
      { ...p, status },
    );
  }

  /** The TTL-after-finished controller: a finished Job is deleted (with its pods) ttlSecondsAfterFinished later. */
  private expire(job: Json): void {
    const ttl = job['spec']?.['ttlSecondsAfterFinished'] as number | undefined;
    if (ttl === undefined) return;
    const end = ((job['status']?.['conditions'] ?? []) as Json[]).find(
      (c) => (c['type'] === 'Complete' || c['type'] === 'Failed') && c['status'] === 'True',
    );
    const left = Date.parse(end?.['lastTransitionTime'] ?? now()) + ttl * 1000 - Date.now();
    const uid = job['metadata']['uid'] as string;
    const { namespace, name } = job['metadata'] as { namespace: string; name: string };
    const remove = (): void => {
      const still = this.api.store.get(this.t.jobs.storageKey, namespace, name);
      if (still?.metadata.uid === uid && still.metadata.deletionTimestamp === undefined)
        this.api.delete({ type: this.t.jobs, namespace, name }, { propagationPolicy: 'Background' });
    };
    if (left <= 0) remove();
    else this.once(`ttl/${uid}`, left, remove);
  }

  private sendLoad(seconds: number): void {
    const send = this.opts.send;
    if (send === undefined) return;
    for (const load of this.loads.values()) {
      load.credit += load.rps * seconds;
      for (; load.credit >= 1; load.credit--) send(load.host, load.namespace);
    }
  }
}
