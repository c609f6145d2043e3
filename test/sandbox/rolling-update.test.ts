/** The Deployment controller's rollout arithmetic, against the cases the Kubernetes documentation describes. */
import { describe, expect, it } from 'vitest';
import { fenceposts, nextReplicas, type ReplicaSetCounts } from '../../src/sandbox/workloads/rolling-update.js';

const rs = (replicas: number, available = replicas, pods = replicas): ReplicaSetCounts => ({
  replicas,
  available,
  pods,
});

/** Runs syncs until nothing changes, pods becoming available at once; the fewest available pods seen. */
function rollOut(desired: number, strategy: Parameters<typeof nextReplicas>[1], from: number): number {
  let current = rs(0);
  let old = rs(from);
  let lowest = from;
  for (let i = 0; i < 100; i++) {
    const next = nextReplicas(desired, strategy, current, [old]);
    // new pods start unavailable; the next sync sees them available
    const grown = next.current > current.replicas;
    current = rs(next.current, grown ? current.available : next.current);
    old = rs(next.olds[0] ?? 0);
    lowest = Math.min(lowest, current.available + old.available);
    if (!grown && current.available === current.replicas && old.replicas === 0) return lowest;
    if (grown) current = rs(current.replicas);
  }
  throw new Error('did not converge');
}

describe('fenceposts', () => {
  it('rounds maxSurge up and maxUnavailable down; both 0 means 1 unavailable', () => {
    expect(fenceposts(undefined, 3)).toEqual({ surge: 1, unavailable: 0 });
    expect(fenceposts(undefined, 10)).toEqual({ surge: 3, unavailable: 2 });
    expect(fenceposts({ rollingUpdate: { maxSurge: 0, maxUnavailable: '0%' } }, 4)).toEqual({
      surge: 0,
      unavailable: 1,
    });
    expect(fenceposts({ rollingUpdate: { maxSurge: '30%', maxUnavailable: 2 } }, 10)).toEqual({
      surge: 3,
      unavailable: 2,
    });
  });
});

describe('nextReplicas', () => {
  it('without old replicas, scales the new ReplicaSet to replicas at once', () => {
    expect(nextReplicas(5, undefined, rs(2), [])).toEqual({ current: 5, olds: [] });
    expect(nextReplicas(1, undefined, rs(4), [rs(0, 0, 0)])).toEqual({ current: 1, olds: [0] });
  });

  it('3 replicas, 25%/25% (the documentation example): one new pod first, an old one goes only when it is available', () => {
    const first = nextReplicas(3, undefined, rs(0), [rs(3)]);
    expect(first).toEqual({ current: 1, olds: [3] });
    expect(nextReplicas(3, undefined, rs(1, 0), [rs(3)])).toEqual({ current: 1, olds: [3] });
    expect(nextReplicas(3, undefined, rs(1, 1), [rs(3)])).toEqual({ current: 1, olds: [2] });
    expect(rollOut(3, undefined, 3)).toBe(3);
  });

  it('10 replicas at 25%/25%: at most 13 pods, at least 8 available', () => {
    const first = nextReplicas(10, undefined, rs(0), [rs(10)]);
    expect(first.current).toBe(3);
    expect(first.olds).toEqual([8]);
    expect(rollOut(10, undefined, 10)).toBe(8);
  });

  it('maxUnavailable 0 keeps every pod available throughout', () => {
    expect(rollOut(5, { rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } }, 5)).toBe(5);
  });

  it('old pods that are not available go first, within replicas - maxUnavailable', () => {
    // 4 pods, 2 available, at least 3 wanted available: one unavailable old pod may go; then one new pod fits
    const strategy = { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 } };
    expect(nextReplicas(4, strategy, rs(0), [rs(4, 2)])).toEqual({ current: 0, olds: [3] });
    expect(nextReplicas(4, strategy, rs(0), [rs(3, 2)])).toEqual({ current: 1, olds: [3] });
  });

  it('Recreate: every old pod goes before the new ReplicaSet gets any', () => {
    expect(nextReplicas(3, { type: 'Recreate' }, rs(0), [rs(3)])).toEqual({ current: 0, olds: [0] });
    expect(nextReplicas(3, { type: 'Recreate' }, rs(0), [rs(0, 0, 1)])).toEqual({ current: 0, olds: [0] });
    expect(nextReplicas(3, { type: 'Recreate' }, rs(0), [rs(0, 0, 0)])).toEqual({ current: 3, olds: [0] });
  });
});
