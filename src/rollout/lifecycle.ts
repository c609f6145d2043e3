/**
 * The transitions around a run: initialize, start, promote, roll back, and the steady states
 * (Healthy, RolledBack). Each either finds the world right, or asks for one change and ends the
 * pass; the next pass sees the change through the informers and goes on.
 */
import { deletionTimestamp } from '../api/schema/meta.js';
import { parseDuration } from '../api/duration.js';
import type { Pass } from './context.js';
import { FINALIZER } from './model.js';
import type { Reason } from './reasons.js';
import { canaryReplicas, growPrimary, primaryReadyFor, promotionReplicas } from './scale.js';

function targetOf(p: Pass): { revision: string; replicas: number; readyReplicas: number } {
  const t = p.obs.target;
  if (t === undefined) throw new Error('the planner needs a target here');
  return t;
}

/**
 * Creates the generated routing objects someone deleted (once per pass); after initialization
 * this is worth a Warning. True when something was missing.
 */
export function restoreRouting(p: Pass): boolean {
  const missing = p.obs.missingRouting;
  if (missing.length === 0 && p.obs.routedWeight !== undefined) return false;
  if (p.actions.some((a) => a.type === 'ensureServices')) return true;
  p.act({ type: 'ensureServices' });
  if (p.status.stableRevision !== undefined && missing.length > 0)
    p.event('Warning', 'RoutingRestored', `Created ${missing.join(', ')} again: deleted outside Sluice.`);
  return true;
}

/** How long the canary keeps its replicas after its traffic went to 0 (spec.strategy.canary.scaleDownDelay). */
export function scaleDownDelayMs(p: Pass): number {
  return parseDuration(p.rollout.spec.strategy.canary.scaleDownDelay ?? '30s') ?? 30_000;
}

/** When a canary whose traffic goes to 0 now may be scaled down. */
function scaleDownDue(p: Pass): string {
  return new Date(p.now.getTime() + scaleDownDelayMs(p)).toISOString();
}

/** Routes the canary's traffic to the primary; the next pass, seeing it, starts the scale-down delay. */
function routeAllToPrimary(p: Pass): void {
  p.act({ type: 'setWeight', canaryWeight: 0 });
}

/**
 * Whether the canary, without traffic in the routing objects, must keep its replicas for now (a
 * pass is then due): scaleDownDelay for the proxies to get the routes. The delay counts from a
 * pass that saw the routing without canary traffic, stamped with the routing object's version: a
 * time from an earlier episode (another version) starts it again. So it never counts from before
 * the write that took the traffic away — whichever pass or replica wrote it, and even when the
 * status write planned with that write was refused (409) and the pass planned again.
 */
function scaleDownWait(p: Pass): boolean {
  const s = p.status;
  const version = p.obs.routingVersion;
  if (s.scaleDownAt === undefined || (version !== undefined && s.scaleDownRoutingVersion !== version)) {
    s.scaleDownAt = scaleDownDue(p);
    if (version === undefined) delete s.scaleDownRoutingVersion;
    else s.scaleDownRoutingVersion = version;
  }
  const waitMs = Date.parse(s.scaleDownAt) - p.now.getTime();
  if (waitMs <= 0) return false;
  p.requeue(waitMs);
  return true;
}

/** The canary is scaled down (or was): its scale-down clock is done. */
function scaledDown(p: Pass): void {
  delete p.status.scaleDownAt;
  delete p.status.scaleDownRoutingVersion;
}

/**
 * Where parking the canary stands: `rerouting` (this pass restores routing or moves traffic to
 * the primary), `waiting` (all traffic on the primary; the canary keeps its replicas until
 * status.scaleDownAt), `scaling` (this pass scales it to 0), `parked` (no traffic, no replicas).
 */
type Parking = 'rerouting' | 'waiting' | 'scaling' | 'parked';

