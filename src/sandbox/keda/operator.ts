/**
 * A KEDA operator for the sandbox, after KEDA's documented behaviour and source
 * (controllers/keda/hpa.go, scaledobject_controller.go, pkg/scaling/executor): each ScaledObject
 * gets an HPA (`keda-hpa-<name>`, or advanced.horizontalPodAutoscalerConfig.name) owned by it,
 * with minReplicas max(minReplicaCount, 1), maxReplicaCount (100) and the behavior; the sandbox's
 * HPA controller then scales as for any HPA. KEDA's own scale loop (every pollingInterval) scales
 * a target below minReplicaCount — or at 0 while a trigger is active — up to max(min, 1): that is
 * KEDA activating a workload at 0. The annotations `autoscaling.keda.sh/paused-replicas: "N"` (the
 * target scaled to N) and `autoscaling.keda.sh/paused` stop it all: the HPA is deleted, condition
 * Paused; removing them brings the HPA back.
 *
 * Only `cpu` and `memory` triggers are emulated (they are Resource metrics of the HPA and always
 * active); a ScaledObject with another trigger type is not Ready (docs/sandbox.md).
 */
import type { Api } from '../apiserver/api.js';
import type { ResourceType } from '../apiserver/resource-type.js';
import { scaleOf, writeScale } from '../apiserver/scale.js';
import type { KubeObject } from '../apiserver/store.js';
import { conditionsSince, isoSeconds, writeStatusIfChanged, type ConditionOf } from '../workloads/controller-status.js';

type Json = Record<string, any>;

export const PAUSED_REPLICAS = 'autoscaling.keda.sh/paused-replicas';
export const PAUSED = 'autoscaling.keda.sh/paused';
const EMULATED = new Set(['cpu', 'memory']);

export interface KedaOptions {
  /** How often the scale loop looks at each ScaledObject at most (its pollingInterval still applies). */
  tickMs?: number;
  now?: () => number;
}

/** What the HPA of a ScaledObject is named. */
export const hpaNameOf = (so: Json): string =>
  (so['spec']?.['advanced']?.['horizontalPodAutoscalerConfig']?.['name'] as string | undefined) ??
  `keda-hpa-${so['metadata']['name'] as string}`;

/** The replicas `paused-replicas` asks for, or undefined; and whether autoscaling is paused at all. */
function pause(so: Json): { paused: boolean; replicas: number | undefined } {
  const a = (so['metadata']['annotations'] ?? {}) as Record<string, string>;
  const n = a[PAUSED_REPLICAS] === undefined ? undefined : Number(a[PAUSED_REPLICAS]);
  const replicas = n !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
  return { paused: replicas !== undefined || (a[PAUSED] !== undefined && a[PAUSED] !== 'false'), replicas };
}

function metrics(triggers: Json[]): Json[] {
  return triggers.map((t) => {
    const value = String(t['metadata']?.['value'] ?? '');
    const utilization = (t['metricType'] ?? 'Utilization') === 'Utilization';
    return {
      type: 'Resource',
      resource: {
        name: t['type'] as string,
        target: utilization
          ? { type: 'Utilization', averageUtilization: Number(value) }
          : { type: 'AverageValue', averageValue: value },
      },
    };
  });
}

export class KedaOperator {
  private readonly scaledObjects: ResourceType;
  private readonly hpas: ResourceType;
  private readonly lastLoop = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private readonly now: () => number;
  private stopped = false;

  constructor(
    private readonly api: Api,
    private readonly opts: KedaOptions = {},
  ) {
    const so = api.registry.find('keda.sh', 'v1alpha1', 'scaledobjects');
    const hpa = api.registry.find('autoscaling', 'v2', 'horizontalpodautoscalers');
    if (so === undefined || hpa === undefined) throw new Error('the emulator serves no ScaledObjects or HPAs');
    this.scaledObjects = so;
    this.hpas = hpa;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.unsubscribe = this.api.store.subscribe(this.scaledObjects.storageKey, (e) => {
      // (after the write that changed it has returned, as a real operator's watch would)
      if (e.type !== 'DELETED') setImmediate(() => this.safely(this.latest(e.object), false));
    });
    this.timer = setInterval(() => {
      for (const so of this.api.store.list(this.scaledObjects.storageKey)) this.safely(so, true);
    }, this.opts.tickMs ?? 1000);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
  }

