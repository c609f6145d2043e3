/**
 * Analysis over time, pure: which metrics are measured now (on a wall-clock grid of their
 * interval, so that every canary due at the same moment can share a query), how new
 * measurements fold into `status.metrics`, and the verdicts the planner acts on.
 */
import type { Measurement, MetricStatus, RolloutStatus } from '../api/schema/rollout-status.js';
import type { ResolvedMetric } from './resolve.js';
import { JOB_POLL_MS } from './resolve-sources.js';

export type Verdict = 'Running' | 'Successful' | 'Failed' | 'Inconclusive' | 'Blind' | 'Error';

export interface TakenMeasurement {
  key: string;
  measurement: Measurement;
}

export interface AnalysisVerdict {
  verdict: Verdict;
  message: string;
}

/** Measurements kept per metric in status. */
export const KEPT_MEASUREMENTS = 10;
/** Metric entries kept in status. */
const KEPT_METRICS = 64;

const RUN_PHASES = new Set(['Progressing', 'Paused']);

/** The metrics measured in the current position of a run. */
export function activeMetrics(metrics: readonly ResolvedMetric[], s: RolloutStatus): ResolvedMetric[] {
  if (!RUN_PHASES.has(s.phase ?? '')) return [];
  const index = s.currentStepIndex ?? 0;
  // Background checks measure the canary's traffic: a run at 0% (waiting for the canary, its
  // endpoints lost, held outside its promotion window) has none, and must not turn
  // "inconclusive" for want of it.
  const noTraffic = (s.canaryWeight ?? 0) === 0;
  return metrics.filter((m) => (m.scope === 'step' ? m.step === index : !noTraffic && index >= m.startingStep));
}

function entryOf(s: RolloutStatus, key: string): MetricStatus | undefined {
  return s.metrics?.find((e) => e.name === key);
}

/** Where the metric's clock starts: the step for step metrics, the run for background ones. */
function since(m: ResolvedMetric, s: RolloutStatus): number {
  const from = m.scope === 'step' ? s.stepStartedAt : s.runStartedAt;
  return (from === undefined ? 0 : Date.parse(from)) + m.initialDelayMs;
}

/**
 * The earliest grid time a measurement may be taken at: a measurement at `at` covers the window
 * [at - window, at] (the shipped templates' `rate(...[{{ args.window }}])`), which must lie
 * wholly after the metric's clock started — else it would judge traffic from before the step (a
 * previous revision under the same workload name, or the canary at another weight).
 */
function firstAt(m: ResolvedMetric, s: RolloutStatus): number {
  return since(m, s) + m.windowMs;
}

function decided(e: MetricStatus | undefined): boolean {
  return e !== undefined && (e.phase === 'Successful' || e.phase === 'Failed' || e.phase === 'Inconclusive');
}

/** When a web call or Job may be next: once its clock allows, and an interval after its last measurement. */
function nextCallAt(m: ResolvedMetric, e: MetricStatus | undefined, s: RolloutStatus): number {
  const last = e?.measurements.at(-1);
  return Math.max(firstAt(m, s), last === undefined ? 0 : Date.parse(last.startedAt) + m.intervalMs);
}

/**
 * The time at which `m` is due at `now`, if it is. A PromQL metric is measured on a wall-clock grid
 * (the latest multiple of its interval not yet measured), so that canaries due together share a
 * query; a web call or a Job shares nothing, so it runs as soon as its clock allows, then an
 * interval after its last measurement (a Job metric is due until its Job finished).
 */
function dueAt(m: ResolvedMetric, s: RolloutStatus, now: number): number | undefined {
  const e = entryOf(s, m.key);
  if (m.scope === 'step' && decided(e)) return undefined;
  if (m.source.kind !== 'query') return now >= nextCallAt(m, e, s) ? now : undefined;
  const at = Math.floor(now / m.intervalMs) * m.intervalMs;
  const last = e?.measurements.at(-1);
  if (at < firstAt(m, s) || (last !== undefined && Date.parse(last.startedAt) >= at)) return undefined;
  return at;
}

