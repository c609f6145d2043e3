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
import type { Action, AutoscalerObservation, Observations, WorkloadObservation } from './model.js';
import type { RolloutStatus } from '../api/schema/rollout-status.js';
import type { Reason } from './reasons.js';

/** The replicas the primary serves all traffic with. */
export function fullPrimaryReplicas(p: Pass): number {
  return Math.max(1, p.status.primaryReplicas ?? p.obs.primary?.replicas ?? p.obs.target?.replicas ?? 1);
}

/** With dynamicStableScale (and no autoscaler): the primary's size while the canary has `weight`%. */
export function dynamicPrimaryReplicas(p: Pass, weight: number): number | undefined {
  if (p.rollout.spec.strategy.canary.dynamicStableScale !== true || p.obs.autoscaler !== undefined) return undefined;
  return Math.max(1, Math.ceil((fullPrimaryReplicas(p) * (100 - weight)) / 100));
}

/**
 * The traffic goes back to the primary now, whatever its size (it cannot wait): a primary that
 * dynamicStableScale shrank is scaled back up alongside.
 */
export function growPrimary(p: Pass): void {
  primaryReadyFor(p, 0);
}

/**
 * Before the primary's share grows to 100 - `weight`% (dynamicStableScale): it is scaled up to
 * its size for that share, and every pod of it ready. True when it is (or the mode is off);
 * otherwise `why` says what it waits for.
 */
export function primaryReadyFor(p: Pass, weight: number): { ready: true } | { ready: false; why: string } {
  const want = dynamicPrimaryReplicas(p, weight);
  const primary = p.obs.primary;
  const s = p.status;
  if (want === undefined || primary === undefined || (primary.readyReplicas >= want && primary.rolledOut)) {
    delete s.primaryGrowingSince;
    return { ready: true };
  }
  const name = `${p.rollout.spec.targetRef.name}-primary`;
  if (primary.replicas < want) p.act({ type: 'scalePrimary', replicas: want });
  // it may never get there (no room in the cluster): then the traffic goes back anyway, with a Warning
  s.primaryGrowingSince ??= p.preciseIso;
  const deadlineS = p.rollout.spec.progressDeadlineSeconds ?? 600;
  const leftMs = deadlineS * 1000 - (p.now.getTime() - Date.parse(s.primaryGrowingSince));
  if (leftMs <= 0) {
    delete s.primaryGrowingSince;
    p.event(
      'Warning',
      'PrimaryNotScaled',
      `${name} did not get ${want} ready pods within ${deadlineS}s (${primary.readyReplicas} ready): traffic moves to it anyway.`,
    );
    return { ready: true };
  }
  p.requeue(leftMs);
  return {
    ready: false,
    why: `scaling ${name} up to ${want} (${primary.readyReplicas} ready) before its traffic grows`,
  };
}

