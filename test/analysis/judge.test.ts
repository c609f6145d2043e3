import { describe, expect, it } from 'vitest';
import { dueMetrics, fold, nextDueMs, verdicts } from '../../src/analysis/assess.js';
import { formatValue, judge } from '../../src/analysis/judge.js';
import type { ResolvedMetric } from '../../src/analysis/resolve.js';
import type { RolloutStatus } from '../../src/api/schema/rollout-status.js';
import { exampleMetric } from '../rollout/fixtures.js';

const AT = new Date('2026-11-26T12:00:30Z');
const v = (value: number) => ({ kind: 'value' as const, value });
const latency: ResolvedMetric = {
  ...exampleMetric('step'),
  name: 'istio-latency-p99/latency-p99',
  unit: 'ms',
  thresholds: { max: 300 },
  failFast: { max: 1500 },
  sampleMin: 20,
  source: {
    kind: 'query',
    queries: {
      canary: { text: 'q', namespace: 'd', workload: 'w' },
      sample: { text: 's', namespace: 'd', workload: 'w' },
    },
  },
};
const CANARY = { text: 'q', namespace: 'd', workload: 'w' };

describe('judging one measurement', () => {
  it('names metric, value and threshold', () => {
    expect(judge(latency, AT, { canary: v(412), sample: v(600) })).toEqual({
      phase: 'Failed',
      value: 412,
      sample: 600,
      message: 'istio-latency-p99/latency-p99: 412 ms > 300 ms',
      startedAt: AT.toISOString(),
    });
    expect(judge(latency, AT, { canary: v(120.456), sample: v(600) })).toMatchObject({
      phase: 'Successful',
      message: 'istio-latency-p99/latency-p99: 120.5 ms <= 300 ms',
    });
    expect(judge(latency, AT, { canary: v(2000), sample: v(600) })).toMatchObject({
      phase: 'Failed',
      failFast: true,
      message: 'istio-latency-p99/latency-p99: 2000 ms > 1500 ms (fail-fast)',
    });
  });

  it('gives no verdict without data or traffic, never a failure', () => {
    expect(judge(latency, AT, { canary: v(900), sample: v(3) })).toMatchObject({
      phase: 'Inconclusive',
      message: 'istio-latency-p99/latency-p99: only 3 requests in the window (minimum 20)',
    });
    expect(judge(latency, AT, { canary: v(900), sample: { kind: 'empty' } })).toMatchObject({ phase: 'Inconclusive' });
    expect(judge(latency, AT, { canary: { kind: 'empty' }, sample: v(50) })).toMatchObject({
      phase: 'Inconclusive',
      message: 'istio-latency-p99/latency-p99: no data',
    });
    expect(judge(latency, AT, { canary: v(NaN), sample: v(50) })).toMatchObject({ phase: 'Inconclusive' });
  });

  it('turns provider failures into Error measurements', () => {
    expect(
      judge(latency, AT, {
        canary: { kind: 'error', message: 'Prometheus at http://p: timeout_error: timeout of 10000ms exceeded' },
        sample: v(50),
      }),
    ).toMatchObject({
      phase: 'Error',
      message: 'istio-latency-p99/latency-p99: Prometheus at http://p: timeout_error: timeout of 10000ms exceeded',
    });
  });

  it('compares with the primary: ratio and delta', () => {
    const ratio: ResolvedMetric = {
      ...latency,
      thresholds: {},
      failFast: {},
      sampleMin: undefined,
      compare: { maxRatio: 1.2 },
      source: {
        kind: 'query',
        queries: { canary: CANARY, primary: { text: 'q', namespace: 'd', workload: 'w-primary' } },
      },
    };
    expect(judge(ratio, AT, { canary: v(130), primary: v(100) })).toMatchObject({
      phase: 'Failed',
      message: 'istio-latency-p99/latency-p99: 130 ms > 1.2 x primary 100 ms',
      primaryValue: 100,
    });
    expect(judge(ratio, AT, { canary: v(110), primary: v(100) })).toMatchObject({ phase: 'Successful' });
    expect(judge(ratio, AT, { canary: v(110), primary: { kind: 'empty' } })).toMatchObject({ phase: 'Inconclusive' });
    const delta: ResolvedMetric = { ...ratio, compare: { maxDelta: 0.005 } };
    delete delta.unit;
    expect(judge(delta, AT, { canary: v(0.012), primary: v(0.005) })).toMatchObject({
      phase: 'Failed',
      message: 'istio-latency-p99/latency-p99: 0.012 > primary 0.005 + 0.005',
    });
    expect(formatValue(0.000123456)).toBe('0.0001235');
  });

  it('does not fail a canary on one error against a primary at 0: minPrimary, or inconclusive', () => {
    const ratio: ResolvedMetric = {
      ...latency,
      compare: { maxRatio: 1.2 },
      source: {
        kind: 'query',
        queries: { canary: CANARY, primary: { text: 'q', namespace: 'd', workload: 'w-primary' } },
      },
      thresholds: {},
      failFast: {},
    };
    delete ratio.unit;
    delete ratio.sampleMin;
    expect(judge(ratio, AT, { canary: v(0.002), primary: v(0) })).toMatchObject({
      phase: 'Inconclusive',
      message: expect.stringMatching(/primary is at 0, so maxRatio cannot judge 0.002 \(set compare.minPrimary/),
    });
    expect(judge(ratio, AT, { canary: v(0), primary: v(0) })).toMatchObject({ phase: 'Successful' });
    const floored: ResolvedMetric = { ...ratio, compare: { maxRatio: 1.2, minPrimary: 0.01 } };
    expect(judge(floored, AT, { canary: v(0.011), primary: v(0) })).toMatchObject({ phase: 'Successful' });
    expect(judge(floored, AT, { canary: v(0.02), primary: v(0) })).toMatchObject({
      phase: 'Failed',
      message: 'istio-latency-p99/latency-p99: 0.02 > 1.2 x minPrimary 0.01',
    });
    const both: ResolvedMetric = { ...ratio, compare: { maxRatio: 1.2, maxDelta: 0.005 } };
    expect(judge(both, AT, { canary: v(0.002), primary: v(0) })).toMatchObject({ phase: 'Successful' });
  });
});

describe('analysis over time', () => {
  const run = (extra: RolloutStatus = {}): RolloutStatus => ({
    phase: 'Progressing',
    currentStepIndex: 2,
    canaryWeight: 10,
    runStartedAt: '2026-11-26T11:58:10Z',
    stepStartedAt: '2026-11-26T11:59:55Z',
    ...extra,
  });
  const metrics = [{ ...exampleMetric('step'), count: 3, failureLimit: 1 }, exampleMetric('background')];

  it('measures on the interval grid, once per grid point, only what the current position runs', () => {
    expect(
      dueMetrics(metrics, run(), new Date('2026-11-26T12:00:20Z')).map((d) => [d.metric.key, d.at.toISOString()]),
    ).toEqual([['background:istio-error-rate/error-rate', '2026-11-26T12:00:00.000Z']]);
    expect(dueMetrics(metrics, run(), new Date('2026-11-26T12:00:31Z')).map((d) => d.metric.key)).toEqual([
      'step[2]:istio-error-rate/error-rate',
      'background:istio-error-rate/error-rate',
    ]);
    expect(
      dueMetrics(metrics, run({ currentStepIndex: 3 }), new Date('2026-11-26T12:00:31Z')).map((d) => d.metric.key),
    ).toEqual(['background:istio-error-rate/error-rate']);
    expect(dueMetrics(metrics, run({ phase: 'Promoting' }), new Date('2026-11-26T12:00:31Z'))).toEqual([]);
    // a measurement covers the interval before its grid time: never time before its step started
    // (a previous revision's traffic under the same workload name, or another weight)
    const late = run({ stepStartedAt: '2026-11-26T12:00:05Z', currentStepIndex: 2 });
    expect(dueMetrics(metrics, late, new Date('2026-11-26T12:00:31Z')).map((d) => d.metric.key)).toEqual([
      'background:istio-error-rate/error-rate',
    ]);
    expect(dueMetrics(metrics, late, new Date('2026-11-26T12:01:01Z')).map((d) => d.metric.key)).toContain(
      'step[2]:istio-error-rate/error-rate',
    );
    // at 0% (waiting for the canary, its endpoints lost, outside a window) background checks have
    // no canary traffic to measure: they wait, rather than turn inconclusive
    expect(
      dueMetrics(metrics, run({ canaryWeight: 0, currentStepIndex: 3 }), new Date('2026-11-26T12:00:31Z')),
    ).toEqual([]);
    expect(nextDueMs(metrics, run(), new Date('2026-11-26T12:00:20Z'))).toBe(10_000);
    const measured = run({
      metrics: fold(metrics, run(), [
        { key: metrics[1]!.key, measurement: { phase: 'Successful', startedAt: '2026-11-26T12:00:30.000Z' } },
      ]),
    });
    expect(dueMetrics(metrics, measured, new Date('2026-11-26T12:00:45Z')).map((d) => d.metric.key)).toEqual([
      'step[2]:istio-error-rate/error-rate',
    ]);
  });

  it('waits until a whole window (wider than the interval at slow scrapes) lies inside the step', () => {
    // interval 30 s at a 15 s scrape: each measurement covers 60 s, so the first one of a step that
    // started at 11:59:55 is at 12:01:00 (12:00:30 would judge 25 s of the step before), then every 30 s
    const wide = [{ ...exampleMetric('step'), windowMs: 60_000 }];
    expect(dueMetrics(wide, run(), new Date('2026-11-26T12:00:31Z'))).toEqual([]);
    expect(nextDueMs(wide, run(), new Date('2026-11-26T12:00:31Z'))).toBe(29_000);
    expect(dueMetrics(wide, run(), new Date('2026-11-26T12:01:00Z')).map((d) => d.at.toISOString())).toEqual([
      '2026-11-26T12:01:00.000Z',
    ]);
  });

  it('decides a step after count measurements, tolerating failureLimit failures', () => {
    const step = metrics[0]!;
    let s = run();
    const add = (phase: 'Successful' | 'Failed', i: number): void => {
      s = {
        ...s,
        metrics: fold(metrics, s, [
          {
            key: step.key,
            measurement: {
              phase,
              message: `${phase} ${i}`,
              startedAt: new Date(Date.parse('2026-11-26T12:00:30Z') + i * 30_000).toISOString(),
            },
          },
        ]),
      };
    };
    add('Successful', 0);
    expect(verdicts(metrics, s).step?.verdict).toBe('Running');
    add('Failed', 1);
    expect(verdicts(metrics, s).step?.verdict).toBe('Running');
    add('Successful', 2);
    expect(verdicts(metrics, s).step).toMatchObject({ verdict: 'Successful' });
    s = run();
    add('Failed', 0);
    add('Failed', 1);
    expect(verdicts(metrics, s).step).toEqual({ verdict: 'Failed', message: 'Failed 1' });
  });

  it("records each metric's unit and thresholds in status, for people and reports", () => {
    const folded = fold([latency], run(), [
      { key: latency.key, measurement: { phase: 'Successful', value: 120, startedAt: AT.toISOString() } },
    ]);
    expect(folded[0]).toMatchObject({ name: latency.key, unit: 'ms', max: 300, successful: 1 });
    expect(folded[0]).not.toHaveProperty('min');
  });
});
