/** One measurement's verdict from the values a provider returned. Pure. */
import type { Measurement } from '../api/schema/rollout-status.js';
import type { Bounds, ResolvedMetric } from './resolve.js';

/** What a provider answered for one query. */
export type QueryValue = { kind: 'value'; value: number } | { kind: 'empty' } | { kind: 'error'; message: string };

export interface RawMeasurement {
  canary: QueryValue;
  primary?: QueryValue;
  sample?: QueryValue;
}

/** A number as people read it: at most 4 significant digits, with the metric's unit. */
export function formatValue(value: number, unit?: string): string {
  const text = Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
  return unit === undefined ? text : `${text} ${unit}`;
}

function outside(value: number, b: Bounds, unit?: string): string | undefined {
  if (b.max !== undefined && value > b.max) return `${formatValue(value, unit)} > ${formatValue(b.max, unit)}`;
  if (b.min !== undefined && value < b.min) return `${formatValue(value, unit)} < ${formatValue(b.min, unit)}`;
  return undefined;
}

function numberOf(v: QueryValue | undefined): number | undefined {
  return v?.kind === 'value' && !Number.isNaN(v.value) ? v.value : undefined;
}

/**
 * The canary against the primary: a failure message, 'inconclusive' when a ratio cannot judge
 * (a primary at 0 without compare.minPrimary: any error would be infinitely worse), or undefined.
 */
function compared(m: ResolvedMetric, value: number, primary: number): { failed: string } | 'inconclusive' | undefined {
  const { maxRatio, maxDelta, minPrimary } = m.compare;
  const p = formatValue(primary, m.unit);
  if (maxDelta !== undefined && value > primary + maxDelta)
    return { failed: `${formatValue(value, m.unit)} > primary ${p} + ${formatValue(maxDelta, m.unit)}` };
  if (maxRatio === undefined) return undefined;
  const base = Math.max(primary, minPrimary ?? 0);
  if (base <= 0) return value > 0 && maxDelta === undefined ? 'inconclusive' : undefined;
  const of = base === primary ? `primary ${p}` : `minPrimary ${formatValue(base, m.unit)}`;
  if (value > base * maxRatio) return { failed: `${formatValue(value, m.unit)} > ${maxRatio} x ${of}` };
  return undefined;
}

function within(m: ResolvedMetric, value: number): string {
  const limits = [
    m.thresholds.min === undefined ? undefined : `>= ${formatValue(m.thresholds.min, m.unit)}`,
    m.thresholds.max === undefined ? undefined : `<= ${formatValue(m.thresholds.max, m.unit)}`,
  ].filter((x) => x !== undefined);
  return `${formatValue(value, m.unit)}${limits.length === 0 ? '' : ` ${limits.join(' and ')}`}`;
}

/** The verdict on a value that exists, with the sample already found big enough. */
function verdictOn(
  m: ResolvedMetric,
  value: number,
  primary: number | undefined,
): Pick<Measurement, 'phase' | 'message' | 'failFast'> {
  const fast = outside(value, m.failFast, m.unit);
  if (fast !== undefined) return { phase: 'Failed', failFast: true, message: `${m.name}: ${fast} (fail-fast)` };
  const broken = outside(value, m.thresholds, m.unit);
  if (broken !== undefined) return { phase: 'Failed', message: `${m.name}: ${broken}` };
  if (m.source.kind === 'query' && m.source.queries.primary !== undefined) {
    if (primary === undefined)
      return { phase: 'Inconclusive', message: `${m.name}: no data for the primary to compare with` };
    const worse = compared(m, value, primary);
    if (worse === 'inconclusive')
      return {
        phase: 'Inconclusive',
        message: `${m.name}: the primary is at 0, so maxRatio cannot judge ${formatValue(value, m.unit)} (set compare.minPrimary or maxDelta)`,
      };
    if (worse !== undefined) return { phase: 'Failed', message: `${m.name}: ${worse.failed}` };
  }
  return { phase: 'Successful', message: `${m.name}: ${within(m, value)}` };
}

export function judge(m: ResolvedMetric, at: Date, raw: RawMeasurement): Measurement {
  const base = { startedAt: at.toISOString() };
  const failure = [raw.canary, raw.primary, raw.sample].find(
    (v): v is { kind: 'error'; message: string } => v?.kind === 'error',
  );
  if (failure !== undefined) return { ...base, phase: 'Error', message: `${m.name}: ${failure.message}` };
  const sample = raw.sample === undefined ? undefined : (numberOf(raw.sample) ?? 0);
  const value = numberOf(raw.canary);
  const primary = numberOf(raw.primary);
  const values = {
    ...(value === undefined ? {} : { value }),
    ...(primary === undefined ? {} : { primaryValue: primary }),
    ...(sample === undefined ? {} : { sample }),
  };
  if (sample !== undefined && m.sampleMin !== undefined && sample < m.sampleMin) {
    return {
      ...base,
      ...values,
      phase: 'Inconclusive',
      message: `${m.name}: only ${formatValue(sample)} requests in the window (minimum ${formatValue(m.sampleMin)})`,
    };
  }
  if (value === undefined) return { ...base, ...values, phase: 'Inconclusive', message: `${m.name}: no data` };
  return { ...base, ...values, ...verdictOn(m, value, primary) };
}
