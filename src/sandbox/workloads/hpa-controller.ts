/**
 * The HorizontalPodAutoscaler controller of the sandbox, as kube-controller-manager runs it:
 * every sync period (15 s by default) each autoscaling/v2 HPA reads its target through `/scale`
 * (so any kind with a scale subresource, e.g. a KEDA-style object, works the same), measures the
 * CPU of the target's pods, asks hpa-algorithm.ts for the replicas, writes them through `/scale`
 * and writes its status as the real controller does. CPU is what the pods' traffic costs:
 * `SANDBOX_CPU_MS_PER_REQUEST` (pod env) milliseconds per request served, against the containers'
 * `resources.requests.cpu`. Only Resource/cpu Utilization targets are computed; any other metric
 * makes the HPA report ScalingActive=False (docs/sandbox.md).
 */
import type { Api } from '../apiserver/api.js';
import type { ResourceType } from '../apiserver/resource-type.js';
import { scaleOf, writeScale } from '../apiserver/scale.js';
import type { KubeObject } from '../apiserver/store.js';
import { conditionsSince, isoSeconds, writeStatusIfChanged } from './controller-status.js';
import {
  normalize,
  proposedReplicas,
  type Behavior,
  type LimitReason,
  type PodSample,
  type Recommendation,
  type ScaleEvent,
} from './hpa-algorithm.js';
import type { PodLoad } from './pod-load.js';
import { isReady, podEnv } from './pods.js';

type Json = Record<string, any>;

export interface HpaControllerOptions {
  /** kube-controller-manager's --horizontal-pod-autoscaler-sync-period (default 15 s). */
  syncMs?: number | undefined;
  now?: () => number;
}

/** A CPU quantity in millicores: "250m", "0.5", "2". */
export function millicores(q: unknown): number {
  if (typeof q === 'number') return q * 1000;
  if (typeof q !== 'string') return 0;
  const m = /^([0-9.]+)(m?)$/.exec(q.trim());
  if (m === null) return 0;
  return m[2] === 'm' ? Number(m[1]) : Number(m[1]) * 1000;
}

function selectorMatches(selector: string, labels: Record<string, string> | undefined): boolean {
  if (selector === '') return false;
  return selector.split(',').every((term) => {
    const [k, v] = term.split('=');
    return k !== undefined && labels?.[k] === v;
  });
}

interface StatusInput {
  current?: number;
  desired?: number;
  utilization?: number | undefined;
  scaled?: boolean;
  limited?: LimitReason | undefined;
  /** Condition ScalingActive: status, reason, message. */
  active: [string, string, string];
}

interface State {
  recommendations: Recommendation[];
  events: ScaleEvent[];
  served: Map<string, number>;
  at: number;
}

export class HpaController {
  private readonly hpas: ResourceType;
  private readonly state = new Map<string, State>();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;

  constructor(
    private readonly api: Api,
    private readonly load: PodLoad,
    private readonly opts: HpaControllerOptions = {},
  ) {
    const t = api.registry.find('autoscaling', 'v2', 'horizontalpodautoscalers');
    if (t === undefined) throw new Error('the emulator does not serve horizontalpodautoscalers');
    this.hpas = t;
    this.now = opts.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => this.sync(), Math.max(100, this.opts.syncMs ?? 15_000));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One sync of every HPA. */
  sync(): void {
    const served = this.load.snapshot();
    for (const hpa of this.api.store.list(this.hpas.storageKey)) {
      try {
        this.syncOne(hpa, served);
      } catch {
        // a target or HPA that changed under us: the next sync sees the new state
      }
    }
  }

  /** The target's type and Scale, or why the HPA cannot act (a status to write). */
  private targetOf(
    hpa: Json,
  ): { type: ResourceType; name: string; current: number; selector: string } | { failed: StatusInput } {
    const ref = hpa['spec']['scaleTargetRef'] as Json;
    const ns = hpa['metadata']['namespace'] as string;
    const name = String(ref['name']);
    const type = this.api.registry.byKind(String(ref['apiVersion'] ?? 'apps/v1'), String(ref['kind']));
    const target = type === undefined ? undefined : this.api.store.get(type.storageKey, ns, name);
    if (type?.scale === undefined || target === undefined)
      return {
        failed: {
          active: ['False', 'FailedGetScale', "the HPA controller was unable to get the target's current scale"],
        },
      };
    const scale = scaleOf(type, target) as { spec: { replicas: number }; status: { selector: string } };
    const current = scale.spec.replicas;
    const min = (hpa['spec']['minReplicas'] as number | undefined) ?? 1;
    if (current === 0 && min > 0)
      return {
        failed: {
          current,
          desired: 0,
          active: ['False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero'],
        },
      };
    return { type, name, current, selector: scale.status.selector };
  }

