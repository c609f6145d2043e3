/**
 * Autoscaling warnings (docs/autoscaling.md): a replica count in Git that a GitOps tool would set
 * back under an HPA, an HPA that leaves a released service no headroom, and canaryScale or
 * dynamicStableScale where an HPA sizes the canary and the primary. They apply when the objects involved are among the lint inputs.
 */
import { warning, type ObjectWarning } from '../api/problem.js';
import type { Rollout } from '../api/schema/rollout.js';

interface Hpa {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: { minReplicas?: unknown; scaleTargetRef?: { kind?: unknown; name?: unknown } };
}

interface Workload {
  apiVersion?: unknown;
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: { replicas?: unknown };
}

const isObject = (o: unknown): o is Record<string, unknown> => typeof o === 'object' && o !== null && !Array.isArray(o);

function hpas(others: readonly unknown[]): Hpa[] {
  return others.filter(
    (o): o is Hpa =>
      isObject(o) &&
      o['kind'] === 'HorizontalPodAutoscaler' &&
      typeof o['apiVersion'] === 'string' &&
      o['apiVersion'].startsWith('autoscaling/'),
  );
}

/** The HPA (among `list`) that scales Deployment `name` in `namespace`. */
function scaling(list: readonly Hpa[], name: unknown, namespace: unknown): Hpa | undefined {
  return list.find(
    (h) =>
      h.spec?.scaleTargetRef?.kind === 'Deployment' &&
      h.spec.scaleTargetRef.name === name &&
      (h.metadata?.namespace ?? namespace) === namespace,
  );
}

/** Deployments in Git with spec.replicas that an HPA in Git scales. */
function replicaWarnings(list: readonly Hpa[], others: readonly unknown[]): ObjectWarning[] {
  const out: ObjectWarning[] = [];
  for (const o of others) {
    if (!isObject(o) || o['kind'] !== 'Deployment') continue;
    const d = o as Workload;
    const hpa = scaling(list, d.metadata?.name, d.metadata?.namespace);
    if (hpa === undefined || d.spec?.replicas === undefined) continue;
    out.push({
      object: o,
      problem: warning(
        ['spec', 'replicas'],
        `is set, and HorizontalPodAutoscaler "${String(hpa.metadata?.name)}" scales this Deployment: Argo CD / Flux would set it back on every sync and fight the HPA; remove it from Git (docs/autoscaling.md)`,
      ),
    });
  }
  return out;
}

/** What an HPA on a Rollout's target means for that Rollout. */
function rolloutWarnings(r: Rollout, hpa: Hpa): ObjectWarning[] {
  const out: ObjectWarning[] = [];
  const target = r.spec.targetRef.name;
  const min = hpa.spec?.minReplicas ?? 1;
  if (min === 1)
    out.push({
      object: hpa,
      problem: warning(
        ['spec', 'minReplicas'],
        `is 1 for Deployment "${target}", which Rollout "${r.metadata.name}" releases: its copy lets ${target}-primary, which serves all traffic, run on one pod at quiet times (no headroom for a restart or a lost node); set 2 or more`,
      ),
    });
  if (r.spec.strategy.canary.canaryScale !== undefined)
    out.push({
      object: r,
      problem: warning(
        ['spec', 'strategy', 'canary', 'canaryScale'],
        `is not used: HorizontalPodAutoscaler "${String(hpa.metadata?.name)}" scales ${target}, so it sizes the canary; remove canaryScale`,
      ),
    });
  if (r.spec.strategy.canary.dynamicStableScale === true)
    out.push({
      object: r,
      problem: warning(
        ['spec', 'strategy', 'canary', 'dynamicStableScale'],
        `is not used: HorizontalPodAutoscaler "${String(hpa.metadata?.name)}" scales ${target}, so its copy sizes ${target}-primary; remove dynamicStableScale`,
      ),
    });
  return out;
}

/** KEDA ScaledObjects on a Rollout's target: not supported yet (docs/autoscaling.md). */
function kedaWarnings(rollouts: readonly Rollout[], others: readonly unknown[]): ObjectWarning[] {
  const out: ObjectWarning[] = [];
  for (const o of others) {
    if (!isObject(o) || o['kind'] !== 'ScaledObject' || !String(o['apiVersion']).startsWith('keda.sh/')) continue;
    const so = o as Hpa;
    const ref = so.spec?.scaleTargetRef;
    const r = rollouts.find(
      (x) =>
        ref?.name === x.spec.targetRef.name &&
        (ref.kind ?? 'Deployment') === 'Deployment' &&
        (so.metadata?.namespace ?? x.metadata.namespace) === x.metadata.namespace,
    );
    if (r === undefined) continue;
    out.push({
      object: o,
      problem: warning(
        ['spec', 'scaleTargetRef'],
        `scales Deployment "${r.spec.targetRef.name}", which Rollout "${r.metadata.name}" releases: Sluice does not support KEDA yet — KEDA would scale the target up between runs while Sluice keeps it at 0, and ${r.spec.targetRef.name}-primary would not autoscale; use a HorizontalPodAutoscaler (docs/autoscaling.md)`,
      ),
    });
  }
  return out;
}

export function autoscalingWarnings(rollouts: readonly Rollout[], others: readonly unknown[]): ObjectWarning[] {
  const list = hpas(others);
  const keda = kedaWarnings(rollouts, others);
  if (list.length === 0) return keda;
  const out = [...keda, ...replicaWarnings(list, others)];
  for (const r of rollouts) {
    const named = r.spec.autoscalerRef?.name;
    const hpa =
      named === undefined
        ? scaling(list, r.spec.targetRef.name, r.metadata.namespace)
        : list.find(
            (h) =>
              h.metadata?.name === named && (h.metadata.namespace ?? r.metadata.namespace) === r.metadata.namespace,
          );
    if (hpa !== undefined) out.push(...rolloutWarnings(r, hpa));
  }
  return out;
}

/** Whether an HPA among `others` scales Deployment `name` (its replica count is then autoscaling's to warn about). */
export function autoscaled(others: readonly unknown[], name: unknown, namespace: unknown): boolean {
  return scaling(hpas(others), name, namespace) !== undefined;
}
