/** A canary run, step by step: setWeight, pause (timed or gate) and analysis. */
import { verdicts } from '../analysis/assess.js';
import { parseDuration } from '../api/duration.js';
import type { Pass } from './context.js';
import { rollBack, startPromotion } from './lifecycle.js';
import {
  autoscalerHolds,
  canaryReplicas,
  growPrimary,
  primaryReadyFor,
  readyCanaryNeeded,
  shrinkPrimary,
} from './scale.js';
import { allWindows, humanTime } from '../schedule/windows.js';

const MAX_STEPS_PER_PASS = 1000;

function advance(p: Pass): void {
  p.status.currentStepIndex = (p.status.currentStepIndex ?? 0) + 1;
  p.status.stepStartedAt = p.preciseIso;
}

function elapsedMs(p: Pass, since: string | undefined): number {
  return since === undefined ? 0 : p.now.getTime() - Date.parse(since);
}

/**
 * The canary must have rolled out this revision (no pod of an older template left: a target that
 * still had replicas would otherwise count its old pods as the canary) and have ready endpoints
 * before it gets traffic (never a 503 from an empty destination).
 */
function canaryReady(p: Pass, need = 1): boolean {
  const target = p.obs.target;
  // (an autoscaler adding replicas to a canary that serves is not a reason to wait)
  const current = target !== undefined && (target.rolledOut || (target.allUpdated === true && target.replicas >= need));
  if (current && target.readyReplicas >= need) {
    delete p.status.progressStalledAt;
    return true;
  }
  // The deadline counts from when progress stopped, not from the step's start: a canary pod that
  // restarts late in a long pause gets the whole deadline to come back.
  p.status.progressStalledAt ??= p.preciseIso;
  const deadlineS = p.rollout.spec.progressDeadlineSeconds ?? 600;
  const leftMs = deadlineS * 1000 - elapsedMs(p, p.status.progressStalledAt);
  if (leftMs < 0)
    rollBack(
      p,
      'ProgressDeadlineExceeded',
      need > 1
        ? `the canary did not get ${need} ready replicas within ${deadlineS}s.`
        : `the canary had no ready replica for ${deadlineS}s.`,
    );
  else waitForCanary(p, leftMs, need);
  return false;
}

/** The canary is not ready: scaled up when at 0, its traffic taken back when it has some, then waited for. */
function waitForCanary(p: Pass, leftMs: number, need: number): void {
  const target = p.obs.target;
  p.requeue(leftMs);
  if (target !== undefined && (target.replicas === 0 || target.replicas < need))
    p.act({ type: 'scaleCanary', replicas: Math.max(need, canaryReplicas(p)) });
  else if ((p.obs.routedWeight ?? 0) > 0 && target?.readyReplicas === 0) {
    growPrimary(p);
    p.status.canaryWeight = 0;
    p.act({ type: 'setWeight', canaryWeight: 0 });
    p.set(
      'Paused',
      'CanaryLostEndpoints',
      'The canary lost its ready endpoints; its traffic went back to the primary.',
    );
    return;
  }
  p.set(
    'Progressing',
    'WaitingForCanary',
    `Waiting for the canary to have ready replicas (${target?.readyReplicas ?? 0}/${target?.replicas ?? 0}).`,
  );
}

/** The weight the run holds at its current position: that of the last setWeight step passed. */
function heldWeight(p: Pass): number {
  const steps = p.rollout.spec.strategy.canary.steps.slice(0, p.status.currentStepIndex ?? 0);
  return [...steps].reverse().find((s) => s.setWeight !== undefined)?.setWeight ?? 0;
}

/**
 * Traffic only goes to a canary with ready endpoints: taken back when it loses them, given back
 * (at the weight the run holds) when it recovers. True when the routing is right.
 */
function guardTraffic(p: Pass): boolean {
  const held = heldWeight(p);
  const routed = p.obs.routedWeight ?? 0;
  if (held === 0 && routed === 0) return true;
  if (!canaryReady(p)) return false;
  const step = p.rollout.spec.strategy.canary.steps[p.status.currentStepIndex ?? 0];
  if (routed === held || step?.setWeight !== undefined) return true; // a setWeight step sets it itself
  p.status.canaryWeight = held;
  p.act({ type: 'setWeight', canaryWeight: held });
  p.set('Progressing', 'WeightSet', `The canary has ready endpoints again: ${held}% of traffic back to it.`);
  return false;
}

/**
 * Whether traffic may move forward now (spec.schedule). When not, the run holds its weight:
 * Paused/OutsideWindow with status.nextWindow, and a pass is due when the window opens.
 */