export function dueMetrics(
  metrics: readonly ResolvedMetric[],
  s: RolloutStatus,
  now: Date,
): { metric: ResolvedMetric; at: Date }[] {
  return activeMetrics(metrics, s).flatMap((m) => {
    const at = dueAt(m, s, now.getTime());
    return at === undefined ? [] : [{ metric: m, at: new Date(at) }];
  });
}

/** Milliseconds until the next measurement of an active metric, if any is still to come. */
export function nextDueMs(metrics: readonly ResolvedMetric[], s: RolloutStatus, now: Date): number | undefined {
  let next: number | undefined;
  for (const m of activeMetrics(metrics, s)) {
    const e = entryOf(s, m.key);
    if (m.scope === 'step' && decided(e)) continue;
    if (m.source.kind !== 'query') {
      const since = nextCallAt(m, e, s);
      // due now: a call comes again next interval, a running Job is looked at every JOB_POLL_MS
      const poll = m.source.kind === 'job' ? Math.min(m.intervalMs, JOB_POLL_MS) : m.intervalMs;
      const at = since > now.getTime() ? since : now.getTime() + poll;
      next = Math.min(next ?? Infinity, at - now.getTime());
      continue;
    }
    const grid = (Math.floor(now.getTime() / m.intervalMs) + 1) * m.intervalMs;
    const start = firstAt(m, s);
    const at = start > grid ? Math.ceil(start / m.intervalMs) * m.intervalMs : grid;
    next = Math.min(next ?? Infinity, at - now.getTime());
  }
  return next;
}

function phaseOf(m: ResolvedMetric, e: MetricStatus): MetricStatus['phase'] {
  if (e.measurements.some((x) => x.failFast === true) || e.failed > m.failureLimit) return 'Failed';
  if (e.inconclusive > m.inconclusiveLimit) return 'Inconclusive';
  if (e.consecutiveErrors > m.consecutiveErrorLimit) return 'Error';
  // Only judged measurements count towards `count`: one without enough traffic is taken again.
  if (m.scope === 'step' && e.successful + e.failed >= m.count) return 'Successful';
  return 'Running';
}

function add(e: MetricStatus, x: Measurement): MetricStatus {
  const counts = { ...e, measurements: [...e.measurements, x].slice(-KEPT_MEASUREMENTS) };
  switch (x.phase) {
    case 'Successful':
      return { ...counts, successful: e.successful + 1, consecutiveErrors: 0 };
    case 'Failed':
      return { ...counts, failed: e.failed + 1, consecutiveErrors: 0 };
    case 'Inconclusive':
      return { ...counts, inconclusive: e.inconclusive + 1, consecutiveErrors: 0 };
    case 'Error':
      return { ...counts, errors: e.errors + 1, consecutiveErrors: e.consecutiveErrors + 1 };
    case 'Pending':
    case 'Running':
      return counts;
  }
}

const empty = (name: string): MetricStatus => ({
  name,
  phase: 'Pending',
  successful: 0,
  failed: 0,
  inconclusive: 0,
  errors: 0,
  consecutiveErrors: 0,
  measurements: [],
});

/** `status.metrics` with the new measurements added and each metric's phase recomputed. */
export function fold(
  metrics: readonly ResolvedMetric[],
  s: RolloutStatus,
  taken: readonly TakenMeasurement[],
): MetricStatus[] {
  const byKey = new Map(metrics.map((m) => [m.key, m]));
  const entries = new Map((s.metrics ?? []).map((e) => [e.name, e]));
  for (const t of taken) {
    const m = byKey.get(t.key);
    if (m === undefined) continue;
    const updated = add(entries.get(t.key) ?? empty(t.key), t.measurement);
    const bounds = {
      ...(m.unit === undefined ? {} : { unit: m.unit }),
      ...(m.thresholds.min === undefined ? {} : { min: m.thresholds.min }),
      ...(m.thresholds.max === undefined ? {} : { max: m.thresholds.max }),
    };
    entries.set(t.key, { ...updated, ...bounds, phase: phaseOf(m, updated) });
  }
  return [...entries.values()].slice(-KEPT_METRICS);
}

