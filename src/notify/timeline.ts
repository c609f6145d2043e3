/**
 * What a run looked like over time, recorded from the Rollout's status as it changes: the canary
 * weight at each change, every measurement of every check with its threshold, and each decision
 * (a new status reason or message). Reports (the demo's HTML, the PR comment's chart) draw from
 * it. Plain data, so that it can be kept in Redis between passes and replicas.
 */
import type { MeasurementPhase } from '../api/phases.js';
import type { MetricStatus } from '../api/schema/rollout-status.js';
import type { Rollout } from '../api/schema/rollout.js';
import { checkLabel } from './labels.js';

export interface WeightPoint {
  t: number;
  weight: number;
}

export interface MetricPoint {
  t: number;
  value: number;
  phase: MeasurementPhase;
}

export interface MetricSeries {
  /** The status name, e.g. `background:istio-error-rate/error-rate`. */
  name: string;
  label: string;
  unit?: string;
  min?: number;
  max?: number;
  points: MetricPoint[];
}

export interface Decision {
  t: number;
  reason: string;
  message: string;
}

export interface Timeline {
  /** `namespace/name` of the Rollout. */
  rollout: string;
  startedAt: number;
  endedAt: number;
  weights: WeightPoint[];
  metrics: MetricSeries[];
  decisions: Decision[];
  /** How many of the oldest weights and decisions the caps dropped (absolute positions stay known). */
  dropped?: { weights: number; decisions: number };
}

/** How many decisions the run has had (those kept and those the cap dropped). */
export function decisionCount(run: Timeline): number {
  return (run.dropped?.decisions ?? 0) + run.decisions.length;
}

/** How many weight changes the run has had (those kept and those the cap dropped). */
export function weightCount(run: Timeline): number {
  return (run.dropped?.weights ?? 0) + run.weights.length;
}

/** Bounds, so that a long run cannot grow a timeline without limit. */
const MAX_POINTS = 500;

export function newTimeline(rollout: string, now: number): Timeline {
  return { rollout, startedAt: now, endedAt: now, weights: [], metrics: [], decisions: [] };
}

const capped = (list: unknown[]): void => {
  if (list.length > MAX_POINTS) list.splice(0, list.length - MAX_POINTS);
};

function measured(run: Timeline, m: MetricStatus): void {
  let series = run.metrics.find((x) => x.name === m.name);
  if (series === undefined) {
    series = {
      name: m.name,
      label: checkLabel(m.name),
      ...(m.unit === undefined ? {} : { unit: m.unit }),
      ...(m.min === undefined ? {} : { min: m.min }),
      ...(m.max === undefined ? {} : { max: m.max }),
      points: [],
    };
    run.metrics.push(series);
  }
  for (const x of m.measurements) {
    const t = Date.parse(x.startedAt);
    if (x.value === undefined || t < run.startedAt || series.points.some((p) => p.t === t)) continue;
    series.points.push({ t, value: x.value, phase: x.phase });
  }
  series.points.sort((a, b) => a.t - b.t);
  capped(series.points);
}

/** Keeps the latest weights and decisions, counting what is dropped (their positions in the run stay known). */
function capRun(run: Timeline): void {
  const over = (list: unknown[]): number => Math.max(0, list.length - MAX_POINTS);
  const dropped = {
    weights: (run.dropped?.weights ?? 0) + over(run.weights),
    decisions: (run.dropped?.decisions ?? 0) + over(run.decisions),
  };
  if (dropped.weights + dropped.decisions > 0) run.dropped = dropped;
  capped(run.weights);
  capped(run.decisions);
}

/** Adds what the Rollout shows at `now` to the timeline (in place). */
export function observeRun(run: Timeline, r: Rollout, now: number): void {
  const s = r.status ?? {};
  const weight = s.canaryWeight ?? 0;
  if (run.weights[run.weights.length - 1]?.weight !== weight) run.weights.push({ t: now, weight });
  const last = run.decisions[run.decisions.length - 1];
  const message = s.message ?? '';
  if (s.reason !== undefined && (last?.reason !== s.reason || last.message !== message))
    run.decisions.push({ t: now, reason: s.reason, message });
  for (const m of s.metrics ?? []) measured(run, m);
  capRun(run);
  run.endedAt = Math.max(run.endedAt, now);
}