export function windowGate(p: Pass, where: string): boolean {
  const state = allWindows([p.obs.defaultSchedule, p.rollout.spec.schedule], p.now);
  if (state.open) {
    delete p.status.nextWindow;
    return true;
  }
  const zone = state.zone;
  const opens =
    state.opensAt === undefined
      ? 'no window opens within a year'
      : `waiting for window, opens ${humanTime(state.opensAt, zone)}`;
  if (state.opensAt === undefined) delete p.status.nextWindow;
  else p.status.nextWindow = state.opensAt.toISOString().replace(/\.\d+Z$/, 'Z');
  p.set(
    'Paused',
    'OutsideWindow',
    `${where}: ${state.why ?? 'the window is closed'}; ${opens} (sluice promote --force overrides).`,
  );
  if (state.opensAt !== undefined) p.requeue(state.opensAt.getTime() - p.now.getTime());
  return false;
}

/** Runs steps until one needs the world to change or time to pass. */
export function runSteps(p: Pass): void {
  const steps = p.rollout.spec.strategy.canary.steps;
  if (!guardTraffic(p)) return;
  for (let guard = 0; guard < MAX_STEPS_PER_PASS; guard++) {
    const index = p.status.currentStepIndex ?? 0;
    const step = steps[index];
    if (step === undefined) {
      if (windowGate(p, 'promotion')) startPromotion(p, `all ${steps.length} steps passed.`);
      return;
    }
    const where = `step ${index + 1}/${steps.length}`;
    if (step.setWeight !== undefined) {
      if (!setWeight(p, step.setWeight, where)) return;
    } else if (step.pause !== undefined) {
      if (!pause(p, step.pause.duration, where)) return;
    } else if (step.analysis !== undefined) {
      if (!analysisGate(p, where)) return;
    }
    advance(p);
  }
}

/** True when the weight is set; moving it up waits for a ready canary and an open window. */
function setWeight(p: Pass, weight: number, where: string): boolean {
  if (weight > 0 && !canaryReady(p, readyCanaryNeeded(p, weight))) return false;
  if (p.obs.routedWeight === weight) {
    p.status.canaryWeight = weight;
    shrinkPrimary(p, weight);
    return true;
  }
  if (weight > (p.obs.routedWeight ?? 0) && !windowGate(p, where)) return false;
  if (weight > (p.obs.routedWeight ?? 0) && !autoscalerHolds(p)) {
    const name = p.obs.autoscaler?.name ?? '';
    p.set(
      'Progressing',
      'WaitingForAutoscaler',
      `${where}: waiting for ${name}-primary to hold the primary at its size.`,
    );
    return false;
  }
  const primary = weight < (p.obs.routedWeight ?? 0) ? primaryReadyFor(p, weight) : { ready: true as const };
  if (!primary.ready) {
    p.set('Progressing', 'ScalingPrimary', `${where}: ${primary.why}.`);
    return false;
  }
  p.status.canaryWeight = weight;
  p.act({ type: 'setWeight', canaryWeight: weight });
  p.set('Progressing', 'WeightSet', `${where}: ${weight}% of traffic to the canary.`);
  return false;
}

/** True when the pause is over. */
function pause(p: Pass, duration: string | undefined, where: string): boolean {
  if (duration === undefined) {
    const promote = p.command('promote');
    if (promote !== undefined) {
      p.handle(promote, true, `the pause gate at ${where} was released.`);
      return true;
    }
    p.set(
      'Paused',
      'WaitingForPromotion',
      `${where}: waiting for a promote command (sluice promote ${p.rollout.metadata.name}, or /sluice promote on the pull request).`,
    );
    return false;
  }
  const remaining = (parseDuration(duration) ?? 0) - elapsedMs(p, p.status.stepStartedAt);
  if (remaining <= 0) return true;
  const until = new Date(p.now.getTime() + remaining).toISOString().replace(/\.\d+Z$/, 'Z');
  p.set('Paused', 'PauseStep', `${where}: pausing ${duration}, until ${until}.`);
  p.requeue(remaining);
  return false;
}

/** True when the analysis step passed. */
function analysisGate(p: Pass, where: string): boolean {
  const verdict = verdicts(p.obs.analysis.metrics, p.status).step;
  switch (verdict?.verdict) {
    case 'Successful':
      return true;
    case 'Failed':
      rollBack(p, 'AnalysisFailed', verdict.message);
      return false;
    case 'Inconclusive':
      p.set('Paused', 'AnalysisInconclusive', `${where}: ${verdict.message}: promote, abort, retry or resume.`);
      return false;
    case 'Error':
      p.set('Paused', 'MetricsUnavailable', `${where}: ${verdict.message}; waiting until measurements work again.`);
      return false;
    case 'Blind':
      p.set('Progressing', 'WaitingForMetrics', `${where}: ${verdict.message}.`);
      return false;
    case 'Running':
    case undefined:
      p.set(
        'Progressing',
        'AnalysisRunning',
        `${where}: analysis running${verdict === undefined ? '' : ` (${verdict.message})`}.`,
      );
      return false;
  }
}