/** After a person resumes: inconclusive counts and provider errors start over. */
export function forgive(entries: readonly MetricStatus[]): MetricStatus[] {
  return entries.map((e) =>
    e.phase === 'Inconclusive' || e.phase === 'Error'
      ? { ...e, phase: 'Running', inconclusive: 0, consecutiveErrors: 0 }
      : e,
  );
}

function lastMessage(e: MetricStatus, phase: Measurement['phase']): string {
  return [...e.measurements].reverse().find((x) => x.phase === phase)?.message ?? e.name;
}

/** The verdict of a set of metrics, worst first: Failed, Inconclusive, Error, Blind, Running, Successful. */
function combine(
  metrics: readonly ResolvedMetric[],
  s: RolloutStatus,
  scope: 'step' | 'background',
): AnalysisVerdict | undefined {
  const active = activeMetrics(metrics, s).filter((m) => m.scope === scope);
  if (active.length === 0) return undefined;
  const pairs = active.map((m) => ({ m, e: entryOf(s, m.key) }));
  const failed = pairs.find(({ e }) => e?.phase === 'Failed');
  if (failed?.e !== undefined) return { verdict: 'Failed', message: lastMessage(failed.e, 'Failed') };
  const giveUp = pairs.find(({ m, e }) => e?.phase === 'Error' && m.onConsecutiveErrors === 'Rollback');
  if (giveUp?.e !== undefined)
    return {
      verdict: 'Failed',
      message: `${lastMessage(giveUp.e, 'Error')} (${giveUp.e.consecutiveErrors} errors in a row)`,
    };
  const inconclusive = pairs.find(({ e }) => e?.phase === 'Inconclusive');
  if (inconclusive?.e !== undefined)
    return {
      verdict: 'Inconclusive',
      message: `${lastMessage(inconclusive.e, 'Inconclusive')} (${inconclusive.e.inconclusive} inconclusive measurements)`,
    };
  const error = pairs.find(({ e }) => e?.phase === 'Error');
  if (error?.e !== undefined)
    return {
      verdict: 'Error',
      message: `${lastMessage(error.e, 'Error')} (${error.e.consecutiveErrors} errors in a row)`,
    };
  const blind = pairs.find(({ e }) => e?.measurements.at(-1)?.phase === 'Error');
  if (blind?.e !== undefined)
    return {
      verdict: 'Blind',
      message: `${lastMessage(blind.e, 'Error')} (${blind.e.consecutiveErrors}/${blind.m.consecutiveErrorLimit + 1} errors before pausing)`,
    };
  const running = pairs.find(({ e }) => e?.phase !== 'Successful');
  if (running !== undefined || scope === 'background') {
    const measured = pairs.map(({ e }) => e?.measurements.at(-1)?.message).filter((x) => x !== undefined);
    return {
      verdict: 'Running',
      message: measured.length === 0 ? 'waiting for the first measurement' : measured.join('; '),
    };
  }
  return { verdict: 'Successful', message: pairs.map(({ e }) => e?.measurements.at(-1)?.message ?? '').join('; ') };
}

export function verdicts(
  metrics: readonly ResolvedMetric[],
  s: RolloutStatus,
): { step?: AnalysisVerdict; background?: AnalysisVerdict } {
  const step = combine(metrics, s, 'step');
  const background = combine(metrics, s, 'background');
  return { ...(step === undefined ? {} : { step }), ...(background === undefined ? {} : { background }) };
}