  private syncOne(hpa: Json, served: ReadonlyMap<string, number>): void {
    const key = `${hpa['metadata']['namespace'] as string}/${hpa['metadata']['name'] as string}`;
    const spec = hpa['spec'] as Json;
    const ns = hpa['metadata']['namespace'] as string;
    const found = this.targetOf(hpa);
    if ('failed' in found) return this.writeStatus(hpa, found.failed);
    const { type, name, current, selector } = found;
    const metric = ((spec['metrics'] ?? []) as Json[])[0];
    const targetUtilization = metric?.['resource']?.['target']?.['averageUtilization'] as number | undefined;
    if (metric?.['type'] !== 'Resource' || metric['resource']?.['name'] !== 'cpu' || targetUtilization === undefined)
      return this.writeStatus(hpa, {
        current,
        desired: current,
        active: ['False', 'FailedGetResourceMetric', 'the sandbox computes only Resource cpu Utilization targets'],
      });
    const nowMs = this.now();
    const state = this.state.get(key) ?? { recommendations: [], events: [], served: new Map(), at: nowMs };
    const pods = this.api.store
      .list('/pods', ns)
      .filter((p) => selectorMatches(selector, p.metadata.labels) && p.metadata.deletionTimestamp === undefined);
    const seconds = Math.max(0.001, (nowMs - state.at) / 1000);
    const samples = pods.map((p) => this.sample(p, served, state, seconds));
    const { replicas: proposed, utilization } = proposedReplicas(current, samples, targetUtilization);
    const n = normalize({
      current,
      proposed,
      min: (spec['minReplicas'] as number | undefined) ?? 1,
      max: spec['maxReplicas'] as number,
      behavior: spec['behavior'] as Behavior | undefined,
      recommendations: state.recommendations,
      events: state.events,
      nowMs,
    });
    // (events are kept for the longest period a policy may have: 30 minutes)
    const events = state.events.filter((e) => e.atMs > nowMs - 1_800_000);
    const scaled = n.replicas !== current;
    if (scaled) {
      writeScale(
        this.api,
        { type, namespace: ns, name },
        { patchType: 'merge', patch: { spec: { replicas: n.replicas } } },
        {},
      );
      events.push({ atMs: nowMs, change: n.replicas - current });
    }
    const uidOf = (p: KubeObject): string => p.metadata.uid ?? p.metadata.name;
    this.state.set(key, {
      recommendations: n.recommendations,
      events,
      served: new Map(pods.map((p) => [uidOf(p), served.get(uidOf(p)) ?? 0])),
      at: nowMs,
    });
    this.writeStatus(hpa, {
      current,
      desired: n.replicas,
      utilization,
      scaled,
      limited: n.limited,
      active: [
        'True',
        'ValidMetricFound',
        'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)',
      ],
    });
  }

  /** A pod's CPU: its requests served since the last sync, at SANDBOX_CPU_MS_PER_REQUEST each. */
  private sample(p: KubeObject, served: ReadonlyMap<string, number>, state: State, seconds: number): PodSample {
    const uid = p.metadata.uid ?? p.metadata.name;
    const containers = ((p as Json)['spec']?.['containers'] ?? []) as Json[];
    const request = containers.reduce((a, c) => a + millicores(c['resources']?.['requests']?.['cpu']), 0);
    const before = state.served.get(uid);
    const perRequest = Number(podEnv(p)['SANDBOX_CPU_MS_PER_REQUEST'] ?? '0') || 0;
    // a pod first seen now has no rate yet: no metric (the real metrics pipeline needs a window too)
    const usage = before === undefined ? undefined : (((served.get(uid) ?? 0) - before) / seconds) * perRequest;
    return { ready: isReady(p), usage, request };
  }

  private writeStatus(hpa: Json, s: StatusInput): void {
    const nowIso = isoSeconds(this.now());
    const previous = (hpa['status'] ?? {}) as Json;
    const condition = conditionsSince(previous, nowIso);
    const [activeStatus, activeReason, activeMessage] = s.active;
    const status: Json = {
      observedGeneration: hpa['metadata']['generation'],
      ...(s.scaled === true
        ? { lastScaleTime: nowIso }
        : previous['lastScaleTime'] === undefined
          ? {}
          : { lastScaleTime: previous['lastScaleTime'] }),
      currentReplicas: s.current ?? previous['currentReplicas'] ?? 0,
      desiredReplicas: s.desired ?? previous['desiredReplicas'] ?? 0,
      ...(s.utilization === undefined
        ? {}
        : {
            currentMetrics: [
              {
                type: 'Resource',
                resource: { name: 'cpu', current: { averageUtilization: Math.round(s.utilization) } },
              },
            ],
          }),
      conditions: [
        condition(
          'AbleToScale',
          'True',
          s.scaled === true ? 'SucceededRescale' : 'ReadyForNewScale',
          s.scaled === true
            ? 'the HPA controller was able to update the target scale'
            : 'recommended size matches current size',
        ),
        condition('ScalingActive', activeStatus, activeReason, activeMessage),
        s.limited === undefined
          ? condition(
              'ScalingLimited',
              'False',
              'DesiredWithinRange',
              'the desired count is within the acceptable range',
            )
          : condition('ScalingLimited', 'True', s.limited, `the desired replica count is limited (${s.limited})`),
      ],
    };
    writeStatusIfChanged(this.api, this.hpas, hpa, status);
  }
}
