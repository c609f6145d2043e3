/**
 * The planner: PURE. `(rollout, observations, now) -> { actions, status, events, requeueAfterMs }`.
 * No client calls, no clock reads; the controller shell observes, calls this, acts.
 */
import { deletionTimestamp } from '../api/schema/meta.js';
import type { Rollout } from '../api/schema/rollout.js';
import type { RolloutStatus } from '../api/schema/rollout-status.js';
import { fold, forgive, nextDueMs, verdicts, type AnalysisVerdict } from '../analysis/assess.js';
import { Pass, type PlanEvent } from './context.js';
import {
  finalize,
  healthy,
  restoreRouting,
  restartCanary,
  initialize,
  promoting,
  rollBack,
  rolledBack,
  startPromotion,
  startRun,
} from './lifecycle.js';
import { FINALIZER, type Action, type Observations, type PendingCommand } from './model.js';
import { runSteps } from './run.js';
import { reconcilePrimary } from './primary.js';
import { conditions, decisionEvents, RUNNING } from './conditions.js';
import { autoscale, growPrimary, pauseTargetAutoscaler, replicaStatus } from './scale.js';
import { allWindows, humanTime } from '../schedule/windows.js';

export interface Plan {
  actions: Action[];
  status: RolloutStatus;
  events: PlanEvent[];
  /** Plan again after this long (a pause ends, a deadline passes) even if nothing changes. */
  requeueAfterMs: number | undefined;
}

/** Pauses that a resume command ends (besides a manual pause). */
const RESUMABLE = new Set(['AnalysisInconclusive', 'MetricsUnavailable']);

export function plan(rollout: Rollout, obs: Observations, now: Date): Plan {
  const p = new Pass(rollout, obs, now);
  decide(p);
  onePrimaryWrite(p);
  converge(p);
  if (!stoppedNow(p)) autoscale(p);
  pauseTargetAutoscaler(p, deletionTimestamp(rollout) !== undefined);
  p.rejectRest((c) => `nothing to ${c.action} while the rollout is ${p.status.phase ?? 'starting'}.`);
  decisionEvents(p, rollout, obs);
  const due = nextDueMs(obs.analysis.metrics, p.status, now);
  if (due !== undefined) p.requeue(due);
  const status: RolloutStatus = {
    ...p.status,
    observedGeneration: rollout.metadata.generation ?? p.status.observedGeneration ?? 1,
  };
  if (status.commands !== undefined) status.commands = p.handledCommands();
  const replicas = replicaStatus(obs);
  if (replicas === undefined) delete status.replicas;
  else status.replicas = replicas;
  withRelease(status, obs);
  status.conditions = conditions(rollout, status, p.iso, obs);
  return { actions: p.actions, status, events: p.events, requeueAfterMs: p.requeueAfterMs };
}

function withRelease(status: RolloutStatus, obs: Observations): void {
  if (obs.release === undefined) return;
  if (obs.release.release === undefined) delete status.release;
  else status.release = obs.release.release;
}

/**
 * What ends a pass before any run logic: objects Sluice did not make where it generates its own,
 * the Rollout's deletion, an invalid spec, a missing target. True when the pass ends here.
 */
function stopped(p: Pass): boolean {
  const deleting = deletionTimestamp(p.rollout) !== undefined;
  const conflicts = p.obs.conflicts ?? [];
  if (conflicts.length > 0) {
    // Nothing of it is Sluice's to route or hand over: the target keeps its replicas, deletion just lets go.
    if (deleting) p.act({ type: 'removeFinalizer' });
    else
      p.set(
        'Invalid',
        'RoutingConflict',
        `Sluice does not route with objects it did not make, and leaves ${p.rollout.spec.targetRef.name}'s replicas as they are: ${conflicts.join('; ')}.`,
      );
    return true;
  }
  if (deleting) finalize(p);
  else if (p.obs.specErrors.length > 0) invalid(p, 'InvalidSpec', p.obs.specErrors.slice(0, 3).join('; '));
  else if (p.obs.target === undefined)
    invalid(
      p,
      'TargetNotFound',
      `Deployment ${p.rollout.spec.targetRef.name} not found in namespace ${p.rollout.metadata.namespace ?? 'default'}.`,
    );
  else return false;
  return true;
}