  private latest(so: KubeObject): KubeObject | undefined {
    return this.api.store.get(this.scaledObjects.storageKey, so.metadata.namespace, so.metadata.name);
  }

  private safely(so: KubeObject | undefined, loop: boolean): void {
    if (so === undefined || this.stopped) return;
    try {
      this.reconcile(so, loop);
    } catch {
      // an object that changed under us: the next event or tick sees the new state
    }
  }

  /** The scale target as KEDA resolves it, or why it cannot (a Ready=False message). */
  private targetOf(
    so: Json,
  ): { ref: { apiVersion: string; kind: string; name: string }; type: ResourceType; current: number } | string {
    const raw = (so['spec']?.['scaleTargetRef'] ?? {}) as Json;
    const ref = {
      apiVersion: (raw['apiVersion'] as string | undefined) ?? 'apps/v1',
      kind: (raw['kind'] as string | undefined) ?? 'Deployment',
      name: String(raw['name']),
    };
    const unsupported = ((so['spec']?.['triggers'] ?? []) as Json[]).find((t) => !EMULATED.has(String(t['type'])));
    if (unsupported !== undefined)
      return `the sandbox emulates only cpu and memory triggers, not ${String(unsupported['type'])}`;
    const type = this.api.registry.byKind(ref.apiVersion, ref.kind);
    const target =
      type === undefined ? undefined : this.api.store.get(type.storageKey, so['metadata']['namespace'], ref.name);
    if (type?.scale === undefined || target === undefined)
      return `${ref.kind} ${ref.name} with a scale subresource was not found`;
    return { ref, type, current: (scaleOf(type, target) as { spec: { replicas: number } }).spec.replicas };
  }

  /** The controller's reconcile (on every change) and, when `loop`, the scale loop's check. */
  private reconcile(so: Json, loop: boolean): void {
    const ns = so['metadata']['namespace'] as string;
    const found = this.targetOf(so);
    if (typeof found === 'string') return this.writeStatus(so, { ready: ['False', 'ScaledObjectCheckFailed', found] });
    const { ref, type, current } = found;
    const p = pause(so);
    const base = { current, kind: `${ref.apiVersion}.${ref.kind}`, type };
    if (p.paused) {
      this.deleteHpa(so);
      if (p.replicas !== undefined && p.replicas !== current) this.scale(type, ns, ref.name, p.replicas);
      return this.writeStatus(so, { ...base, paused: p.replicas ?? null });
    }
    this.ensureHpa(so, ref, (so['spec']['triggers'] ?? []) as Json[]);
    const uid = so['metadata']['uid'] as string;
    const due = this.now() - (this.lastLoop.get(uid) ?? 0) >= 1000 * (so['spec']['pollingInterval'] ?? 30);
    if (loop && due) {
      this.lastLoop.set(uid, this.now());
      // cpu and memory triggers are always active: a target at 0, or below the minimum, goes to max(min, 1)
      const min = (so['spec']['minReplicaCount'] as number | undefined) ?? 0;
      if (current === 0 || current < min) this.scale(type, ns, ref.name, Math.max(min, 1));
    }
    this.writeStatus(so, { ...base, paused: undefined, active: true });
  }

  private scale(type: ResourceType, namespace: string, name: string, replicas: number): void {
    writeScale(this.api, { type, namespace, name }, { patchType: 'merge', patch: { spec: { replicas } } }, {});
  }

