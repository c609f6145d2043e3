/**
 * The workload simulator: what the Deployment and ReplicaSet controllers, the kubelet and the
 * endpoints controllers do, over the emulator's store. A Deployment gets a ReplicaSet per pod
 * template, ReplicaSets get Pods, Pods become ready after a delay (or never), and Deployment
 * status, Endpoints and EndpointSlices follow.
 */
import type { Api } from '../apiserver/api.js';
import { now } from '../apiserver/admission.js';
import type { ResourceType } from '../apiserver/resource-type.js';
import type { KubeObject, StoreEvent } from '../apiserver/store.js';
import { deploymentStatus, type ProgressClock } from './deployment-status.js';
import { endpointsFor, endpointSliceFor } from './endpoints.js';
import { nextReplicas, type ReplicaSetCounts } from './rolling-update.js';
import { TEMPLATE_HASH_LABEL, isReady, newPod, startedStatus, templateHash } from './pods.js';

type Json = Record<string, any>;

export interface WorkloadOptions {
  /** How long a pod takes to become ready. */
  readyDelayMs?: number;
  /** How often progress deadlines are checked. */
  tickMs?: number;
}

/** What the rolling-update arithmetic needs of a ReplicaSet (a ready pod counts as available: minReadySeconds is 0). */
function counts(rs: Json): ReplicaSetCounts {
  const st = rs['status'] ?? {};
  return {
    replicas: (rs['spec']?.['replicas'] ?? 0) as number,
    available: (st['availableReplicas'] ?? st['readyReplicas'] ?? 0) as number,
    pods: (st['replicas'] ?? 0) as number,
  };
}