/**
 * Routing to the primary only, then — scaleDownDelay later, when the proxies have the new routes
 * (Istio pushes a change in seconds, not at once) — the canary at 0 replicas.
 */
function parkCanary(p: Pass): Parking {
  return restoreRouting(p) ? 'rerouting' : parkTraffic(p);
}

/** parkCanary once the routing objects exist (or are being restored in this pass). */
function parkTraffic(p: Pass): Parking {
  if (p.obs.routedWeight !== 0) {
    // a primary shrunk by dynamicStableScale grows back, every pod ready, first
    if (primaryReadyFor(p, 0).ready) routeAllToPrimary(p);
    return 'rerouting';
  }
  if ((p.obs.target?.replicas ?? 0) === 0) {
    scaledDown(p);
    return 'parked';
  }
  if (scaleDownWait(p)) return 'waiting';
  // never the last pods serving: with the primary gone or not ready (deleted by hand), the canary stays
  if ((p.obs.primary?.readyReplicas ?? 0) === 0) return 'waiting';
  p.act({ type: 'scaleCanary', replicas: 0 });
  scaledDown(p);
  return 'scaling';
}

export function initialize(p: Pass): void {
  const target = targetOf(p);
  const primary = p.obs.primary;
  p.status.canaryWeight = 0;
  if (primary?.revision !== target.revision) {
    p.status.primaryReplicas = Math.max(1, target.replicas);
    p.act({ type: 'ensurePrimary', revision: target.revision, replicas: p.status.primaryReplicas });
    p.set(
      'Initializing',
      'Initializing',
      `Creating ${p.rollout.spec.targetRef.name}-primary from the current template.`,
    );
    return;
  }
  if (!primary.rolledOut || primary.readyReplicas < primary.replicas) {
    p.set(
      'Initializing',
      'WaitingForPrimary',
      `Waiting for ${p.rollout.spec.targetRef.name}-primary to be ready (${primary.readyReplicas}/${primary.replicas}).`,
    );
    return;
  }
  if (parkCanary(p) === 'rerouting') {
    p.set('Initializing', 'Initializing', 'Routing all traffic to the primary.');
    return;
  }
  p.status.stableRevision = target.revision;
  p.set(
    'Healthy',
    'Initialized',
    `Initialized: ${p.rollout.spec.targetRef.name}-primary serves revision ${target.revision}.`,
  );
  p.event('Normal', 'Initialized', `Revision ${target.revision} is stable; the primary serves all traffic.`);
}

/**
 * Deletion: the generated objects (primary, its Services, routing) go with the Rollout, so first
 * the target takes the traffic back — scaled up like the primary and rolled out, then every route
 * pointed at the Service clients call (never at a host that is about to go), then scaleDownDelay
 * for the proxies to have it — and only then the finalizer is released. A target that never
 * becomes ready within progressDeadlineSeconds does not hold the Rollout: the primary and the
 * routing are left in place, unowned, and keep serving.
 */
export function finalize(p: Pass): void {
  if (!(p.rollout.metadata.finalizers ?? []).includes(FINALIZER)) return;
  const deletion = p.obs.deletion ?? { handedOver: true, serviceIsSluices: false };
  p.set(
    p.status.phase ?? 'Healthy',
    'Finalizing',
    'The Rollout is being deleted: handing the traffic back to the target.',
  );
  if (!deletion.handedOver) {
    // (the next pass, seeing the hand-over's routes, starts the delay; a time from before says nothing)
    scaledDown(p);
    if (targetCanTakeOver(p)) p.act({ type: 'handOver' });
    return;
  }
  // the proxies must have the hand-over's routes before the -primary/-canary Services go
  if (scaleDownWait(p)) return;
  if (deletion.serviceIsSluices) p.act({ type: 'releaseService' });
  p.act({ type: 'removeFinalizer' });
}

/**
 * On deletion: whether the target is ready to take all traffic — scaled up like the primary and
 * rolled out. Past progressDeadlineSeconds from the deletion it never will: everything is left in
 * place, unowned, and the Rollout goes (false then too).
 */
