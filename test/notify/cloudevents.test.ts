/** Run decisions as CloudEvents: which changes are events, and ids stable per decision. */
import { describe, expect, it } from 'vitest';
import { runEvents } from '../../src/notify/events/cloudevents.js';
import { signature } from '../../src/notify/events/channel.js';
import type { RunSnapshot } from '../../src/notify/run-report.js';

const T0 = Date.parse('2026-12-07T10:00:00Z');

function snap(over: Partial<RunSnapshot['status']>, decisions: [string, string][], weights: number[]): RunSnapshot {
  return {
    key: 'demo/podinfo@2026-12-07T10:00:00.000Z',
    namespace: 'demo',
    name: 'podinfo',
    steps: [],
    status: { runStartedAt: '2026-12-07T10:00:00.000Z', canaryRevision: 'abc123', phase: 'Progressing', ...over },
    timeline: {
      rollout: 'demo/podinfo',
      startedAt: T0,
      endedAt: T0 + 60_000,
      weights: weights.map((weight, i) => ({ t: T0 + i * 1000, weight })),
      metrics: [],
      decisions: decisions.map(([reason, message], i) => ({ t: T0 + i * 1000, reason, message })),
    },
  };
}

describe('run events', () => {
  const first = snap({}, [['NewRevision', 'new revision abc123']], [0]);
  const later = snap(
    {
      phase: 'Paused',
      metrics: [
        {
          name: 'step[1]:t/m',
          phase: 'Running',
          successful: 0,
          failed: 1,
          inconclusive: 0,
          errors: 0,
          consecutiveErrors: 0,
          measurements: [
            { phase: 'Failed', value: 0.2, message: 't/m: 0.2 > 0.01', startedAt: '2026-12-07T10:00:30Z' },
          ],
        },
      ],
      commands: [
        {
          id: 'c1',
          action: 'pause',
          user: 'alice',
          source: 'cli',
          at: '2026-12-07T10:00:40Z',
          handledAt: '2026-12-07T10:00:41Z',
          accepted: true,
          outcome: 'paused',
        },
      ],
    },
    [
      ['NewRevision', 'new revision abc123'],
      ['WaitingForCanary', 'waiting'],
      ['WeightSet', '20%'],
      ['ManualPause', 'paused by alice'],
    ],
    [0, 20],
  );

  it('announces the start, then each weight, pause, failed measurement and command once', () => {
    const start = runEvents(undefined, first);
    expect(start.map((e) => e.type)).toEqual(['dev.sluice.rollout.started']);
    expect(start[0]).toMatchObject({
      specversion: '1.0',
      source: '/apis/sluice.dev/v1alpha1/namespaces/demo/rollouts/podinfo',
      subject: 'abc123',
      time: '2026-12-07T10:00:00.000Z',
      data: { namespace: 'demo', name: 'podinfo', reason: 'NewRevision' },
    });
    const next = runEvents(first, later);
    expect(next.map((e) => e.type)).toEqual([
      'dev.sluice.rollout.paused',
      'dev.sluice.rollout.weight.set',
      'dev.sluice.rollout.analysis.failed',
      'dev.sluice.rollout.command.received',
    ]);
    expect(next[1]?.data).toMatchObject({ weight: 20 });
    expect(next[2]?.data).toMatchObject({ metric: 'step[1]:t/m', failed: 1, value: 0.2 });
    expect(next[3]?.data).toMatchObject({ action: 'pause', user: 'alice', accepted: true });
    expect(runEvents(later, later)).toEqual([]);
  });

  it('gives a decision the same id however it is found again (a restart, another replica)', () => {
    const all = runEvents(undefined, later);
    const stepwise = [...runEvents(undefined, first), ...runEvents(first, later)];
    expect(new Set(all.map((e) => e.id))).toEqual(new Set(stepwise.map((e) => e.id)));
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
  });

  it('signs the body as GitHub signs webhooks', () => {
    expect(signature("It's a Secret to Everybody", 'Hello, World!')).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('announces a decision once, however its message changes, and still after the timeline dropped its oldest', () => {
    const paused = snap({}, [['MetricsUnavailable', '5 errors in a row']], [0]);
    const more = snap(
      {},
      [
        ['MetricsUnavailable', '5 errors in a row'],
        ['MetricsUnavailable', '6 errors in a row'],
      ],
      [0],
    );
    expect(runEvents(paused, more)).toEqual([]);
    // 500 decisions kept, 700 seen: the next one is new by its position in the run
    const long = (n: number, last: string): RunSnapshot => {
      const s = snap(
        {},
        Array.from({ length: 500 }, (_, i) => [i === 499 ? last : `WeightSet`, `#${n - 500 + i}`]),
        [0],
      );
      s.timeline.dropped = { decisions: n - 500, weights: 0 };
      return s;
    };
    const events = runEvents(long(700, 'WeightSet'), long(701, 'Promoted'));
    expect(events.map((e) => e.type)).toEqual(['dev.sluice.rollout.promoted']);
  });
});