function ownedBy(obj: KubeObject, owner: KubeObject): boolean {
  return (obj.metadata.ownerReferences ?? []).some((o) => o.uid === owner.metadata.uid);
}

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (selector === undefined || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

export class WorkloadSimulator {
  private readonly t: Record<
    'deployments' | 'replicasets' | 'pods' | 'services' | 'endpoints' | 'endpointslices',
    ResourceType
  >;
  private readonly dirty = {
    deployments: new Set<string>(),
    replicasets: new Set<string>(),
    services: new Set<string>(),
  };
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly clock: ProgressClock = new Map();
  /** Deployments still progressing: the only ones whose progress deadline can run out. */
  private readonly progressing = new Set<string>();
  private scheduled = false;
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly api: Api,
    private readonly opts: WorkloadOptions = {},
  ) {
    const find = (g: string, v: string, r: string): ResourceType => {
      const type = api.registry.find(g, v, r);
      if (type === undefined) throw new Error(`the emulator does not serve ${r}`);
      return type;
    };
    this.t = {
      deployments: find('apps', 'v1', 'deployments'),
      replicasets: find('apps', 'v1', 'replicasets'),
      pods: find('', 'v1', 'pods'),
      services: find('', 'v1', 'services'),
      endpoints: find('', 'v1', 'endpoints'),
      endpointslices: find('discovery.k8s.io', 'v1', 'endpointslices'),
    };
  }

  start(): void {
    const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    const on = (t: ResourceType, fn: (e: StoreEvent) => void): void => {
      this.unsubscribe.push(
        this.api.store.subscribe(t.storageKey, (e) => {
          fn(e);
          this.schedule();
        }),
      );
    };
    on(this.t.deployments, (e) => this.dirty.deployments.add(key(e.object)));
    on(this.t.replicasets, (e) => {
      this.dirty.replicasets.add(key(e.object));
      for (const o of e.object.metadata.ownerReferences ?? [])
        if (o.kind === 'Deployment') this.dirty.deployments.add(`${e.object.metadata.namespace ?? ''}/${o.name}`);
    });
    on(this.t.pods, (e) => {
      for (const o of e.object.metadata.ownerReferences ?? [])
        if (o.kind === 'ReplicaSet') this.dirty.replicasets.add(`${e.object.metadata.namespace ?? ''}/${o.name}`);
      // The Services selecting the pod, before or after the change.
      for (const s of this.api.store.list(this.t.services.storageKey, e.object.metadata.namespace)) {
        const selector = (s as Json)['spec']?.['selector'] as Record<string, string> | undefined;
        if (matches(selector, e.object.metadata.labels) || matches(selector, e.previous?.metadata.labels))
          this.dirty.services.add(key(s));
      }
    });
    on(this.t.services, (e) => this.dirty.services.add(key(e.object)));
    for (const d of this.api.store.list(this.t.deployments.storageKey)) this.dirty.deployments.add(key(d));
    for (const s of this.api.store.list(this.t.services.storageKey)) this.dirty.services.add(key(s));
    this.schedule();
    this.ticker = setInterval(() => {
      for (const k of this.progressing) this.dirty.deployments.add(k);
      this.schedule();
    }, this.opts.tickMs ?? 1000);
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    for (const timer of this.timers) clearTimeout(timer);
    if (this.ticker !== undefined) clearInterval(this.ticker);
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  private drain(): void {
    const take = (set: Set<string>): [string, string][] => {
      const items = [...set].map((k) => k.split('/', 2) as [string, string]);
      set.clear();
      return items;
    };
    for (const [ns, name] of take(this.dirty.deployments)) this.safely(() => this.deployment(ns, name));
    for (const [ns, name] of take(this.dirty.replicasets)) this.safely(() => this.replicaSet(ns, name));
    for (const [ns, name] of take(this.dirty.services)) this.safely(() => this.service(ns, name));
  }

  /** Conflicts and races with other writers are retried on the next event, as controllers do. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch {
      this.schedule();
    }
  }

  private owned(t: ResourceType, owner: KubeObject): KubeObject[] {
    if (owner.metadata.uid === undefined) return [];
    return this.api.store
      .dependents(owner.metadata.uid)
      .filter((d) => d.storageKey === t.storageKey && d.object.metadata.namespace === owner.metadata.namespace)
      .map((d) => d.object)
      .filter((o) => ownedBy(o, owner))
      .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  }

  private deployment(ns: string, name: string): void {
    const d = this.api.store.get(this.t.deployments.storageKey, ns, name) as Json | undefined;
    this.progressing.delete(`${ns}/${name}`);
    if (d === undefined || d['metadata']['deletionTimestamp'] !== undefined) return;
    const desired = (d['spec']?.['replicas'] ?? 1) as number;
    const hash = templateHash(d['spec']?.['template']);
    const sets = this.owned(this.t.replicasets, d as KubeObject) as Json[];
    let current = sets.find((rs) => rs['metadata']['labels']?.[TEMPLATE_HASH_LABEL] === hash);
    if (current === undefined) current = this.createReplicaSet(d, hash);
    // oldest first, as the Deployment controller scales them down
    const olds = sets
      .filter((rs) => rs !== current)
      .sort((a, b) =>
        String(a['metadata']['creationTimestamp']).localeCompare(String(b['metadata']['creationTimestamp'])),
      );
    const next = nextReplicas(desired, d['spec']?.['strategy'], counts(current), olds.map(counts));
    if (current['spec']['replicas'] !== next.current) this.setReplicas(current, next.current);
    olds.forEach((old, i) => {
      if (old['spec']['replicas'] !== next.olds[i]) this.setReplicas(old, next.olds[i] ?? 0);
    });
    const status = deploymentStatus(
      d,
      current,
      sets.filter((rs) => rs !== current),
      this.clock,
    );
    this.track(`${ns}/${name}`, status);
    if (JSON.stringify(status) !== JSON.stringify(d['status']))
      this.api.update({ type: this.t.deployments, namespace: ns, name, subresource: 'status' }, { ...d, status });
  }

  /** Keeps ticking a Deployment whose rollout is under way (its progress deadline may run out). */
  private track(k: string, status: Json): void {
    const progress = (status['conditions'] as Json[]).find((c) => c['type'] === 'Progressing');
    if (progress?.['status'] === 'True' && progress['reason'] !== 'NewReplicaSetAvailable') this.progressing.add(k);
  }

  private createReplicaSet(d: Json, hash: string): Json {
    const template = structuredClone(d['spec']?.['template'] ?? {});
    template.metadata = {
      ...(template.metadata ?? {}),
      labels: { ...(template.metadata?.labels ?? {}), [TEMPLATE_HASH_LABEL]: hash },
    };
    const selector = {
      matchLabels: { ...(d['spec']?.['selector']?.['matchLabels'] ?? {}), [TEMPLATE_HASH_LABEL]: hash },
    };
    const rs = {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        name: `${d['metadata']['name']}-${hash}`,
        namespace: d['metadata']['namespace'],
        labels: template.metadata.labels,
        ownerReferences: [
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            name: d['metadata']['name'],
            uid: d['metadata']['uid'],
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: { replicas: 0, selector, template },
    };
    return this.api.create(this.t.replicasets, d['metadata']['namespace'], rs).object;
  }

  private setReplicas(rs: Json, replicas: number): void {
    const ref = {
      type: this.t.replicasets,
      namespace: rs['metadata']['namespace'] as string,
      name: rs['metadata']['name'] as string,
    };
    this.api.patch(ref, 'merge', { spec: { replicas } });
  }

  private replicaSet(ns: string, name: string): void {
    const rs = this.api.store.get(this.t.replicasets.storageKey, ns, name);
    if (rs === undefined || rs.metadata.deletionTimestamp !== undefined) return;
    const desired = ((rs as Json)['spec']?.['replicas'] ?? 0) as number;
    const pods = this.owned(this.t.pods, rs).filter((p) => p.metadata.deletionTimestamp === undefined);
    for (let i = pods.length; i < desired; i++)
      this.startPod(this.api.create(this.t.pods, ns, newPod(rs, now())).object);
    const extra = pods.length - desired;
    if (extra > 0) {
      // Not-ready and newest pods go first, as the ReplicaSet controller ranks them.
      const victims = [...pods]
        .sort(
          (a, b) =>
            Number(isReady(a)) - Number(isReady(b)) ||
            (b.metadata.creationTimestamp ?? '').localeCompare(a.metadata.creationTimestamp ?? ''),
        )
        .slice(0, extra);
      for (const p of victims) this.api.delete({ type: this.t.pods, namespace: ns, name: p.metadata.name });
    }
    const live = this.owned(this.t.pods, rs);
    const ready = live.filter(isReady).length;
    const status = {
      replicas: live.length,
      fullyLabeledReplicas: live.length,
      readyReplicas: ready,
      availableReplicas: ready,
      observedGeneration: rs.metadata.generation ?? 1,
    };
    if (JSON.stringify(status) !== JSON.stringify((rs as Json)['status']))
      this.api.update({ type: this.t.replicasets, namespace: ns, name, subresource: 'status' }, { ...rs, status });
  }

  private startPod(pod: KubeObject): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      const current = this.api.store.get(this.t.pods.storageKey, pod.metadata.namespace, pod.metadata.name);
      if (current === undefined) return;
      this.safely(() =>
        this.api.update(
          { type: this.t.pods, namespace: pod.metadata.namespace, name: pod.metadata.name, subresource: 'status' },
          { ...current, status: startedStatus(current, now()) },
        ),
      );
    }, this.opts.readyDelayMs ?? 500);
    this.timers.add(timer);
  }

  private service(ns: string, name: string): void {
    const svc = this.api.store.get(this.t.services.storageKey, ns, name);
    const existing = this.api.store.get(this.t.endpoints.storageKey, ns, name);
    if (svc === undefined) {
      if (existing !== undefined) this.api.delete({ type: this.t.endpoints, namespace: ns, name });
      return;
    }
    const selector = (svc as Json)['spec']?.['selector'] as Record<string, string> | undefined;
    const pods = this.api.store
      .list(this.t.pods.storageKey, ns)
      .filter((p) => p.metadata.deletionTimestamp === undefined && matches(selector, p.metadata.labels));
    this.put(this.t.endpoints, existing, endpointsFor(svc, pods));
    const slices = this.owned(this.t.endpointslices, svc);
    this.put(this.t.endpointslices, slices[0], endpointSliceFor(svc, pods, slices[0]?.metadata.name));
  }

  private put(t: ResourceType, existing: KubeObject | undefined, wanted: KubeObject): void {
    const ns = wanted.metadata.namespace;
    if (existing === undefined) {
      this.api.create(t, ns, wanted);
      return;
    }
    const { metadata: _m, ...body } = wanted;
    const { metadata: _e, ...current } = existing;
    if (JSON.stringify(body) !== JSON.stringify(current))
      this.api.update(
        { type: t, namespace: ns, name: existing.metadata.name },
        { ...wanted, metadata: { ...existing.metadata, labels: wanted.metadata.labels } },
      );
  }
}
