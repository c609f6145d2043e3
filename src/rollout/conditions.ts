/**
 * The Rollout's status conditions (Ready, Progressing, Reconciling, Stalled, PrimaryAvailable, Autoscaled,
 * GitHubReporting, SlackReporting, ServiceSelectsPrimary) and the Events that go with decisions and with conditions
 * turning bad: every new decision is an Event, a condition's new problem one Warning.
 */
import type { Rollout } from '../api/schema/rollout.js';
import type { RolloutStatus } from '../api/schema/rollout-status.js';
import type { Pass } from './context.js';
import type { Observations } from './model.js';
import { primaryCondition, primaryEvent } from './primary.js';
import type { Reason } from './reasons.js';
import { autoscalerCondition, autoscalerEvent } from './scale.js';

/** The phases of a run in progress (condition Progressing). */
export const RUNNING = new Set(['Progressing', 'Paused', 'Promoting']);
const RECONCILING = new Set(['Initializing', ...RUNNING]);
const STALLED = new Set(['Invalid', 'RolledBack']);

/**
 * Every decision is an Event: a new reason, or the same reason at another step or for another
 * revision (progress within a decision — counts of measurements, replicas ready — changes only
 * the status message). So is a notification channel's new problem (once; the rollout goes on).
 */
export function decisionEvents(p: Pass, rollout: Rollout, obs: Observations): void {
  const reason = p.status.reason as Reason | undefined;
  const before = rollout.status;
  const decided =
    reason !== before?.reason ||
    p.status.currentStepIndex !== before?.currentStepIndex ||
    p.status.canaryRevision !== before?.canaryRevision;
  if (reason !== undefined && decided && !p.events.some((e) => e.reason === reason)) {
    p.event(
      p.status.phase === 'RolledBack' || p.status.phase === 'Invalid' ? 'Warning' : 'Normal',
      reason,
      p.status.message ?? reason,
    );
  }
  notificationEvent(p, rollout, obs);
  serviceEvent(p, rollout, obs);
  primaryEvent(p, rollout, obs);
  autoscalerEvent(p, rollout, obs);
}

/** The ServiceSelectsPrimary condition, when the Service clients call is Git's. */
function serviceCondition(rollout: Rollout, obs: Observations): { ok: boolean; reason: Reason; message: string } {
  const svc = rollout.spec.service.name;
  const target = rollout.spec.targetRef.name;
  switch (obs.serviceReach) {
    case 'primary':
    case undefined:
      return { ok: true, reason: 'SelectsPrimary', message: `Service ${svc} selects the pods of ${target}-primary.` };
    case 'targetOnly':
      return {
        ok: false,
        reason: 'ServiceSelectsTargetOnly',
        message: `Service ${svc} selects only the pods of ${target}, which has 0 replicas between runs: clients outside the mesh get no answer. Select on a pod label that the selector of Deployment ${target} does not use (${target}-primary's pods keep it), or remove the Service from Git and let Sluice create it.`,
      };
    case 'neither':
      return {
        ok: false,
        reason: 'ServiceSelectsNeither',
        message: `Service ${svc} selects neither the pods of ${target} nor those of ${target}-primary: clients outside the mesh get no answer.`,
      };
  }
}

/** A Warning when the Service clients call stops reaching the primary's pods (once). */
function serviceEvent(p: Pass, rollout: Rollout, obs: Observations): void {
  if (obs.serviceReach === undefined) return;
  const c = serviceCondition(rollout, obs);
  const before = rollout.status?.conditions?.find((x) => x.type === 'ServiceSelectsPrimary');
  if (!c.ok && before?.reason !== c.reason) p.event('Warning', c.reason, c.message);
}

function notificationEvent(p: Pass, rollout: Rollout, obs: Observations): void {
  const before = rollout.status?.conditions?.find((c) => c.type === 'SlackReporting');
  if (obs.slack !== undefined && !obs.slack.ok && (before?.status !== 'False' || before.reason !== obs.slack.reason))
    p.event('Warning', 'NotificationFailed', obs.slack.message);
}

export function conditions(
  rollout: Rollout,
  s: RolloutStatus,
  at: string,
  obs: Observations,
): NonNullable<RolloutStatus['conditions']> {
  const previous = rollout.status?.conditions ?? [];
  const make = (
    type: string,
    ok: boolean,
    reason = s.reason ?? 'Unknown',
    message = s.message ?? '',
  ): NonNullable<RolloutStatus['conditions']>[number] => {
    const prev = previous.find((c) => c.type === type);
    const status = ok ? 'True' : 'False';
    const same = prev?.status === status;
    return {
      type,
      status,
      reason,
      message,
      lastTransitionTime: same ? prev.lastTransitionTime : at,
      observedGeneration: s.observedGeneration ?? 1,
    };
  };
  const primary = s.stableRevision === undefined ? undefined : primaryCondition(rollout, s, obs);
  const out = [
    primary?.ok === false
      ? make('Ready', false, primary.reason, primary.message)
      : make('Ready', s.phase === 'Healthy'),
    make('Progressing', RUNNING.has(s.phase ?? '')),
    // kstatus (Flux's health checks): Reconciling while the controller works towards Ready, Stalled
    // when it cannot get there without a change (a fix of the spec, a new revision)
    make('Reconciling', RECONCILING.has(s.phase ?? '')),
    make('Stalled', STALLED.has(s.phase ?? '')),
  ];
  if (primary !== undefined) out.push(make('PrimaryAvailable', primary.ok, primary.reason, primary.message));
  const autoscaled = autoscalerCondition(rollout, obs);
  if (autoscaled !== undefined) out.push(make('Autoscaled', autoscaled.ok, autoscaled.reason, autoscaled.message));
  const reporting = obs.release?.condition;
  if (reporting !== undefined) out.push(make('GitHubReporting', reporting.ok, reporting.reason, reporting.message));
  if (obs.slack !== undefined) out.push(make('SlackReporting', obs.slack.ok, obs.slack.reason, obs.slack.message));
  if (obs.serviceReach !== undefined) {
    const c = serviceCondition(rollout, obs);
    out.push(make('ServiceSelectsPrimary', c.ok, c.reason, c.message));
  }
  return out;
}
