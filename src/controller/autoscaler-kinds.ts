/**
 * The two kinds of autoscaler Sluice copies for the primary, behind one shape: a
 * HorizontalPodAutoscaler (autoscaling/v2) and a KEDA ScaledObject (keda.sh/v1alpha1, which owns
 * an HPA of its own, `keda-hpa-<name>`). For each: what it scales, its bounds, its copy for the
 * primary and what of its spec the copy must equal.
 */
import type { KubernetesObject, V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import { canonicalJson } from '../rollout/revision.js';
import { GENERATED_ANNOTATIONS, MANAGED_BY, ownerReference, withoutTracking } from '../kube/ownership.js';
import { primaryName } from './generated.js';

export type Hpa = V2HorizontalPodAutoscaler;

/** A KEDA ScaledObject, as far as Sluice reads it. */
export interface ScaledObject extends KubernetesObject {
  spec?: {
    scaleTargetRef: { apiVersion?: string; kind?: string; name: string; envSourceContainerName?: string };
    minReplicaCount?: number;
    maxReplicaCount?: number;
    advanced?: { horizontalPodAutoscalerConfig?: { name?: string; [k: string]: unknown }; [k: string]: unknown };
    triggers: { type: string; name?: string; metadata: Record<string, string>; [k: string]: unknown }[];
    [k: string]: unknown;
  };
}

export type AutoscalerKind = 'HorizontalPodAutoscaler' | 'ScaledObject';

/** KEDA's annotation that stops its autoscaling and holds the target at N replicas (KEDA 2.7+; 2.11+ deletes its HPA). */
export const PAUSED_REPLICAS = 'autoscaling.keda.sh/paused-replicas';
/** KEDA's annotations that pause a ScaledObject, and Sluice's mark: a copy never carries them over (flagger#1934). */
const PAUSE_ANNOTATIONS = [PAUSED_REPLICAS, 'autoscaling.keda.sh/paused', 'sluice.dev/paused-by'];

export const API_VERSION: Record<AutoscalerKind, string> = {
  HorizontalPodAutoscaler: 'autoscaling/v2',
  ScaledObject: 'keda.sh/v1alpha1',
};

export type UserAutoscaler =
  { kind: 'HorizontalPodAutoscaler'; object: Hpa } | { kind: 'ScaledObject'; object: ScaledObject };

/** Whether `ref` names the Deployment `name` (KEDA defaults apiVersion and kind to apps/v1 Deployment). */
export function scalesDeployment(
  ref: { apiVersion?: string | undefined; kind?: string | undefined; name: string } | undefined,
  name: string,
  defaulted: boolean,
): boolean {
  const kind = ref?.kind ?? (defaulted ? 'Deployment' : undefined);
  const apiVersion = ref?.apiVersion ?? 'apps/v1';
  return kind === 'Deployment' && apiVersion.startsWith('apps/') && ref?.name === name;
}

/** The Deployment-scaling reference of either kind. */
export function targetsDeployment(a: UserAutoscaler, name: string): boolean {
  return a.kind === 'ScaledObject'
    ? scalesDeployment(a.object.spec?.scaleTargetRef, name, true)
    : scalesDeployment(a.object.spec?.scaleTargetRef, name, false);
}

export function bounds(a: UserAutoscaler): { min: number; max: number } {
  if (a.kind === 'HorizontalPodAutoscaler')
    return { min: a.object.spec?.minReplicas ?? 1, max: a.object.spec?.maxReplicas ?? 1 };
  // (KEDA: minReplicaCount 0 by default — scale to zero —, maxReplicaCount 100)
  return { min: a.object.spec?.minReplicaCount ?? 0, max: a.object.spec?.maxReplicaCount ?? 100 };
}

export const copyName = (a: UserAutoscaler): string => `${a.object.metadata?.name ?? ''}-primary`;

function copyMeta(rollout: Rollout, a: UserAutoscaler): KubernetesObject['metadata'] {
  return {
    name: copyName(a),
    namespace: rollout.metadata.namespace,
    labels: { ...withoutTracking(a.object.metadata?.labels), ...MANAGED_BY },
    annotations: { ...GENERATED_ANNOTATIONS },
    ownerReferences: [ownerReference(rollout)],
  };
}

/** The ScaledObject's triggers for the primary: a query of spec.autoscalerRef.primaryScalerQueries replaces the trigger's. */
function primaryTriggers(rollout: Rollout, so: ScaledObject): NonNullable<ScaledObject['spec']>['triggers'] {
  const queries = rollout.spec.autoscalerRef?.primaryScalerQueries ?? {};
  return (so.spec?.triggers ?? []).map((t) => {
    const query = t.name === undefined ? undefined : queries[t.name];
    return query === undefined ? structuredClone(t) : { ...structuredClone(t), metadata: { ...t.metadata, query } };
  });
}

/**
 * `<name>-primary`: the user's spec scaling `<target>-primary`, with the minimum the planner decides
 * (raised during a run so that the primary keeps the capacity to take all traffic back). A
 * ScaledObject's copy names its own HPA `<name>-primary` when the user's names one, and never
 * carries the pause annotations.
 */
export function autoscalerCopy(rollout: Rollout, a: UserAutoscaler, min?: number): KubernetesObject {
  const primary = { apiVersion: 'apps/v1', kind: 'Deployment', name: primaryName(rollout) };
  if (a.kind === 'HorizontalPodAutoscaler') {
    const spec = structuredClone(a.object.spec ?? { maxReplicas: 1, scaleTargetRef: { kind: 'Deployment', name: '' } });
    return {
      apiVersion: API_VERSION.HorizontalPodAutoscaler,
      kind: a.kind,
      metadata: copyMeta(rollout, a),
      spec: { ...spec, scaleTargetRef: primary, minReplicas: min ?? bounds(a).min },
    } as Hpa;
  }
  const spec = structuredClone(a.object.spec ?? { scaleTargetRef: { name: '' }, triggers: [] });
  // never idle at 0: KEDA scales to idleReplicaCount whenever no trigger is active, whatever the
  // minimum, and the primary serves every request
  delete spec['idleReplicaCount'];
  const hpa = spec.advanced?.horizontalPodAutoscalerConfig;
  if (hpa?.name !== undefined) hpa.name = `${hpa.name}-primary`;
  const copy: ScaledObject = {
    apiVersion: API_VERSION.ScaledObject,
    kind: a.kind,
    metadata: copyMeta(rollout, a),
    spec: {
      ...spec,
      scaleTargetRef: { ...spec.scaleTargetRef, ...primary },
      minReplicaCount: min ?? bounds(a).min,
      triggers: primaryTriggers(rollout, a.object),
    },
  };
  for (const k of PAUSE_ANNOTATIONS) delete copy.metadata?.annotations?.[k];
  return copy;
}

/** The copy's minimum as it stands. */
export function minimumOf(kind: AutoscalerKind, o: KubernetesObject): number | undefined {
  const spec = (o as { spec?: { minReplicas?: number; minReplicaCount?: number } }).spec;
  return kind === 'HorizontalPodAutoscaler' ? spec?.minReplicas : spec?.minReplicaCount;
}

/** A copy's spec as compared with what the user's makes of it: everything but the minimum (which the planner decides). */
export function comparable(o: KubernetesObject): string {
  const { minReplicas: _a, minReplicaCount: _b, ...rest } = (o as { spec?: Record<string, unknown> }).spec ?? {};
  return canonicalJson(rest);
}

/** Sluice's mark on a ScaledObject it paused: the uid of the Rollout (so that it is resumed whatever happens to it). */
export const PAUSED_BY = 'sluice.dev/paused-by';

/** Whether this Rollout (`uid`) has paused the ScaledObject (KEDA holds the target at 0). */
export function pausedBy(o: KubernetesObject, uid: string | undefined): boolean {
  const a = o.metadata?.annotations ?? {};
  return uid !== undefined && a[PAUSED_BY] === uid && a[PAUSED_REPLICAS] !== undefined;
}
