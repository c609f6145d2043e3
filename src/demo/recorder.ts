/**
 * Records what a run looked like from the Rollout's status as it changes: the canary weight
 * over time, every measurement of every check with its threshold, and each decision (a new
 * status reason or message). The report draws its charts from these timelines.
 */
import type { MeasurementPhase } from '../api/phases.js';
import type { MetricStatus } from '../api/schema/rollout-status.js';
import type { Rollout } from '../api/schema/rollout.js';
import { checkLabel } from '../cli/live-view.js';

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

export interface RunTimeline {
  scenario: string;
  title: string;
  rollout: string;
  startedAt: number;
  endedAt: number;
  expected: string;
  got: string;
  detail: string;
  ok: boolean;
  weights: WeightPoint[];
  metrics: MetricSeries[];
  decisions: Decision[];
}

export class TimelineRecorder {
  readonly runs: RunTimeline[] = [];
  private current: RunTimeline | undefined;
  private readonly seen = new Set<string>();

  /** A scenario's release was made at `now`: what follows belongs to its run. */
  begin(scenario: { name: string; title: string; expected: string }, rollout: string, now: number): void {
    this.current = { scenario: scenario.name, title: scenario.title, rollout, startedAt: now, endedAt: now, expected: scenario.expected, got: '', detail: '', ok: false, weights: [], metrics: [], decisions: [] };
    this.seen.clear();
    this.runs.push(this.current);
  }

  /** The Rollout as a watch delivered it at `now`. */
  see(r: Rollout, now: number): void {
    const run = this.current;
    if (run === undefined || `${r.metadata.namespace ?? 'default'}/${r.metadata.name}` !== run.rollout) return;
    const s = r.status ?? {};
    const weight = s.canaryWeight ?? 0;
    if (run.weights[run.weights.length - 1]?.weight !== weight) run.weights.push({ t: now, weight });
    const last = run.decisions[run.decisions.length - 1];
    const message = s.message ?? '';
    if (s.reason !== undefined && (last?.reason !== s.reason || last.message !== message)) run.decisions.push({ t: now, reason: s.reason, message });
    for (const m of s.metrics ?? []) this.measured(run, m);
    run.endedAt = now;
  }

  private measured(run: RunTimeline, m: MetricStatus): void {
    let series = run.metrics.find((x) => x.name === m.name);
    if (series === undefined) {
      series = { name: m.name, label: checkLabel(m.name), ...(m.unit === undefined ? {} : { unit: m.unit }), ...(m.min === undefined ? {} : { min: m.min }), ...(m.max === undefined ? {} : { max: m.max }), points: [] };
      run.metrics.push(series);
    }
    for (const x of m.measurements) {
      const id = `${m.name}@${x.startedAt}`;
      const t = Date.parse(x.startedAt);
      if (this.seen.has(id) || x.value === undefined || t < run.startedAt) continue;
      this.seen.add(id);
      series.points.push({ t, value: x.value, phase: x.phase });
    }
  }

  /** The run is over: what it ended as. */
  end(outcome: { got: string; detail: string; ok: boolean }, now: number): void {
    if (this.current === undefined) return;
    Object.assign(this.current, outcome, { endedAt: now });
    this.current = undefined;
  }
}
