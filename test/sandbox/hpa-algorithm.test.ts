/** The sandbox's HPA algorithm against the worked examples of the Kubernetes documentation. */
import { describe, expect, it } from 'vitest';
import {
  normalize,
  proposedReplicas,
  type PodSample,
  type Recommendation,
  type ScaleEvent,
} from '../../src/sandbox/workloads/hpa-algorithm.js';

const pods = (n: number, usage: number, request = 100, ready = true): PodSample[] =>
  Array.from({ length: n }, () => ({ ready, usage, request }));

describe('the replicas the metric asks for', () => {
  it('scales by the ratio of current to desired value, within a 10% tolerance', () => {
    // "if the current metric value is 200m, and the desired value is 100m, the number of replicas will be doubled"
    expect(proposedReplicas(2, pods(2, 200), 100).replicas).toBe(4);
    // "If the current value is instead 50m, you'll halve the number of replicas"
    expect(proposedReplicas(4, pods(4, 50), 100).replicas).toBe(2);
    // "skips any scaling action if the ratio is sufficiently close to 1.0 (within ... 0.1 by default)"
    expect(proposedReplicas(4, pods(4, 105), 100).replicas).toBe(4);
    expect(proposedReplicas(4, pods(4, 91), 100).replicas).toBe(4);
    // the v1.33 tolerance post: 50 replicas at 90% of a 75% target -> 60
    expect(proposedReplicas(50, pods(50, 90), 75)).toEqual({ replicas: 60, utilization: 90 });
  });

  it('counts not-ready pods as idle, and pods without a metric conservatively', () => {
    // 2 ready pods at 200%, 2 not ready yet: counted at 0%, the ratio is 1 -> no scale up
    expect(proposedReplicas(4, [...pods(2, 200), ...pods(2, 0, 100, false)], 100).replicas).toBe(4);
    // 2 ready at 300%, 2 not ready: (600 + 0) / 400 = 1.5 -> ceil(1.5 x 4) = 6
    expect(proposedReplicas(4, [...pods(2, 300), ...pods(2, 0, 100, false)], 100).replicas).toBe(6);
    // scale down with 2 pods without metrics: they count at the target, (40 + 40 + 100 + 100) / 400 = 0.7 -> 3
    expect(
      proposedReplicas(4, [...pods(2, 40), ...pods(2, 0).map((p) => ({ ...p, usage: undefined }))], 100).replicas,
    ).toBe(3);
    // no pod with a metric: nothing to go by
    expect(proposedReplicas(3, pods(3, 0, 100, false), 100)).toEqual({ replicas: 3, utilization: undefined });
  });
});

describe('behavior: stabilization and policies', () => {
  const none = { recommendations: [] as Recommendation[], events: [] as ScaleEvent[] };

  it('scales up at once by 100% or 4 pods per 15 s, whichever is more (the defaults)', () => {
    const step = normalize({ current: 2, proposed: 20, min: 1, max: 50, behavior: undefined, ...none, nowMs: 0 });
    expect(step).toMatchObject({ replicas: 6, limited: 'ScaleUpLimit' });
    // within the same 15 s the 4 added pods count: still 6 allowed from a period start of 2
    const events = [{ atMs: 0, change: 4 }];
    expect(
      normalize({
        current: 6,
        proposed: 20,
        min: 1,
        max: 50,
        behavior: undefined,
        recommendations: [],
        events,
        nowMs: 10_000,
      }).replicas,
    ).toBe(6);
    // a period later: 12 (100% of 6)
    expect(
      normalize({
        current: 6,
        proposed: 20,
        min: 1,
        max: 50,
        behavior: undefined,
        recommendations: [],
        events,
        nowMs: 15_000,
      }).replicas,
    ).toBe(12);
    expect(
      normalize({ current: 2, proposed: 20, min: 1, max: 5, behavior: undefined, ...none, nowMs: 0 }),
    ).toMatchObject({
      replicas: 5,
      limited: 'TooManyReplicas',
    });
  });

  it('scales down to the highest recommendation of the last 300 s (the default window)', () => {
    const recommendations = [
      { atMs: -400_000, replicas: 9 }, // outside the window
      { atMs: -200_000, replicas: 8 },
      { atMs: -100_000, replicas: 6 },
    ];
    const r = normalize({
      current: 8,
      proposed: 4,
      min: 1,
      max: 10,
      behavior: undefined,
      recommendations,
      events: [],
      nowMs: 0,
    });
    expect(r.replicas).toBe(8);
    expect(r.recommendations).toEqual([...recommendations.slice(1), { atMs: 0, replicas: 4 }]);
    // once the 8 is older than the window, 6
    expect(
      normalize({
        current: 8,
        proposed: 4,
        min: 1,
        max: 10,
        behavior: undefined,
        recommendations,
        events: [],
        nowMs: 150_000,
      }).replicas,
    ).toBe(6);
  });

  it('follows the documented scale-down example: 4 pods or 10% per minute, whichever removes more', () => {
    const behavior = {
      scaleDown: {
        stabilizationWindowSeconds: 0,
        policies: [
          { type: 'Pods' as const, value: 4, periodSeconds: 60 },
          { type: 'Percent' as const, value: 10, periodSeconds: 60 },
        ],
      },
    };
    const history: number[] = [];
    let current = 80;
    const events: ScaleEvent[] = [];
    for (let minute = 0; current > 10 && minute < 30; minute++) {
      const nowMs = minute * 60_000;
      const r = normalize({ current, proposed: 10, min: 1, max: 100, behavior, recommendations: [], events, nowMs });
      // the next loop of the same minute (15 s later) may not remove more
      const again = normalize({
        current: r.replicas,
        proposed: 10,
        min: 1,
        max: 100,
        behavior,
        recommendations: [],
        events: [...events, { atMs: nowMs, change: r.replicas - current }],
        nowMs: nowMs + 15_000,
      });
      expect(again.replicas).toBe(r.replicas);
      events.push({ atMs: nowMs, change: r.replicas - current });
      current = r.replicas;
      history.push(current);
    }
    // "during the first step 8 replicas will be reduced ... when the number of replicas is 72,
    // 10% of the pods is 7.2 but the number is rounded up to 8 ... below 40 ... 4 at a time"
    expect(history.slice(0, 3)).toEqual([72, 64, 57]);
    expect(history.filter((n) => n < 40).slice(0, 3)).toEqual([36, 32, 28]);
    expect(history.at(-1)).toBe(10);
  });

  it('never scales in a direction whose selectPolicy is Disabled, and keeps min/max', () => {
    const behavior = { scaleDown: { selectPolicy: 'Disabled' as const, stabilizationWindowSeconds: 0 } };
    expect(normalize({ current: 8, proposed: 2, min: 1, max: 10, behavior, ...none, nowMs: 0 }).replicas).toBe(8);
    expect(
      normalize({
        current: 8,
        proposed: 1,
        min: 3,
        max: 10,
        behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
        ...none,
        nowMs: 0,
      }),
    ).toMatchObject({ replicas: 3, limited: 'TooFewReplicas' });
  });
});
