/**
 * A run as notifications show it, whatever the channel (GitHub, Slack): the snapshot kept per
 * run, its outcome, the steps with their checks, and the sentence that sums it up. Pure.
 */
import type { MetricStatus, Release, RolloutStatus } from '../api/schema/rollout-status.js';
import type { Step } from '../api/schema/rollout.js';
import { checkLabel, checkValue, checkVerdict } from './labels.js';
import type { Timeline } from './timeline.js';

/** What is kept per run between passes (and replicas): enough to render every message again. */
export interface RunSnapshot {
  /** `namespace/name@runStartedAt`. */
  key: string;
  namespace: string;
  name: string;
  steps: Step[];
  status: RolloutStatus;
  release?: Release;
  /** spec.notifications.github.environment, when set. */
  environment?: string;
  /** spec.notifications.slack, when set. */
  slack?: { channel: string; severity?: 'info' | 'warning' | 'error'; dashboardUrl?: string };
  /** spec.notifications.webhook, when set. */
  webhook?: { url: string; secretRef?: { name: string; key?: string } };
  /** The images of the primary (stable) and the canary, for people to read. */
  images?: { stable?: string; canary?: string };
  timeline: Timeline;
}

export type Outcome = 'running' | 'promoted' | 'rolled-back' | 'stopped';

export function runKey(namespace: string, name: string, runStartedAt: string): string {
  return `${namespace}/${name}@${runStartedAt}`;
}

export function outcomeOf(s: RolloutStatus): Outcome {
  if (s.phase === 'RolledBack') return 'rolled-back';
  if (s.phase === 'Healthy') return s.reason === 'Promoted' ? 'promoted' : 'stopped';
  if (s.phase === 'Invalid') return 'stopped';
  return 'running';
}

export function describeStep(step: Step): string {
  if (step.setWeight !== undefined) return `set weight ${step.setWeight}%`;
  if (step.pause !== undefined)
    return step.pause.duration === undefined ? 'wait for promote' : `pause ${step.pause.duration}`;
  if (step.analysis !== undefined) return `analysis: ${step.analysis.templates.map((t) => t.name).join(', ')}`;
  return 'step';
}

/** The weight each step leaves the canary at. */
function weightsBySteps(steps: readonly Step[]): number[] {
  let w = 0;
  return steps.map((s) => (w = s.setWeight ?? w));
}

export interface StepRow {
  index: number;
  what: string;
  weight: number;
  checks: MetricStatus[];
  state: 'done' | 'current' | 'next' | 'skipped';
}

export function stepRows(snap: RunSnapshot): StepRow[] {
  const current = snap.status.currentStepIndex ?? 0;
  const outcome = outcomeOf(snap.status);
  const weights = weightsBySteps(snap.steps);
  return snap.steps.map((step, i) => {
    const checks = (snap.status.metrics ?? []).filter((m) => m.name.startsWith(`step[${i}]:`));
    let state: StepRow['state'] = i < current ? 'done' : i === current ? 'current' : 'next';
    if (outcome === 'promoted') state = 'done';
    else if (outcome !== 'running' && i >= current) state = 'skipped';
    return { index: i, what: describeStep(step), weight: weights[i] ?? 0, checks, state };
  });
}

export function backgroundChecks(snap: RunSnapshot): MetricStatus[] {
  return (snap.status.metrics ?? []).filter((m) => m.name.startsWith('background:'));
}

/** `error-rate 0.002 <= 0.01 (ok so far)` */
export function checkLine(m: MetricStatus): string {
  return `${checkLabel(m.name)} ${checkValue(m)} (${checkVerdict(m)})`;
}

function runningHeadline(s: RolloutStatus, total: number): string {
  // Held outside a promotion window: the message says when it opens.
  if (s.reason === 'OutsideWindow')
    return `Canary held at ${s.canaryWeight ?? 0}%, ${(s.message ?? '').replace(/^[^:]*: /, '')}`;
  return `Canary at ${s.canaryWeight ?? 0}%, step ${Math.min((s.currentStepIndex ?? 0) + 1, total)}/${total}: ${s.reason ?? 'starting'}.`;
}

/** `primary 5/5 ready · canary 2/3 ready`, from status.replicas; empty when unknown. */
export function replicasLine(s: RolloutStatus): string {
  const r = s.replicas;
  const part = (name: string, w: { replicas: number; ready: number } | undefined): string[] =>
    w === undefined ? [] : [`${name} ${w.ready}/${w.replicas} ready`];
  return [...part('primary', r?.primary), ...part('canary', r?.canary)].join(' · ');
}

/** One sentence for a commit status or a headline (GitHub limits commit status descriptions to 140 characters). */
export function headline(snap: RunSnapshot, max = 140): string {
  const s = snap.status;
  const total = snap.steps.length;
  let text: string;
  switch (outcomeOf(s)) {
    case 'promoted':
      text = `Promoted: all ${total} steps passed.`;
      break;
    case 'rolled-back':
      text = `Rolled back: ${(s.message ?? s.reason ?? '').replace(/^Rolled back revision \S+: /, '')}`;
      break;
    case 'stopped':
      text = `Stopped: ${s.message ?? s.reason ?? ''}`;
      break;
    case 'running':
      text = runningHeadline(s, total);
      break;
  }
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
