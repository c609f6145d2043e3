import { describe, expect, it } from 'vitest';
import { TimelineRecorder } from '../../src/demo/recorder.js';

const T0 = Date.parse('2026-11-26T12:00:00Z');
const r = (status: object, name = 'podinfo'): any => ({ metadata: { name, namespace: 'demo' }, spec: {}, status });
const metric = (measurements: object[]): any => ({
  name: 'background:istio-error-rate/error-rate',
  phase: 'Running',
  max: 0.01,
  successful: 0,
  failed: 0,
  inconclusive: 0,
  errors: 0,
  consecutiveErrors: 0,
  measurements,
});

describe('timeline recorder', () => {
  it('records weight changes, each measurement once, and each decision, for the run begun last', () => {
    const rec = new TimelineRecorder();
    rec.see(r({ canaryWeight: 50, reason: 'Stable' }), T0 - 1000); // before any run: ignored
    rec.begin({ name: 'good-release', title: 't', expected: 'Promoted' }, 'demo/podinfo', T0);
    rec.see(r({ canaryWeight: 0, reason: 'NewRevision', message: 'started' }), T0 + 100);
    rec.see(r({ canaryWeight: 10, reason: 'WeightSet', message: '10%' }), T0 + 600);
    const m1 = { phase: 'Successful', value: 0.001, startedAt: new Date(T0 + 5000).toISOString() };
    rec.see(r({ canaryWeight: 10, reason: 'WeightSet', message: '10%', metrics: [metric([m1])] }), T0 + 5100);
    rec.see(
      r({
        canaryWeight: 10,
        reason: 'WeightSet',
        message: '10%',
        metrics: [metric([m1, { phase: 'Inconclusive', startedAt: new Date(T0 + 10_000).toISOString() }])],
      }),
      T0 + 10_100,
    );
    rec.see(r({ canaryWeight: 99 }, 'other'), T0 + 10_200); // another rollout: ignored
    rec.see(r({ canaryWeight: 0, reason: 'Promoted', message: 'done', metrics: [metric([m1])] }), T0 + 12_000);
    rec.end({ got: 'Promoted', detail: 'done', ok: true }, T0 + 12_050);
    rec.see(r({ canaryWeight: 10, reason: 'NewRevision' }), T0 + 20_000); // after the run: ignored
    expect(rec.runs).toHaveLength(1);
    const run = rec.runs[0]!;
    expect(run.weights).toEqual([
      { t: T0 + 100, weight: 0 },
      { t: T0 + 600, weight: 10 },
      { t: T0 + 12_000, weight: 0 },
    ]);
    expect(run.decisions.map((d) => d.reason)).toEqual(['NewRevision', 'WeightSet', 'Promoted']);
    expect(run.metrics).toEqual([
      {
        name: 'background:istio-error-rate/error-rate',
        label: 'error-rate',
        max: 0.01,
        points: [{ t: T0 + 5000, value: 0.001, phase: 'Successful' }],
      },
    ]);
    expect(run).toMatchObject({ got: 'Promoted', ok: true, endedAt: T0 + 12_050 });
  });
});