/** Once the canary has `weight`% (dynamicStableScale): the primary shrinks to its size for the rest. */
export function shrinkPrimary(p: Pass, weight: number): void {
  const want = dynamicPrimaryReplicas(p, weight);
  if (want !== undefined && (p.obs.primary?.replicas ?? 0) > want) p.act({ type: 'scalePrimary', replicas: want });
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
  const full = fullPrimaryReplicas(p);
  // sized for the weight (an HPA does nothing to a target at 0, and would take minutes to grow
  // one from its minimum), within the HPA's bounds; the HPA sizes it from there
  if (autoscaler !== undefined)
    return Math.max(1, autoscaler.minReplicas, Math.min(autoscaler.maxReplicas, Math.ceil((full * weight) / 100)));
  const scale = p.rollout.spec.strategy.canary.canaryScale;
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
 * least what the canary serves with. Under an autoscaler that grew the canary beyond its minimum
 * (the load grew), what the canary's size at its weight makes of all the traffic; within the
 * autoscaler's maximum, which takes over after.
 */
export function promotionReplicas(p: Pass): number {
  const now = p.obs.primary?.replicas ?? 0;
  const canary = p.obs.target?.replicas ?? 0;
  const a = p.obs.autoscaler;
  const weight = p.obs.routedWeight ?? 0;
  const extrapolated = a !== undefined && canary > a.minReplicas && weight > 0 ? Math.ceil((canary * 100) / weight) : 0;
  const want = Math.max(now, fullPrimaryReplicas(p), canary, extrapolated);
  return a === undefined ? want : Math.max(1, now, Math.min(want, a.maxReplicas));
}

/**
 * The minimum of `<hpa>-primary`: the user's between runs; while a run goes on (until the canary
 * is parked again) the primary's full size, so that it never shrinks while the canary takes
 * traffic and can take all of it back at once (a promotion, a rollback). Within the maximum.
 */
function copyMinimum(p: Pass, a: NonNullable<Observations['autoscaler']>): number {
  const phase = p.status.phase ?? '';
  const run = ['Progressing', 'Paused', 'Promoting'].includes(phase) || (p.obs.target?.replicas ?? 0) > 0;
  // never 0 (HPAScaleToZero): the primary serves every request, and nothing here wakes it up
  const min = Math.max(1, a.minReplicas);
  return run ? Math.max(min, Math.min(a.maxReplicas, fullPrimaryReplicas(p))) : min;
}

/**
 * Whether the copy of the target's HPA holds the primary at its full size (the minimum
 * copyMinimum says): traffic moves to the canary only then, so that the primary cannot shrink
 * under it. True without an autoscaler.
 */
export function autoscalerHolds(p: Pass): boolean {
  const a = p.obs.autoscaler;
  return a === undefined || a.copy === 'foreign' || (a.copy === 'ok' && a.copyMinReplicas === copyMinimum(p, a));
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
  for (const stray of p.obs.strayAutoscalers ?? []) {
    const [kind, name] = stray.split('/', 2) as [AutoscalerObservation['kind'], string];
    p.act({ type: 'deleteAutoscaler', kind, name });
    p.event('Normal', 'AutoscalerRemoved', `Deleted ${kind} ${name}: the target's autoscaler is gone.`);
  }
}

/** Whether Sluice keeps the target at 0 after this pass (a Rollout that serves from its primary, valid). */
function parkedByThisPass(p: Pass): boolean {
  const scaled = p.actions.filter((x) => x.type === 'scaleCanary').at(-1);
  const replicas = scaled?.replicas ?? p.obs.target?.replicas ?? 0;
  const serving = p.status.stableRevision !== undefined && (p.obs.primary?.readyReplicas ?? 0) > 0;
  return replicas === 0 && serving && p.status.phase !== 'Invalid';
}

/**
 * A KEDA ScaledObject on the target would activate it between runs (KEDA scales a target below its
 * minimum, or at 0 with an active trigger, up to max(min, 1)): Sluice pauses it while it keeps the
 * target parked — initialized, the primary serving, nothing Invalid or in conflict — with
 * `autoscaling.keda.sh/paused-replicas: "0"` and its mark `sluice.dev/paused-by`, and resumes it
 * as soon as the target gets replicas (a run, a restart, a deletion's hand-over). Each write goes
 * before the pass's first scaling of the target, so that KEDA never undoes it. A deleted Rollout
 * lets go only once every ScaledObject it paused is resumed (ADR 2).
 */
export function pauseTargetAutoscaler(p: Pass, deleting: boolean): void {
  const writes: Action[] = (p.obs.pausedScaledObjects ?? []).map((name) => ({
    type: 'pauseAutoscaler',
    name,
    paused: false,
  }));
  const a = p.obs.autoscaler;
  if (a?.kind === 'ScaledObject') {
    const parked = !deleting && parkedByThisPass(p);
    if (parked !== (a.paused === true)) writes.push({ type: 'pauseAutoscaler', name: a.name, paused: parked });
  }
  if (writes.length === 0) return;
  const first = p.actions.findIndex((x) => x.type === 'scaleCanary' || x.type === 'handOver');
  p.actions.splice(first < 0 ? p.actions.length : first, 0, ...writes);
  // the finalizer stays until the resumes are seen: nothing would lift a pause after the Rollout is gone
  const release = p.actions.findIndex((x) => x.type === 'removeFinalizer');
  if (release >= 0 && writes.some((w) => w.type === 'pauseAutoscaler' && !w.paused)) {
    p.actions.splice(release, 1);
    p.requeue(1000);
  }
}

function copiedMessage(p: Pass, a: NonNullable<Observations['autoscaler']>, min: number): string {
  const copy = `${a.kind} ${a.name}-primary`;
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
      message: [
        `${a.kind} ${a.name}-primary scales ${target}-primary (${a.minReplicas}-${a.maxReplicas} replicas);`,
        `${a.name} sizes the canary during a run${a.kind === 'ScaledObject' ? ' and is paused between runs' : ''}.`,
      ].join(' '),
    };
  if (obs.missingAutoscaler === undefined) return undefined;
  return {
    ok: false,
    reason: 'AutoscalerNotFound',
    message: `spec.autoscalerRef names ${obs.missingAutoscaler}, which does not exist in namespace ${rollout.metadata.namespace ?? 'default'} or does not scale Deployment ${target}: ${target}-primary keeps its size until it does.`,
  };
}

/** A Warning when the named autoscaler goes missing (once). */
export function autoscalerEvent(p: Pass, rollout: Rollout, obs: Observations): void {
  const c = autoscalerCondition(rollout, obs);
  const before = rollout.status?.conditions?.find((x) => x.type === 'Autoscaled');
  if (c !== undefined && !c.ok && before?.reason !== c.reason) p.event('Warning', c.reason, c.message);
}

/** status.replicas: the primary's and the canary's replicas as this pass saw them. */
export function replicaStatus(obs: Observations): RolloutStatus['replicas'] {
  const of = (w: WorkloadObservation | undefined): { replicas: number; ready: number } | undefined =>
    w === undefined ? undefined : { replicas: w.replicas, ready: w.readyReplicas };
  const primary = of(obs.primary);
  const canary = of(obs.target);
  if (primary === undefined && canary === undefined) return undefined;
  return { ...(primary === undefined ? {} : { primary }), ...(canary === undefined ? {} : { canary }) };
}
