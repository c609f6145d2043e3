/**
 * The target's autoscaler — a HorizontalPodAutoscaler or a KEDA ScaledObject — and Sluice's copy
 * of it for the primary. The user's (Git's) keeps scaling the target, which is the canary during
 * a run; `<name>-primary` has the same spec and scales `<target>-primary`, which serves the
 * traffic. Sluice never edits the user's spec and keeps its copy equal to it. Between runs an HPA
 * stands by at 0 replicas by itself; KEDA would activate the target (scale it to its minimum), so
 * Sluice pauses a ScaledObject then (`autoscaling.keda.sh/paused-replicas: "0"`, as Flagger does).
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import type { AutoscalerObservation, Observations } from '../rollout/model.js';
import { isManagedBySluice } from '../kube/ownership.js';
import {
  autoscalerCopy,
  bounds,
  comparable,
  copyName,
  minimumOf,
  pausedBy,
  scalesDeployment,
  targetsDeployment,
  type Hpa,
  type ScaledObject,
  type UserAutoscaler,
} from './autoscaler-kinds.js';
import { primaryName } from './generated.js';

/** The autoscalers of a namespace, as the caches hold them. */
export interface Autoscalers {
  hpas: readonly Hpa[];
  scaledObjects: readonly ScaledObject[];
}

const mine = (o: KubernetesObject): boolean => !isManagedBySluice(o.metadata?.labels);
/** KEDA's own HPA of a ScaledObject (`keda-hpa-<name>`) is KEDA's business, never the user's autoscaler. */
const kedas = (h: Hpa): boolean => (h.metadata?.ownerReferences ?? []).some((o) => o.kind === 'ScaledObject');
const byName = (a: KubernetesObject, b: KubernetesObject): number =>
  (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

/**
 * The user's autoscaler of the target: the one spec.autoscalerRef names (it must scale the
 * target), else a ScaledObject whose scaleTargetRef is the target, else such an HPA (not KEDA's
 * own; Sluice's copies never count). Several: the first by name (name one with autoscalerRef and
 * remove the others).
 */
export function userAutoscaler(rollout: Rollout, all: Autoscalers): UserAutoscaler | undefined {
  const ref = rollout.spec.autoscalerRef;
  const target = rollout.spec.targetRef.name;
  const sos = all.scaledObjects
    .filter((o) => mine(o) && (ref === undefined || o.metadata?.name === ref.name))
    .map((object): UserAutoscaler => ({ kind: 'ScaledObject', object }));
  const hpas = all.hpas
    .filter((h) => mine(h) && !kedas(h) && (ref === undefined || h.metadata?.name === ref.name))
    .map((object): UserAutoscaler => ({ kind: 'HorizontalPodAutoscaler', object }));
  const candidates = (ref === undefined ? [...sos, ...hpas] : [...sos, ...hpas].filter((a) => a.kind === ref.kind))
    .filter((a) => targetsDeployment(a, target))
    .sort((a, b) => (a.kind === b.kind ? byName(a.object, b.object) : a.kind === 'ScaledObject' ? -1 : 1));
  return candidates[0];
}

/** Sluice's copies that belong to this Rollout (by owner) but are not the copy of its autoscaler now, as `Kind/name`. */
function strayCopies(rollout: Rollout, all: Autoscalers, keep: string | undefined): string[] {
  const uid = rollout.metadata.uid;
  if (uid === undefined) return [];
  const stray = (o: KubernetesObject): boolean =>
    isManagedBySluice(o.metadata?.labels) &&
    `${o.kind ?? ''}/${o.metadata?.name ?? ''}` !== keep &&
    (o.metadata?.ownerReferences ?? []).some((r) => r.kind === 'Rollout' && r.uid === uid);
  return [
    ...all.hpas.map((h) => ({ ...h, kind: 'HorizontalPodAutoscaler' })),
    ...all.scaledObjects.map((o) => ({ ...o, kind: 'ScaledObject' })),
  ]
    .filter(stray)
    .map((o) => `${o.kind}/${o.metadata?.name ?? ''}`);
}

function copyState(have: KubernetesObject | undefined, want: KubernetesObject): AutoscalerObservation['copy'] {
  if (have === undefined) return 'missing';
  if (!isManagedBySluice(have.metadata?.labels)) return 'foreign';
  return comparable(have) === comparable(want) ? 'ok' : 'drifted';
}

/** The copy of `a` as the caches hold it. */
export function existingCopy(a: UserAutoscaler, all: Autoscalers): KubernetesObject | undefined {
  const list: readonly KubernetesObject[] = a.kind === 'ScaledObject' ? all.scaledObjects : all.hpas;
  return list.find((o) => o.metadata?.name === copyName(a));
}

/** What the planner needs to know about autoscaling: the user's autoscaler and where its copy stands. */
export function observeAutoscaler(
  rollout: Rollout,
  all: Autoscalers,
): Pick<Observations, 'autoscaler' | 'strayAutoscalers' | 'missingAutoscaler' | 'pausedScaledObjects'> {
  const user = userAutoscaler(rollout, all);
  const stray = strayCopies(rollout, all, user === undefined ? undefined : `${user.kind}/${copyName(user)}`);
  // ScaledObjects this Rollout paused that are no longer its target's (renamed, retargeted): resumed
  const pausedOthers = all.scaledObjects
    .filter((o) => pausedBy(o, rollout.metadata.uid) && o !== user?.object)
    .map((o) => o.metadata?.name ?? '');
  const strays = {
    ...(stray.length === 0 ? {} : { strayAutoscalers: stray }),
    ...(pausedOthers.length === 0 ? {} : { pausedScaledObjects: pausedOthers }),
  };
  const ref = rollout.spec.autoscalerRef;
  if (user === undefined)
    return ref === undefined ? strays : { ...strays, missingAutoscaler: `${ref.kind}/${ref.name}` };
  const have = existingCopy(user, all);
  const copyMin = have === undefined ? undefined : minimumOf(user.kind, have);
  const { min, max } = bounds(user);
  return {
    ...strays,
    autoscaler: {
      kind: user.kind,
      name: user.object.metadata?.name ?? '',
      copy: copyState(have, autoscalerCopy(rollout, user)),
      minReplicas: min,
      maxReplicas: max,
      ...(copyMin === undefined ? {} : { copyMinReplicas: copyMin }),
      ...(user.kind === 'ScaledObject' ? { paused: pausedBy(user.object, rollout.metadata.uid) } : {}),
    },
  };
}

/** Whether a change of an HPA or ScaledObject `o` concerns `r`: it scales r's target or primary, or r names it. */
export function concernsAutoscaler(
  r: Rollout,
  o: Hpa | ScaledObject,
  kind: 'HorizontalPodAutoscaler' | 'ScaledObject',
): boolean {
  if (r.spec.autoscalerRef?.name === o.metadata?.name) return true;
  const ref = o.spec?.scaleTargetRef;
  const defaulted = kind === 'ScaledObject';
  return scalesDeployment(ref, r.spec.targetRef.name, defaulted) || scalesDeployment(ref, primaryName(r), defaulted);
}
