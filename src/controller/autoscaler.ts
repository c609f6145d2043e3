/**
 * The target's HorizontalPodAutoscaler, and Sluice's copy of it for the primary. The user's HPA
 * (Git's) keeps scaling the target, which is the canary during a run (and stands by at 0 replicas
 * between runs: an HPA does nothing to a target at 0). `<hpa>-primary` has the same metrics,
 * bounds and behavior and scales `<target>-primary`, which serves the traffic. Sluice never edits
 * the user's HPA; it keeps its copy equal to it.
 */
import type { V2HorizontalPodAutoscaler } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import type { AutoscalerObservation } from '../rollout/model.js';
import { canonicalJson } from '../rollout/revision.js';
import {
  GENERATED_ANNOTATIONS,
  isManagedBySluice,
  MANAGED_BY,
  ownerReference,
  withoutTracking,
} from '../kube/ownership.js';
import { primaryName } from './generated.js';

type Hpa = V2HorizontalPodAutoscaler;

const targets = (h: Hpa, deployment: string): boolean =>
  h.spec?.scaleTargetRef.kind === 'Deployment' &&
  (h.spec.scaleTargetRef.apiVersion ?? 'apps/v1').startsWith('apps/') &&
  h.spec.scaleTargetRef.name === deployment;

/**
 * The user's HPA of the target: the one spec.autoscalerRef names (it must scale the target), else
 * the one whose scaleTargetRef is the target (Sluice's own copies never count). Several: the
 * first by name (Kubernetes lets several HPAs fight over one Deployment; name one with
 * autoscalerRef and remove the others).
 */
export function userAutoscaler(rollout: Rollout, hpas: readonly Hpa[]): Hpa | undefined {
  const ref = rollout.spec.autoscalerRef;
  const mine = (h: Hpa): boolean => !isManagedBySluice(h.metadata?.labels);
  if (ref !== undefined)
    return hpas.find((h) => h.metadata?.name === ref.name && mine(h) && targets(h, rollout.spec.targetRef.name));
  return hpas
    .filter((h) => mine(h) && targets(h, rollout.spec.targetRef.name))
    .sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''))[0];
}

export const copyName = (user: Hpa): string => `${user.metadata?.name ?? ''}-primary`;

/**
 * `<hpa>-primary`: the user's spec, scaling `<target>-primary`, with `minReplicas` (the planner
 * raises it during a run so that the primary keeps the capacity to take all traffic back).
 */
export function autoscalerCopy(rollout: Rollout, user: Hpa, minReplicas = user.spec?.minReplicas ?? 1): Hpa {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: copyName(user),
      namespace: rollout.metadata.namespace,
      labels: { ...withoutTracking(user.metadata?.labels), ...MANAGED_BY },
      annotations: { ...GENERATED_ANNOTATIONS },
      ownerReferences: [ownerReference(rollout)],
    },
    spec: {
      ...structuredClone(user.spec ?? { maxReplicas: 1, scaleTargetRef: { kind: 'Deployment', name: '' } }),
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: primaryName(rollout) },
      minReplicas,
    },
  };
}

/** A spec as compared with the user's: everything but minReplicas (which the planner decides). */
const comparable = (spec: Hpa['spec']): string => canonicalJson({ ...spec, minReplicas: undefined });

/** Sluice's copies that belong to this Rollout (by owner) but are not the copy of its HPA now. */
function strayCopies(rollout: Rollout, hpas: readonly Hpa[], keep: string | undefined): string[] {
  const uid = rollout.metadata.uid;
  if (uid === undefined) return [];
  return hpas
    .filter(
      (h) =>
        isManagedBySluice(h.metadata?.labels) &&
        h.metadata?.name !== keep &&
        (h.metadata?.ownerReferences ?? []).some((o) => o.kind === 'Rollout' && o.uid === uid),
    )
    .map((h) => h.metadata?.name ?? '');
}

function copyState(have: Hpa | undefined, want: Hpa): AutoscalerObservation['copy'] {
  if (have === undefined) return 'missing';
  if (!isManagedBySluice(have.metadata?.labels)) return 'foreign';
  return comparable(have.spec) === comparable(want.spec) ? 'ok' : 'drifted';
}

/** What the planner needs to know about autoscaling: the user's HPA and where its copy stands. */
export function observeAutoscaler(
  rollout: Rollout,
  hpas: readonly Hpa[],
): { autoscaler?: AutoscalerObservation; strayAutoscalers?: string[]; missingAutoscaler?: string } {
  const user = userAutoscaler(rollout, hpas);
  const stray = strayCopies(rollout, hpas, user === undefined ? undefined : copyName(user));
  const strays = stray.length === 0 ? {} : { strayAutoscalers: stray };
  const ref = rollout.spec.autoscalerRef;
  if (user === undefined)
    return ref === undefined ? strays : { ...strays, missingAutoscaler: `${ref.kind}/${ref.name}` };
  const have = hpas.find((h) => h.metadata?.name === copyName(user));
  const copy = copyState(have, autoscalerCopy(rollout, user));
  return {
    ...strays,
    autoscaler: {
      name: user.metadata?.name ?? '',
      copy,
      minReplicas: user.spec?.minReplicas ?? 1,
      maxReplicas: user.spec?.maxReplicas ?? 1,
      ...(have?.spec?.minReplicas === undefined ? {} : { copyMinReplicas: have.spec.minReplicas }),
    },
  };
}

/** Whether a change of `h` concerns `r`: it scales r's target or primary, or r names it. */
export function concernsAutoscaler(r: Rollout, h: Hpa): boolean {
  if (r.spec.autoscalerRef?.name === h.metadata?.name) return true;
  return targets(h, r.spec.targetRef.name) || targets(h, primaryName(r));
}