function targetCanTakeOver(p: Pass): boolean {
  const target = p.obs.target;
  const replicas = Math.max(1, p.obs.primary?.replicas ?? 1);
  if (target !== undefined && target.replicas < replicas) {
    p.act({ type: 'scaleCanary', replicas });
    return false;
  }
  // every replica ready: it takes all traffic at once
  if (target !== undefined && target.rolledOut && target.readyReplicas >= target.replicas) return true;
  const deadlineMs = (p.rollout.spec.progressDeadlineSeconds ?? 600) * 1000;
  const since = Date.parse(deletionTimestamp(p.rollout) ?? '');
  const leftMs = since + deadlineMs - p.now.getTime();
  if (leftMs > 0) {
    p.requeue(leftMs);
    return false;
  }
  p.event(
    'Warning',
    'HandOverFailed',
    `${p.rollout.spec.targetRef.name} did not become ready within ${deadlineMs / 1000}s of the deletion: the primary, its Services and the routing stay, no longer owned by the Rollout.`,
  );
  p.act({ type: 'orphan' });
  p.act({ type: 'removeFinalizer' });
  return false;
}

/** No run in progress and the target is the stable revision. */
export function healthy(p: Pass, reason: Reason = 'Stable'): void {
  delete p.status.canaryRestart;
  p.status.canaryWeight = 0;
  // routing that had to be put right is news; the canary's scale-down after scaleDownDelay is not
  if (parkCanary(p) === 'rerouting' || p.status.phase !== 'Healthy') {
    p.set('Healthy', reason, `Revision ${p.status.stableRevision ?? ''} is stable; the primary serves all traffic.`);
  }
}

export function startRun(p: Pass, reason: 'NewRevision' | 'RestartedForNewRevision'): void {
  const target = targetOf(p);
  const s = p.status;
  s.canaryRevision = target.revision;
  s.currentStepIndex = 0;
  s.canaryWeight = 0;
  s.runStartedAt = p.preciseIso;
  s.stepStartedAt = p.preciseIso;
  delete s.metrics;
  delete s.progressStalledAt;
  // pods of an earlier revision still run: a template change would roll them, a config-only one not
  // (a scale-down delay already running after a promotion or rollback is kept)
  if (target.replicas > 0) s.canaryRestart = true;
  else {
    delete s.canaryRestart;
    scaledDown(p);
  }
  // the restart moves traffic, waits or scales itself, and always comes back (no pass may stall here)
  if (s.canaryRestart === true) restartCanary(p);
  else if (p.obs.routedWeight !== undefined && p.obs.routedWeight !== 0) {
    growPrimary(p);
    p.act({ type: 'setWeight', canaryWeight: 0 });
  } else if (target.replicas !== canaryReplicas(p)) p.act({ type: 'scaleCanary', replicas: canaryReplicas(p) });
  p.set('Progressing', reason, `Canary run for revision ${target.revision} started.`);
  p.event(
    'Normal',
    reason,
    `Revision ${target.revision} differs from the stable ${s.stableRevision ?? ''}: canary run started.`,
  );
}

/**
 * A run that started while the target had pods (status.canaryRestart): they may run an earlier
 * revision's ConfigMaps and Secrets, which a config-only change does not roll. Traffic off, then
 * scaleDownDelay for the proxies, then scaled to 0; the steps scale the canary up again with the
 * configs of this revision. True once the restart is done (or was not needed).
 */
