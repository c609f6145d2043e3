/**
 * Run decisions as CloudEvents 1.0 (structured JSON mode): one event per decision of a run —
 * started, weight set, paused, analysis failed, promoted, rolled back, command received — with
 * an id stable per decision (the same event found again after a restart has the same id), the
 * Rollout as `source` and the revision as `subject`. Pure: what changed from one snapshot of a
 * run to the next.
 */
import { createHash } from 'node:crypto';
import type { RunSnapshot } from '../run-report.js';
import { decisionCount, weightCount } from '../timeline.js';

export const EVENT_TYPES = [
  'started',
  'weight.set',
  'paused',
  'analysis.failed',
  'promoted',
  'rolledback',
  'command.received',
] as const;
export type EventDecision = (typeof EVENT_TYPES)[number];

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: `dev.sluice.rollout.${EventDecision}`;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

/** The decision a status reason is, when it is one that is announced. */
const BY_REASON: Readonly<Record<string, EventDecision>> = {
  NewRevision: 'started',
  RestartedForNewRevision: 'started',
  PauseStep: 'paused',
  WaitingForPromotion: 'paused',
  ManualPause: 'paused',
  OutsideWindow: 'paused',
  AnalysisInconclusive: 'paused',
  MetricsUnavailable: 'paused',
  Promoted: 'promoted',
  AnalysisFailed: 'rolledback',
  Aborted: 'rolledback',
  ProgressDeadlineExceeded: 'rolledback',
  RolledBack: 'rolledback',
};

export function sourceOf(namespace: string, name: string): string {
  return `/apis/sluice.dev/v1alpha1/namespaces/${namespace}/rollouts/${name}`;
}

function eventId(run: string, what: string): string {
  return createHash('sha256').update(`${run}\n${what}`).digest('hex').slice(0, 32);
}

type Add = (decision: EventDecision, what: string, t: number, data: Record<string, unknown>) => void;

/**
 * Decisions that are announced, new since `prev`, by their position in the whole run (the
 * timeline keeps the latest 500). A new message under the same reason (a pause whose count of
 * errors grows) is no new decision.
 */
function decisionEvents(prev: RunSnapshot | undefined, snap: RunSnapshot, add: Add): void {
  const { timeline } = snap;
  const dropped = timeline.dropped?.decisions ?? 0;
  const seen = prev === undefined ? 0 : decisionCount(prev.timeline);
  timeline.decisions.forEach((d, i) => {
    const n = dropped + i;
    const decision = BY_REASON[d.reason];
    if (decision === undefined || n < seen || timeline.decisions[i - 1]?.reason === d.reason) return;
    add(decision, `decision|${n}|${d.reason}`, d.t, { reason: d.reason, message: d.message, phase: snap.status.phase });
  });
}

/** Weight changes since `prev` (the run's first point, at 0%, is its start: "started" says it). */
function weightEvents(prev: RunSnapshot | undefined, snap: RunSnapshot, add: Add): void {
  const dropped = snap.timeline.dropped?.weights ?? 0;
  const seen = prev === undefined ? 0 : weightCount(prev.timeline);
  snap.timeline.weights.forEach((w, i) => {
    const n = dropped + i;
    if (n > 0 && n >= seen)
      add('weight.set', `weight|${n}|${w.weight}`, w.t, { weight: w.weight, step: snap.status.currentStepIndex });
  });
}

/** One event per failed measurement counted since `prev`. */
function failureEvents(prev: RunSnapshot | undefined, snap: RunSnapshot, add: Add): void {
  for (const m of snap.status.metrics ?? []) {
    const before = prev?.status.metrics?.find((p) => p.name === m.name)?.failed ?? 0;
    const failed = [...m.measurements].reverse().find((x) => x.phase === 'Failed');
    const t = Date.parse(failed?.startedAt ?? '') || snap.timeline.endedAt;
    for (let n = before + 1; n <= m.failed; n++)
      add('analysis.failed', `failed|${m.name}|${n}`, t, {
        metric: m.name,
        failed: n,
        message: failed?.message,
        value: failed?.value,
      });
  }
}

/** Commands handled since `prev`. */
function commandEvents(prev: RunSnapshot | undefined, snap: RunSnapshot, add: Add): void {
  const handled = new Set((prev?.status.commands ?? []).filter((c) => c.handledAt !== undefined).map((c) => c.id));
  for (const c of snap.status.commands ?? [])
    if (c.handledAt !== undefined && !handled.has(c.id))
      add('command.received', `command|${c.id}`, Date.parse(c.handledAt), {
        command: c.id,
        action: c.action,
        user: c.user,
        source: c.source,
        accepted: c.accepted,
        outcome: c.outcome,
      });
}

/** The events for the change from `prev` (undefined: the run's first snapshot) to `snap`. */
export function runEvents(prev: RunSnapshot | undefined, snap: RunSnapshot): CloudEvent[] {
  const s = snap.status;
  const base = {
    specversion: '1.0' as const,
    source: sourceOf(snap.namespace, snap.name),
    subject: s.canaryRevision ?? '',
    datacontenttype: 'application/json' as const,
  };
  const rollout = { namespace: snap.namespace, name: snap.name, run: s.runStartedAt };
  const out: CloudEvent[] = [];
  const add: Add = (decision, what, t, data) =>
    void out.push({
      ...base,
      id: eventId(snap.key, what),
      type: `dev.sluice.rollout.${decision}`,
      time: new Date(t).toISOString(),
      data: { ...rollout, ...data },
    });
  decisionEvents(prev, snap, add);
  weightEvents(prev, snap, add);
  failureEvents(prev, snap, add);
  commandEvents(prev, snap, add);
  return out;
}