/**
 * Invalid: nothing runs until the spec or the target is fixed. A run cut short this way would
 * leave the canary with traffic and nobody watching it: that traffic goes back to the primary.
 */
function invalid(p: Pass, reason: 'InvalidSpec' | 'TargetNotFound', message: string): void {
  if ((p.obs.routedWeight ?? 0) > 0) {
    growPrimary(p);
    p.act({ type: 'setWeight', canaryWeight: 0 });
    p.status.canaryWeight = 0;
    p.set('Invalid', reason, `${message} The canary's traffic went back to the primary until it is fixed.`);
    return;
  }
  p.set('Invalid', reason, message);
}

/** Whether this pass found the Rollout unusable or going away (nothing of it is kept up then). */
function stoppedNow(p: Pass): boolean {
  return p.status.phase === 'Invalid' || deletionTimestamp(p.rollout) !== undefined;
}

/** One write to the primary per pass: a rewrite (ensurePrimary, say a promotion) sets its replicas too. */
function onePrimaryWrite(p: Pass): void {
  const scale = p.actions.findIndex((a) => a.type === 'scalePrimary');
  if (scale >= 0 && p.actions.some((a) => a.type === 'ensurePrimary')) p.actions.splice(scale, 1);
}

/**
 * A Git change of spec.service reaches the generated objects: alongside whatever else the pass
 * does, once the Rollout runs normally. A pass that moves traffic leaves it to the next one (which
 * converges at the new weight), so that two writes never race on one VirtualService.
 */
function converge(p: Pass): void {
  const drift = p.obs.drift ?? [];
  if (drift.length === 0 || p.status.stableRevision === undefined) return;
  if (p.status.phase === 'Invalid' || p.status.phase === 'Initializing') return;
  const moves = (a: Action): boolean => a.type === 'setWeight' || a.type === 'handOver' || a.type === 'addFinalizer';
  if (p.actions.some(moves) || p.actions.some((a) => a.type === 'removeFinalizer' || a.type === 'orphan')) return;
  p.act({ type: 'convergeRouting' });
  p.event('Normal', 'RoutingUpdated', `Updated ${drift.join(', ')} to spec.service; the weights stay where they are.`);
}

function decide(p: Pass): void {
  const { obs, status: s } = p;
  if (stopped(p)) return;
  const target = obs.target;
  if (target === undefined) return;
  if (!(p.rollout.metadata.finalizers ?? []).includes(FINALIZER)) {
    p.act({ type: 'addFinalizer' });
    if (s.stableRevision === undefined) p.set('Initializing', 'Initializing', 'Preparing the Rollout.');
    return;
  }
  if (s.stableRevision === undefined) {
    initialize(p);
    return;
  }
  // a promotion rewrites the primary itself
  if (s.phase !== 'Promoting') reconcilePrimary(p);
  if (RUNNING.has(s.phase ?? '')) {
    if (obs.missingRouting.length > 0) restoreRouting(p);
    running(p, target.revision);
    return;
  }
  if (target.revision === s.stableRevision) {
    healthy(p);
    return;
  }
  if (target.revision === s.rolledBackRevision) {
    const retry = p.command('retry');
    if (retry === undefined) {
      rolledBack(p);
      return;
    }
    p.handle(retry, true, `revision ${target.revision} runs again.`);
  }
  startRun(p, 'NewRevision');
}