export function restartCanary(p: Pass): boolean {
  const s = p.status;
  if (s.canaryRestart !== true) return true;
  const why = 'its pods may run the configs of an earlier revision';
  if ((p.obs.routedWeight ?? 0) !== 0) {
    s.canaryWeight = 0;
    const primary = primaryReadyFor(p, 0);
    if (primary.ready) routeAllToPrimary(p);
    p.set(
      'Progressing',
      'RestartingCanary',
      `Restarting the canary (${why}): ${primary.ready ? 'traffic back to the primary first' : primary.why}.`,
    );
    return false;
  }
  if ((p.obs.target?.replicas ?? 0) > 0) {
    if (!scaleDownWait(p)) {
      p.act({ type: 'scaleCanary', replicas: 0 });
      scaledDown(p);
    }
    p.set('Progressing', 'RestartingCanary', `Restarting the canary (${why}): scaling it to 0, then up again.`);
    return false;
  }
  delete s.canaryRestart;
  // (runStartedAt stays: it is the run's identity in its reports; background checks measured
  // nothing meanwhile, the canary having had no traffic)
  s.stepStartedAt = p.preciseIso;
  p.act({ type: 'scaleCanary', replicas: canaryReplicas(p) });
  p.set('Progressing', 'WaitingForCanary', 'The canary restarts with the configs of this revision.');
  return false;
}

/** Route everything to the primary; the canary is scaled to 0 scaleDownDelay later (rolledBack). */
export function rollBack(
  p: Pass,
  reason: 'AnalysisFailed' | 'Aborted' | 'ProgressDeadlineExceeded',
  why: string,
): void {
  const s = p.status;
  delete s.canaryRestart;
  s.rolledBackRevision = s.canaryRevision ?? p.obs.target?.revision ?? '';
  s.canaryWeight = 0;
  delete s.progressStalledAt;
  // traffic back to the primary (a primary shrunk by dynamicStableScale grows back first), or —
  // when the canary had none — its scale-down delay starts now: no later event would start it
  parkTraffic(p);
  p.set('RolledBack', reason, `Rolled back revision ${s.rolledBackRevision}: ${why}`);
  p.event('Warning', reason, `Rolled back revision ${s.rolledBackRevision}: ${why}`);
}

/** After a rollback: the canary keeps no traffic and no replicas until a new revision or a retry. */
export function rolledBack(p: Pass): void {
  p.status.canaryWeight = 0;
  parkCanary(p);
}

export function startPromotion(p: Pass, why: string): void {
  delete p.status.canaryRestart;
  const revision = p.status.canaryRevision ?? '';
  // its full size from now on (the copy of an HPA holds it there until the canary is parked)
  p.status.primaryReplicas = promotionReplicas(p);
  p.act({ type: 'ensurePrimary', revision, replicas: p.status.primaryReplicas });
  p.set('Promoting', 'Promoting', `Promoting revision ${revision}: ${why}`);
  p.event('Normal', 'Promoting', `Promoting revision ${revision}: ${why}`);
}

/** The primary rolls out the canary template; then traffic returns to it and the canary is parked. */
export function promoting(p: Pass): void {
  const s = p.status;
  const revision = s.canaryRevision ?? '';
  const primary = p.obs.primary;
  if (primary?.revision !== revision) {
    p.status.primaryReplicas = promotionReplicas(p);
    p.act({ type: 'ensurePrimary', revision, replicas: p.status.primaryReplicas });
    return;
  }
  if (!primary.rolledOut || primary.readyReplicas < primary.replicas) {
    p.set(
      'Promoting',
      'WaitingForPrimaryRollout',
      `Waiting for the primary to roll out revision ${revision} (${primary.readyReplicas}/${primary.replicas} ready).`,
    );
    return;
  }
  s.canaryWeight = 0;
  if (parkCanary(p) === 'rerouting') {
    p.set('Promoting', 'WaitingForPrimaryRollout', `The primary runs revision ${revision}; moving traffic back to it.`);
    return;
  }
  s.stableRevision = revision;
  delete s.rolledBackRevision;
  p.set('Healthy', 'Promoted', `Revision ${revision} was promoted and serves all traffic.`);
  p.event('Normal', 'Promoted', `Revision ${revision} was promoted.`);
}
