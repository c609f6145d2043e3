/**
 * `<target>-primary` serves every request between runs: it is kept as Sluice made it. Deleted or
 * scaled to 0 outside Sluice, it is restored (recreated from the target while the target holds
 * the stable revision, scaled back to status.primaryReplicas); its pod template or `-primary`
 * config copies changed by hand, it is rewritten. Resized to any other size, the size is kept.
 * While it cannot serve, condition PrimaryAvailable is False and a Warning says why and what to do.
 */
import { deletionTimestamp } from '../api/schema/meta.js';
import type { Pass } from './context.js';
import type { Observations } from './model.js';
import type { Reason } from './reasons.js';
import type { Rollout } from '../api/schema/rollout.js';
import type { RolloutStatus } from '../api/schema/rollout-status.js';

const primaryOf = (r: Rollout): string => `${r.spec.targetRef.name}-primary`;

/**
 * The size the primary is kept at: the size it has, as long as it has any (someone — a person, an
 * autoscaler — may resize it; Sluice never fights that), else the last one recorded; at least 1.
 */
export function desiredPrimaryReplicas(p: Pass): number {
  const now = p.obs.primary?.replicas ?? 0;
  return Math.max(1, now > 0 ? now : (p.status.primaryReplicas ?? p.obs.target?.replicas ?? 1));
}

/**
 * The primary's full size: the size it has between runs (the canary parked: Healthy, RolledBack,
 * Invalid); during a run and until the canary is parked again never lowered, so that its autoscaler or dynamicStableScale
 * shrinking it while the canary takes traffic does not shrink what takes all traffic back.
 */
function fullSize(p: Pass, desired: number): number {
  const s = p.status;
  const parked = (p.obs.target?.replicas ?? 0) === 0 && (p.obs.routedWeight ?? 0) === 0;
  const between = parked && !['Progressing', 'Paused', 'Promoting'].includes(s.phase ?? '');
  return between ? desired : Math.max(s.primaryReplicas ?? 0, desired);
}

/** Restores the primary when it was deleted, scaled to 0 or edited outside Sluice (not while a promotion rewrites it). */
export function reconcilePrimary(p: Pass): void {
  const s = p.status;
  const desired = desiredPrimaryReplicas(p);
  s.primaryReplicas = fullSize(p, desired);
  const primary = p.obs.primary;
  const stable = s.stableRevision ?? '';
  const name = primaryOf(p.rollout);
  if (primary === undefined) {
    if (p.obs.target?.revision !== stable) return; // nothing to rebuild it from: condition PrimaryAvailable says so
    p.act({ type: 'ensurePrimary', revision: stable, replicas: desired });
    p.event('Warning', 'PrimaryRestored', `${name} was deleted outside Sluice: created again from revision ${stable}.`);
    return;
  }
  if (primary.replicas === 0) {
    p.act({ type: 'scalePrimary', replicas: desired });
    p.event(
      'Warning',
      'PrimaryRestored',
      `${name} was scaled to ${primary.replicas} outside Sluice: scaled back to ${desired}.`,
    );
    return;
  }
  const drift = p.obs.primaryDrift ?? [];
  if (drift.length > 0 && primary.revision === stable) {
    p.act({ type: 'ensurePrimary', revision: stable, replicas: desired });
    p.event('Warning', 'PrimaryRestored', `${name}: ${drift.join('; ')} outside Sluice: restored revision ${stable}.`);
  }
}

/** Condition PrimaryAvailable: whether the primary exists and has a ready pod to serve with. */
export function primaryCondition(
  rollout: Rollout,
  s: RolloutStatus,
  obs: Observations,
): { ok: boolean; reason: Reason; message: string } {
  const name = primaryOf(rollout);
  const primary = obs.primary;
  if (primary === undefined) return { ok: false, reason: 'PrimaryMissing', message: missingMessage(rollout, s, obs) };
  if (primary.readyReplicas === 0)
    return {
      ok: false,
      reason: 'PrimaryNotReady',
      message: `${name} has no ready pod (0/${primary.replicas}): requests to the primary fail until one is ready.`,
    };
  return {
    ok: true,
    reason: 'PrimaryReady',
    // (no pod counts here: a message that changes with every pod would rewrite status each time)
    message: `${name} has ready pods.`,
  };
}

function missingMessage(rollout: Rollout, s: RolloutStatus, obs: Observations): string {
  const missing = `${primaryOf(rollout)} does not exist`;
  if (deletionTimestamp(rollout) !== undefined) return `${missing}; the Rollout is being deleted.`;
  if (s.phase === 'Promoting') return `${missing}; the promotion creates it from revision ${s.canaryRevision ?? ''}.`;
  if (obs.target?.revision === s.stableRevision)
    return `${missing} (deleted outside Sluice); it is being created again from revision ${s.stableRevision ?? ''}.`;
  const fix =
    s.phase === 'RolledBack'
      ? 'put the stable revision back in Git, or run the canary again and promote it (sluice retry, then sluice promote)'
      : 'put the stable revision back in Git, or promote the canary (sluice promote)';
  return `${missing} (deleted outside Sluice) and cannot be rebuilt: ${rollout.spec.targetRef.name} holds revision ${obs.target?.revision ?? '(none)'}, not the stable ${s.stableRevision ?? ''}. Requests to the primary fail: ${fix}.`;
}

/** A Warning when the primary stops being available (once per cause). */
export function primaryEvent(p: Pass, rollout: Rollout, obs: Observations): void {
  if (p.status.stableRevision === undefined) return;
  const c = primaryCondition(rollout, p.status, obs);
  const before = rollout.status?.conditions?.find((x) => x.type === 'PrimaryAvailable');
  if (!c.ok && before?.reason !== c.reason) p.event('Warning', c.reason, c.message);
}