  private ensureHpa(so: Json, scaleTargetRef: Json, triggers: Json[]): void {
    const ns = so['metadata']['namespace'] as string;
    const name = hpaNameOf(so);
    const soName = so['metadata']['name'] as string;
    const { 'kubectl.kubernetes.io/last-applied-configuration': _, ...annotations } = (so['metadata']['annotations'] ??
      {}) as Record<string, string>;
    const min = (so['spec']['minReplicaCount'] as number | undefined) ?? 0;
    const behavior = so['spec']['advanced']?.['horizontalPodAutoscalerConfig']?.['behavior'] as Json | undefined;
    const want = {
      metadata: {
        name,
        namespace: ns,
        labels: {
          ...(so['metadata']['labels'] ?? {}),
          'app.kubernetes.io/name': name.slice(0, 63),
          'app.kubernetes.io/part-of': soName,
          'app.kubernetes.io/managed-by': 'keda-operator',
        },
        annotations,
        ownerReferences: [
          {
            apiVersion: 'keda.sh/v1alpha1',
            kind: 'ScaledObject',
            name: soName,
            uid: so['metadata']['uid'],
            controller: true,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        scaleTargetRef,
        minReplicas: min > 0 ? min : 1,
        maxReplicas: (so['spec']['maxReplicaCount'] as number | undefined) ?? 100,
        metrics: metrics(triggers),
        ...(behavior === undefined ? {} : { behavior }),
      },
    };
    const have = this.api.store.get(this.hpas.storageKey, ns, name) as Json | undefined;
    if (have === undefined) {
      this.api.create(this.hpas, ns, want);
      return;
    }
    // (compared on what KEDA sets: the API server may default the rest)
    const mine = (o: Json): string =>
      JSON.stringify([
        o['metadata']['labels'],
        ...['scaleTargetRef', 'minReplicas', 'maxReplicas', 'metrics'].map((k) => o['spec'][k]),
        behavior === undefined ? null : o['spec']['behavior'],
      ]);
    if (mine(have) === mine(want)) return;
    this.api.update(
      { type: this.hpas, namespace: ns, name, subresource: undefined },
      {
        ...have,
        metadata: { ...have['metadata'], labels: want.metadata.labels },
        spec: { ...have['spec'], ...want.spec },
      },
    );
  }

  private deleteHpa(so: Json): void {
    const ns = so['metadata']['namespace'] as string;
    const have = this.api.store.get(this.hpas.storageKey, ns, hpaNameOf(so));
    if (have?.metadata.ownerReferences?.some((o) => o.uid === so['metadata']['uid']) === true)
      this.api.delete({ type: this.hpas, namespace: ns, name: hpaNameOf(so), subresource: undefined }, {});
  }

  private writeStatus(
    so: Json,
    s: {
      ready?: [string, string, string];
      current?: number;
      kind?: string;
      type?: ResourceType;
      /** Paused: the paused-replicas count (null: paused without one); undefined: not paused. */
      paused?: number | null | undefined;
      active?: boolean;
    },
  ): void {
    const nowIso = isoSeconds(this.now());
    const previous = (so['status'] ?? {}) as Json;
    const condition = conditionsSince(previous, nowIso);
    const [rs, rr, rm] = s.ready ?? [
      'True',
      'ScaledObjectReady',
      'ScaledObject is defined correctly and is ready for scaling',
    ];
    const paused = s.paused !== undefined;
    const status: Json = {
      ...(s.kind === undefined ? {} : { scaleTargetKind: s.kind }),
      ...(s.type === undefined
        ? {}
        : {
            scaleTargetGVKR: {
              group: s.type.group,
              version: s.type.version,
              kind: s.type.kind,
              resource: s.type.resource,
            },
          }),
      ...(previous['originalReplicaCount'] !== undefined || s.current === undefined
        ? { originalReplicaCount: previous['originalReplicaCount'] }
        : { originalReplicaCount: s.current }),
      ...(s.active === true ? { lastActiveTime: previous['lastActiveTime'] ?? nowIso } : {}),
      ...(paused || s.ready !== undefined ? {} : { hpaName: hpaNameOf(so) }),
      ...(typeof s.paused === 'number' ? { pausedReplicaCount: s.paused } : {}),
      conditions: [condition('Ready', rs, rr, rm), ...activity(condition, s.active === true, paused)],
    };
    if (status['originalReplicaCount'] === undefined) delete status['originalReplicaCount'];
    writeStatusIfChanged(this.api, this.scaledObjects, so, status);
  }
}

/** Conditions Active, Fallback and Paused, as KEDA writes them. */
function activity(condition: ConditionOf, active: boolean, paused: boolean): Json[] {
  return [
    active
      ? condition('Active', 'True', 'ScalerActive', 'Scaling is performed because triggers are active')
      : condition('Active', 'Unknown', 'UnknownState', 'Scaling is not performed'),
    condition('Fallback', 'False', 'NoFallbackFound', 'No fallbacks are active on this scaled object'),
    paused
      ? condition('Paused', 'True', 'ScaledObjectPaused', 'ScaledObject is paused')
      : condition('Paused', 'False', 'ScaledObjectUnpaused', 'ScaledObject is not paused'),
  ];
}
