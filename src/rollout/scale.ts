/**
 * How many replicas the primary and the canary run. The primary's full size is
 * status.primaryReplicas: its size between runs (a person or its autoscaler may resize it), never
 * lowered during a run, so that a promotion or rollback gives it back at least the capacity it
 * had. The canary is sized by the target's autoscaler when it has one, else by
 * spec.strategy.canary.canaryScale, else like the primary. And the copy of the target's
 * autoscaler for the primary is kept equal to it.
 */
import type { Rollout } from '../api/schema/rollout.js';
import type { Pass } from './context.js';
import type { Observations } from './model.js';
import type { Reason } from './reasons.js';

/** The replicas the primary serves all traffic with. */
export function fullPrimaryReplicas(p: Pass): number {
  return Math.max(1, p.status.primaryReplicas ?? p.obs.primary?.replicas ?? p.obs.target?.replicas ?? 1);
}

/** The weight the run goes to next (the next setWeight step from the current one), at least the one it holds. */
function upcomingWeight(p: Pass): number {
  const steps = p.rollout.spec.strategy.canary.steps;
  const index = p.status.currentStepIndex ?? 0;
  const next = steps.slice(index).find((s) => s.setWeight !== undefined)?.setWeight;
  return Math.max(next ?? 100, p.status.canaryWeight ?? 0);
}

/** The replicas the canary needs to take `weight`% of the traffic. */
export function canaryReplicasFor(p: Pass, weight: number): number {
  const autoscaler = p.obs.autoscaler;
  // the autoscaler sizes it from its minimum on (an HPA does nothing to a target at 0)
  if (autoscaler !== undefined) return Math.max(1, autoscaler.minReplicas);
  const scale = p.rollout.spec.strategy.canary.canaryScale;
  const full = fullPrimaryReplicas(p);
  if (scale?.replicas !== undefined) return scale.replicas;
  if (scale?.percent !== undefined) return Math.max(1, Math.ceil((full * scale.percent) / 100));
  if (scale?.matchTrafficWeight === true) return Math.max(1, Math.ceil((full * weight) / 100));
  return full;
}

/** The replicas the canary is scaled up to from 0: enough for the weight it goes to next. */
export function canaryReplicas(p: Pass): number {
  return canaryReplicasFor(p, upcomingWeight(p));
}

/**
 * How many ready replicas the canary needs before it takes `weight`%: with canaryScale
 * matchTrafficWeight, all it needs for that weight (it was resized for it); else one.
 */
export function readyCanaryNeeded(p: Pass, weight: number): number {
  const match = p.rollout.spec.strategy.canary.canaryScale?.matchTrafficWeight === true;
  return match && p.obs.autoscaler === undefined ? canaryReplicasFor(p, weight) : 1;
}

/**
 * The primary's size for a promotion: what it serves with now, at least its full size, and at
 * least what the canary serves with (the load may have grown during the run); within the
 * autoscaler's maximum, which takes over after.
 */
export function promotionReplicas(p: Pass): number {
  const now = p.obs.primary?.replicas ?? 0;
  const want = Math.max(now, fullPrimaryReplicas(p), p.obs.target?.replicas ?? 0);
  const max = p.obs.autoscaler?.maxReplicas;
  return max === undefined ? want : Math.max(1, now, Math.min(want, max));
}

/**
 * The minimum of `<hpa>-primary`: the user's between runs; while a run goes on (until the canary
 * is parked again) the primary's full size, so that it never shrinks while the canary takes
 * traffic and can take all of it back at once (a promotion, a rollback). Within the maximum.
 */
function copyMinimum(p: Pass, a: NonNullable<Observations['autoscaler']>): number {
  const phase = p.status.phase ?? '';
  const run = ['Progressing', 'Paused', 'Promoting'].includes(phase) || (p.obs.target?.replicas ?? 0) > 0;
  return run ? Math.min(a.maxReplicas, Math.max(a.minReplicas, fullPrimaryReplicas(p))) : a.minReplicas;
}

/** Keeps `<hpa>-primary` equal to the target's HPA (its minimum as copyMinimum says), and removes stray copies. */
export function autoscale(p: Pass): void {
  const a = p.obs.autoscaler;
  if (p.obs.primary !== undefined && a !== undefined && a.copy !== 'foreign') {
    const min = copyMinimum(p, a);
    if (a.copy !== 'ok' || a.copyMinReplicas !== min) {
      p.act({ type: 'ensureAutoscaler', minReplicas: min });
      p.event('Normal', 'AutoscalerCopied', copiedMessage(p, a, min));
    }
  }
  for (const name of p.obs.strayAutoscalers ?? []) {
    p.act({ type: 'deleteAutoscaler', name });
    p.event('Normal', 'AutoscalerRemoved', `Deleted HorizontalPodAutoscaler ${name}: the target's autoscaler is gone.`);
  }
}

function copiedMessage(p: Pass, a: NonNullable<Observations['autoscaler']>, min: number): string {
  const copy = `HorizontalPodAutoscaler ${a.name}-primary`;
  const primary = `${p.rollout.spec.targetRef.name}-primary`;
  if (a.copy === 'missing') return `Created ${copy}, a copy of ${a.name} that scales ${primary}.`;
  if (a.copy === 'drifted') return `Updated ${copy} to what ${a.name} says now.`;
  return min > a.minReplicas
    ? `${copy}: minimum raised to ${min} while the run goes on, so that ${primary} keeps the capacity to take all traffic back.`
    : `${copy}: minimum back to ${a.name}'s ${a.minReplicas}.`;
}

/** Condition Autoscaled, when the target has an autoscaler or spec.autoscalerRef names one. */
export function autoscalerCondition(
  rollout: Rollout,
  obs: Observations,
): { ok: boolean; reason: Reason; message: string } | undefined {
  const a = obs.autoscaler;
  const target = rollout.spec.targetRef.name;
  if (a !== undefined)
    return {
      ok: true,
      reason: 'PrimaryAutoscaled',
      message: `HorizontalPodAutoscaler ${a.name}-primary scales ${target}-primary (${a.minReplicas}-${a.maxReplicas} replicas); ${a.name} sizes the canary during a run.`,
    };
  if (obs.missingAutoscaler === undefined) return undefined;
  return {
    ok: false,
    reason: 'AutoscalerNotFound',
    message: `spec.autoscalerRef names ${obs.missingAutoscaler}, which does not exist in namespace ${rollout.metadata.namespace ?? 'default'}: ${target}-primary keeps its size until it does.`,
  };
}

/** A Warning when the named autoscaler goes missing (once). */
export function autoscalerEvent(p: Pass, rollout: Rollout, obs: Observations): void {
  const c = autoscalerCondition(rollout, obs);
  const before = rollout.status?.conditions?.find((x) => x.type === 'Autoscaled');
  if (c !== undefined && !c.ok && before?.reason !== c.reason) p.event('Warning', c.reason, c.message);
}