/** A run is in progress. */
function running(p: Pass, targetRevision: string): void {
  const s = p.status;
  // Promotion goes on once the primary has the canary's template; before that it needs the target to still have it.
  const copied = p.obs.primary?.revision === s.canaryRevision;
  if (s.phase === 'Promoting' && (copied || targetRevision === s.canaryRevision)) {
    promoting(p);
    return;
  }
  if (targetRevision === s.stableRevision) {
    healthy(p, 'Reverted');
    p.event(
      'Normal',
      'Reverted',
      `Git went back to the stable revision ${targetRevision}; the run for ${s.canaryRevision ?? ''} stopped.`,
    );
    return;
  }
  if (targetRevision !== s.canaryRevision) {
    startRun(p, 'RestartedForNewRevision');
    return;
  }
  const abort = p.command('abort');
  if (abort !== undefined) {
    p.handle(abort, true, 'the canary was rolled back.');
    rollBack(p, 'Aborted', `aborted by ${abort.user}.`);
    return;
  }
  const { metrics, taken } = p.obs.analysis;
  if (taken.length > 0) s.metrics = fold(metrics, s, taken);
  const failed = verdicts(metrics, s).background;
  if (failed?.verdict === 'Failed') {
    rollBack(p, 'AnalysisFailed', failed.message);
    return;
  }
  if (!manualGates(p)) return;
  if (!restartCanary(p)) return;
  if (!backgroundAllows(p, verdicts(metrics, s).background)) return;
  runSteps(p);
}

/** Background analysis holds the run while it is inconclusive or blind; false when it holds. */
function backgroundAllows(p: Pass, background: AnalysisVerdict | undefined): boolean {
  switch (background?.verdict) {
    case 'Inconclusive':
      p.set('Paused', 'AnalysisInconclusive', `${background.message}: promote, abort, retry or resume.`);
      return false;
    case 'Error':
      p.set(
        'Paused',
        'MetricsUnavailable',
        `${background.message}; holding at ${p.status.canaryWeight ?? 0}% until measurements work again.`,
      );
      return false;
    case 'Blind':
      p.set('Progressing', 'WaitingForMetrics', `${background.message}; holding at ${p.status.canaryWeight ?? 0}%.`);
      return false;
    case 'Failed':
    case 'Running':
    case 'Successful':
    case undefined:
      return true;
  }
}

/** Whether the current step is a `pause: {}` gate (where promote releases the gate only). */
function atPromotionGate(p: Pass): boolean {
  const pause = p.rollout.spec.strategy.canary.steps[p.status.currentStepIndex ?? 0]?.pause;
  return pause !== undefined && pause.duration === undefined;
}

/** A promote command during a run: promotes now, unless a closed window says no (without --force). */
function promoteCommand(p: Pass, promote: PendingCommand): boolean {
  const state = allWindows([p.obs.defaultSchedule, p.rollout.spec.schedule], p.now);
  if (!state.open && promote.force !== true) {
    const opens =
      state.opensAt === undefined
        ? 'no window opens within a year'
        : `it opens ${humanTime(state.opensAt, state.zone)}`;
    p.handle(
      promote,
      false,
      `the promotion window is closed (${state.why ?? ''}); ${opens}. Use sluice promote --force to override it.`,
    );
    return true;
  }
  p.handle(
    promote,
    true,
    state.open
      ? 'the remaining steps were skipped.'
      : `the remaining steps were skipped; the closed window was overridden by ${promote.user}.`,
  );
  delete p.status.nextWindow;
  startPromotion(p, `promoted by ${promote.user}${state.open ? '' : ' (window overridden)'}.`);
  return false;
}

/** Pause, resume and promote commands during a run; false when the run holds here. */
function manualGates(p: Pass): boolean {
  const s = p.status;
  const promote = atPromotionGate(p) ? undefined : p.command('promote');
  if (promote !== undefined) return promoteCommand(p, promote);
  const pauseCmd = p.command('pause');
  if (pauseCmd !== undefined) p.handle(pauseCmd, true, `the run holds at ${s.canaryWeight ?? 0}%.`);
  const paused = pauseCmd !== undefined || (s.phase === 'Paused' && s.reason === 'ManualPause');
  const resume = paused || (s.phase === 'Paused' && RESUMABLE.has(s.reason ?? '')) ? p.command('resume') : undefined;
  if (resume !== undefined) {
    // A person decided: inconclusive and error counts start over.
    if (s.metrics !== undefined) s.metrics = forgive(s.metrics);
    p.handle(resume, true, 'the run continues.');
    p.event('Normal', 'Resumed', `Resumed by ${resume.user}.`);
    return true;
  }
  if (!paused) return true;
  p.set('Paused', 'ManualPause', `Paused by a command at ${s.canaryWeight ?? 0}% to the canary; resume to continue.`);
  return false;
}
