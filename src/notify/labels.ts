/** How checks read to people, wherever Sluice shows them: the live view, reports, PR comments, Slack. Pure. */
import { formatValue } from '../analysis/judge.js';
import type { MetricStatus } from '../api/schema/rollout-status.js';

/** `background:istio-error-rate/error-rate` -> `error-rate`; a step's check says which step. */
export function checkLabel(name: string): string {
  const m = /^(?:background|step\[(\d+)\]):(?:[^/]*\/)?(.*)$/.exec(name);
  if (m === null) return name;
  return m[1] === undefined ? (m[2] ?? name) : `${m[2] ?? name} (step ${Number(m[1]) + 1})`;
}

const VERDICT: Record<Exclude<MetricStatus['phase'], 'Running'>, string> = {
  Pending: 'pending',
  Successful: 'passed',
  Failed: 'FAILED',
  Inconclusive: 'inconclusive',
  Error: 'error',
};

/** The check's verdict so far; a running check says when it has failed (within its failureLimit). */
export function checkVerdict(m: MetricStatus): string {
  if (m.phase !== 'Running') return VERDICT[m.phase];
  return m.failed > 0 ? `failed ${m.failed}x, within its limit` : 'ok so far';
}

/** The latest value against the threshold, e.g. `0.002 <= 0.01` or `412 ms > 300 ms`. */
export function checkValue(m: MetricStatus): string {
  const last = m.measurements[m.measurements.length - 1];
  if (last === undefined) return 'not measured yet';
  if (last.value === undefined) return last.phase === 'Inconclusive' ? 'no verdict' : last.phase.toLowerCase();
  const value = formatValue(last.value, m.unit);
  if (m.max !== undefined) return `${value} ${last.value > m.max ? '>' : '<='} ${formatValue(m.max, m.unit)}`;
  if (m.min !== undefined) return `${value} ${last.value < m.min ? '<' : '>='} ${formatValue(m.min, m.unit)}`;
  return value;
}
