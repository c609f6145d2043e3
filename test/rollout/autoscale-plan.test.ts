/** The planner with autoscaled targets and canaryScale: who sizes what, and capacity that never drops. */
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../src/api/schema/rollout.js';
import type { RolloutStatus } from '../../src/api/schema/rollout-status.js';
import type { AutoscalerObservation, Observations } from '../../src/rollout/model.js';
import { plan } from '../../src/rollout/plan.js';
import { exampleRollout } from './fixtures.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString();

function rollout(status?: RolloutStatus, spec?: (r: Rollout) => void): Rollout {
  return exampleRollout(status, (r) => {
    // steps: 0 setWeight 10, 1 pause 30s, 2 analysis, 3 setWeight 50, 4 pause 30s
    delete r.spec.strategy.canary.analysis;
    r.spec.strategy.canary.steps[2] = { pause: { duration: '10s' } };
    spec?.(r);
  });
}

const hpa = (
  copy: 'ok' | 'missing' | 'drifted' | 'foreign' = 'ok',
  copyMinReplicas = 2,
): Observations['autoscaler'] => ({
  kind: 'HorizontalPodAutoscaler',
  name: 'podinfo',
  copy,
  minReplicas: 2,
  maxReplicas: 8,
  ...(copy === 'missing' ? {} : { copyMinReplicas }),
});

function obs(over: Partial<Observations> = {}): Observations {
  return {
    specErrors: [],
    target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true, allUpdated: true },
    primary: { revision: 'r1', replicas: 5, readyReplicas: 5, rolledOut: true, allUpdated: true },
    routedWeight: 0,
    missingRouting: [],
    analysis: { metrics: [], taken: [] },
    commands: [],
    ...over,
  };
}

const healthy: RolloutStatus = {
  phase: 'Healthy',
  reason: 'Stable',
  stableRevision: 'r1',
  canaryWeight: 0,
  primaryReplicas: 5,
};
const run = (index: number, extra: RolloutStatus = {}): RolloutStatus => ({
  phase: 'Progressing',
  reason: 'WeightSet',
  canaryWeight: index >= 3 ? 50 : 10,
  stableRevision: 'r1',
  canaryRevision: 'r2',
  currentStepIndex: index,
  runStartedAt: ago(120),
  stepStartedAt: ago(1),
  primaryReplicas: 5,
  ...extra,
});
const canary = (replicas: number, ready = replicas, more: object = {}): Observations['target'] => ({
  revision: 'r2',
  replicas,
  readyReplicas: ready,
  rolledOut: true,
  allUpdated: true,
  ...more,
});

describe("the copy of the target's HPA for the primary", () => {
  it("is created when missing, updated when it differs from the user's, and left alone when equal", () => {
    for (const [copy, acts] of [
      ['missing', [{ type: 'ensureAutoscaler', minReplicas: 2 }]],
      ['drifted', [{ type: 'ensureAutoscaler', minReplicas: 2 }]],
      ['ok', []],
    ] as const) {
      const p = plan(rollout(healthy), obs({ autoscaler: hpa(copy) }), NOW);
      expect(p.actions, copy).toEqual(acts);
      expect(
        p.events.map((e) => e.reason),
        copy,
      ).toEqual(acts.length > 0 ? ['AutoscalerCopied'] : []);
      expect(p.status.conditions?.find((c) => c.type === 'Autoscaled')).toMatchObject({
        status: 'True',
        reason: 'PrimaryAutoscaled',
      });
    }
  });

  it("waits for the primary to exist, and is deleted when the user's HPA is gone", () => {
    const init = plan(rollout(), obs({ primary: undefined, autoscaler: hpa('missing') }), NOW);
    expect(init.actions).toEqual([{ type: 'ensurePrimary', revision: 'r1', replicas: 1 }]);
    const gone = plan(rollout(healthy), obs({ strayAutoscalers: ['HorizontalPodAutoscaler/podinfo-primary'] }), NOW);
    expect(gone.actions).toEqual([
      { type: 'deleteAutoscaler', kind: 'HorizontalPodAutoscaler', name: 'podinfo-primary' },
    ]);
  });

  it("someone else's object under the copy's name stops the Rollout (a conflict, found by the shell)", () => {
    const p = plan(
      rollout(healthy),
      obs({ autoscaler: hpa('foreign'), conflicts: ['HorizontalPodAutoscaler/podinfo-primary: not made by Sluice'] }),
      NOW,
    );
    expect(p.status.phase).toBe('Invalid');
    expect(p.actions).toEqual([]);
  });

  it('a named autoscaler that does not exist is a False condition and one Warning', () => {
    const named = (r: Rollout): void => {
      r.spec.autoscalerRef = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', name: 'web' };
    };
    const p = plan(rollout(healthy, named), obs({ missingAutoscaler: 'HorizontalPodAutoscaler/web' }), NOW);
    const c = p.status.conditions?.find((x) => x.type === 'Autoscaled');
    expect(c).toMatchObject({ status: 'False', reason: 'AutoscalerNotFound' });
    expect(p.events.filter((e) => e.type === 'Warning').map((e) => e.reason)).toEqual(['AutoscalerNotFound']);
    const again = plan(
      rollout({ ...healthy, conditions: p.status.conditions }, named),
      obs({ missingAutoscaler: 'HorizontalPodAutoscaler/web' }),
      NOW,
    );
    expect(again.events).toEqual([]);
  });
});

describe('sizing the canary', () => {
  const start = (over: Partial<Observations>, spec?: (r: Rollout) => void): unknown[] =>
    plan(rollout(healthy, spec), obs({ target: canary(0), ...over }), NOW).actions;

  it('starts at the HPA minimum when the target has an autoscaler (the HPA sizes it from there)', () => {
    expect(start({ autoscaler: hpa('ok', 5) })).toEqual([{ type: 'scaleCanary', replicas: 2 }]);
  });

  it('without one: as the primary, or canaryScale replicas / percent / matchTrafficWeight (first weight 10%)', () => {
    expect(start({})).toEqual([{ type: 'scaleCanary', replicas: 5 }]);
    const scaled = (canaryScale: object) => (r: Rollout) => {
      r.spec.strategy.canary.canaryScale = canaryScale;
    };
    expect(start({}, scaled({ replicas: 3 }))).toEqual([{ type: 'scaleCanary', replicas: 3 }]);
    expect(start({}, scaled({ percent: 50 }))).toEqual([{ type: 'scaleCanary', replicas: 3 }]);
    expect(start({}, scaled({ matchTrafficWeight: true }))).toEqual([{ type: 'scaleCanary', replicas: 1 }]);
  });

  it('matchTrafficWeight: grown for the next weight, and the weight moves only once it is all ready', () => {
    const match = (r: Rollout): void => {
      r.spec.strategy.canary.canaryScale = { matchTrafficWeight: true };
    };
    const at50 = (target: Observations['target']) =>
      plan(rollout(run(3, { canaryWeight: 10 }), match), obs({ target, routedWeight: 10 }), NOW);
    expect(at50(canary(1)).actions).toEqual([{ type: 'scaleCanary', replicas: 3 }]);
    expect(at50(canary(3, 1, { rolledOut: false })).actions).toEqual([]);
    expect(at50(canary(3, 1, { rolledOut: false })).status.reason).toBe('WaitingForCanary');
    expect(at50(canary(3)).actions).toEqual([{ type: 'setWeight', canaryWeight: 50 }]);
  });

  it('an autoscaler adding canary replicas during a run does not take its traffic away', () => {
    const p = plan(
      rollout(run(1, { stepStartedAt: ago(5) })),
      obs({ autoscaler: hpa('ok', 5), target: canary(4, 2, { rolledOut: false }), routedWeight: 10 }),
      NOW,
    );
    expect(p.actions).toEqual([]);
    expect(p.status.reason).toBe('PauseStep');
  });
});

describe('capacity through a run', () => {
  it('the full size of the primary is never lowered during a run (its HPA may shrink it meanwhile)', () => {
    const p = plan(
      rollout(run(1)),
      obs({ target: canary(2), routedWeight: 10, primary: { ...obs().primary!, replicas: 3 } }),
      NOW,
    );
    expect(p.status.primaryReplicas).toBe(5);
    const between = plan(rollout(healthy), obs({ primary: { ...obs().primary!, replicas: 3 } }), NOW);
    expect(between.status.primaryReplicas).toBe(3);
  });

  it('a promotion gives the primary at least its full size, and what the canary serves with, within the HPA maximum', () => {
    const promote = (target: Observations['target'], autoscaler?: Observations['autoscaler']) =>
      plan(
        rollout(run(5, { canaryWeight: 50 })),
        obs({
          target,
          routedWeight: 50,
          primary: { ...obs().primary!, replicas: 3 },
          ...(autoscaler ? { autoscaler } : {}),
        }),
        NOW,
      ).actions;
    expect(promote(canary(2))).toEqual([{ type: 'ensurePrimary', revision: 'r2', replicas: 5 }]);
    // the HPA grew the canary beyond its minimum (the load grew): 7 pods at 50% make 14 for all of it, within the maximum 8
    expect(promote(canary(7), hpa('ok', 5))).toEqual([
      { type: 'ensurePrimary', revision: 'r2', replicas: 8 },
      { type: 'ensureAutoscaler', minReplicas: 8 },
    ]);
    expect(promote(canary(7), { ...hpa('ok', 5)!, maxReplicas: 6 })).toEqual([
      { type: 'ensurePrimary', revision: 'r2', replicas: 6 },
      { type: 'ensureAutoscaler', minReplicas: 6 },
    ]);
    // a canary at its minimum says nothing about the load: the full size
    expect(promote(canary(2), hpa('ok', 5))).toEqual([{ type: 'ensurePrimary', revision: 'r2', replicas: 5 }]);
    expect(promote(canary(7), { ...hpa('ok', 5)!, maxReplicas: 4 })).toEqual([
      { type: 'ensurePrimary', revision: 'r2', replicas: 4 },
      { type: 'ensureAutoscaler', minReplicas: 4 },
    ]);
  });
});

describe('dynamicStableScale', () => {
  const dynamic = (r: Rollout): void => {
    r.spec.strategy.canary.dynamicStableScale = true;
  };
  const primary = (replicas: number, ready = replicas): Observations['primary'] => ({
    revision: 'r1',
    replicas,
    readyReplicas: ready,
    rolledOut: ready === replicas,
    allUpdated: true,
  });

  it('shrinks the primary once the canary has its weight: ceil(5 x 50%) = 3', () => {
    const p = plan(
      rollout(run(3, { canaryWeight: 10 }), dynamic),
      obs({ target: canary(5), routedWeight: 50, primary: primary(5) }),
      NOW,
    );
    expect(p.actions).toEqual([{ type: 'scalePrimary', replicas: 3 }]);
    expect(p.status.primaryReplicas).toBe(5);
    // not with an autoscaler: its copy sizes the primary
    const hpaOn = plan(
      rollout(run(3, { canaryWeight: 10 }), dynamic),
      obs({ target: canary(5), routedWeight: 50, primary: primary(5), autoscaler: hpa('ok', 5) }),
      NOW,
    );
    expect(hpaOn.actions).toEqual([]);
  });

  it('a rollback grows the primary back first, and moves the traffic only once every pod is ready', () => {
    const aborted = rollout(
      {
        ...run(4, { canaryWeight: 50 }),
        commands: [{ id: 'c1', action: 'abort', user: 'alice', source: 'cli', at: ago(1) }],
      },
      dynamic,
    );
    const p = plan(
      aborted,
      obs({
        target: canary(5),
        routedWeight: 50,
        primary: primary(3),
        commands: [{ id: 'c1', action: 'abort', user: 'alice' }],
      }),
      NOW,
    );
    expect(p.actions).toEqual([{ type: 'scalePrimary', replicas: 5 }]);
    expect(p.status.phase).toBe('RolledBack');
    const rolledBack = { ...p.status, commands: [] };
    const waiting = plan(
      rollout(rolledBack, dynamic),
      obs({ target: canary(5), routedWeight: 50, primary: primary(5, 3) }),
      NOW,
    );
    expect(waiting.actions).toEqual([]);
    const ready = plan(
      rollout(rolledBack, dynamic),
      obs({ target: canary(5), routedWeight: 50, primary: primary(5) }),
      NOW,
    );
    expect(ready.actions).toEqual([{ type: 'setWeight', canaryWeight: 0 }]);
  });

  it('a canary that loses its endpoints gets its traffic taken back at once, the primary scaled up alongside', () => {
    const p = plan(
      rollout(run(4, { canaryWeight: 50 }), dynamic),
      obs({ target: canary(5, 0, { rolledOut: false }), routedWeight: 50, primary: primary(3) }),
      NOW,
    );
    expect(p.actions).toEqual([
      { type: 'scalePrimary', replicas: 5 },
      { type: 'setWeight', canaryWeight: 0 },
    ]);
  });
});

describe('review cases', () => {
  it('traffic moves to the canary only once the copy holds the primary at its full size', () => {
    const p = plan(
      rollout(run(3, { canaryWeight: 10 })),
      obs({ autoscaler: hpa('ok', 2), target: canary(2), routedWeight: 10 }),
      NOW,
    );
    expect(p.actions).toEqual([{ type: 'ensureAutoscaler', minReplicas: 5 }]);
    expect(p.status.reason).toBe('WaitingForAutoscaler');
    const held = plan(
      rollout(run(3, { canaryWeight: 10 })),
      obs({ autoscaler: hpa('ok', 5), target: canary(2), routedWeight: 10 }),
      NOW,
    );
    expect(held.actions).toEqual([{ type: 'setWeight', canaryWeight: 50 }]);
  });

  it('an HPA canary starts sized for its first weight, within the HPA bounds', () => {
    const big = { ...healthy, primaryReplicas: 40 };
    const start = (a: Observations['autoscaler']): unknown[] =>
      plan(
        rollout(big),
        obs({ autoscaler: a, target: canary(0), primary: { ...obs().primary!, replicas: 40 } }),
        NOW,
      ).actions.filter((x: any) => x.type === 'scaleCanary');
    // first weight 10% of 40
    expect(start({ ...hpa('ok', 40)!, maxReplicas: 50 })).toEqual([{ type: 'scaleCanary', replicas: 4 }]);
    expect(start({ ...hpa('ok', 40)!, maxReplicas: 3 })).toEqual([{ type: 'scaleCanary', replicas: 3 }]);
  });

  it("the copy's minimum is never 0 (a primary at 0 serves nothing)", () => {
    const p = plan(rollout(healthy), obs({ autoscaler: { ...hpa('missing')!, minReplicas: 0 } }), NOW);
    expect(p.actions).toEqual([{ type: 'ensureAutoscaler', minReplicas: 1 }]);
  });

  it('after a rollback, with the canary parked, the full size follows the primary again', () => {
    const rolledBack = { ...healthy, phase: 'RolledBack' as const, reason: 'Aborted', rolledBackRevision: 'r2' };
    const p = plan(rollout(rolledBack), obs({ target: canary(0), primary: { ...obs().primary!, replicas: 3 } }), NOW);
    expect(p.status.primaryReplicas).toBe(3);
  });

  it('dynamicStableScale: a primary that cannot grow back takes the traffic after progressDeadlineSeconds, with a Warning', () => {
    const dynamic = (r: Rollout): void => {
      r.spec.strategy.canary.dynamicStableScale = true;
    };
    const since = (s: number): RolloutStatus => ({
      ...healthy,
      phase: 'RolledBack',
      reason: 'Aborted',
      rolledBackRevision: 'r2',
      canaryRevision: 'r2',
      primaryGrowingSince: ago(s),
    });
    const stuck = { revision: 'r1', replicas: 5, readyReplicas: 3, rolledOut: false, allUpdated: true };
    const waiting = plan(
      rollout(since(10), dynamic),
      obs({ target: canary(5), routedWeight: 50, primary: stuck }),
      NOW,
    );
    expect(waiting.actions).toEqual([]);
    expect(waiting.requeueAfterMs).toBe(590_000);
    const late = plan(rollout(since(601), dynamic), obs({ target: canary(5), routedWeight: 50, primary: stuck }), NOW);
    expect(late.actions).toEqual([{ type: 'setWeight', canaryWeight: 0 }]);
    expect(late.events.map((e) => `${e.type}/${e.reason}`)).toContain('Warning/PrimaryNotScaled');
    expect(late.status.primaryGrowingSince).toBeUndefined();
  });
});

describe('a KEDA ScaledObject on the target', () => {
  const so = (paused: boolean): AutoscalerObservation => ({
    ...(hpa('ok', 2) as AutoscalerObservation),
    kind: 'ScaledObject',
    paused,
  });
  const pause = (paused: boolean, name = 'podinfo'): unknown => ({ type: 'pauseAutoscaler', name, paused });

  it('is paused while Sluice keeps the target at 0 (KEDA would activate it), before the scale-down', () => {
    const parked = plan(rollout(healthy), obs({ autoscaler: so(false) }), NOW);
    expect(parked.actions).toEqual([pause(true)]);
    // scaled down after scaleDownDelay: paused first, so that KEDA does not scale it back up
    const due = { ...healthy, reason: 'Promoted', scaleDownAt: ago(1) };
    const down = plan(rollout(due), obs({ autoscaler: so(false), target: { ...canary(3)!, revision: 'r1' } }), NOW);
    expect(down.actions.slice(0, 2)).toEqual([pause(true), { type: 'scaleCanary', replicas: 0 }]);
    expect(plan(rollout(healthy), obs({ autoscaler: so(true) }), NOW).actions).toEqual([]);
  });

  it('is resumed when a run scales the canary up, and stays so while the canary has replicas', () => {
    const start = plan(rollout(healthy), obs({ autoscaler: so(true), target: canary(0) }), NOW);
    expect(start.actions).toContainEqual({ type: 'scaleCanary', replicas: 2 });
    // resumed before the scale-up, so that KEDA (still holding it at 0) does not undo it
    const resume = start.actions.findIndex((a) => JSON.stringify(a) === JSON.stringify(pause(false)));
    expect(resume).toBeGreaterThanOrEqual(0);
    expect(resume).toBeLessThan(start.actions.findIndex((a) => a.type === 'scaleCanary'));
    const running = plan(rollout(run(1)), obs({ autoscaler: so(false), target: canary(3), routedWeight: 10 }), NOW);
    expect(running.actions).not.toContainEqual(pause(true));
  });

  it('a deleted Rollout lets go only once it is resumed (the target takes the traffic back and KEDA scales it)', () => {
    const r = rollout({ ...healthy, scaleDownAt: ago(1), scaleDownRoutingVersion: '7' });
    (r.metadata as any).deletionTimestamp = ago(60);
    const handedOver = { handedOver: true, serviceIsSluices: false };
    const paused = plan(r, obs({ autoscaler: so(true), deletion: handedOver, routingVersion: '7' }), NOW);
    expect(paused.actions).toEqual([pause(false)]);
    const resumed = plan(r, obs({ autoscaler: so(false), deletion: handedOver, routingVersion: '7' }), NOW);
    expect(resumed.actions).toEqual([{ type: 'removeFinalizer' }]);
  });

  it('is never paused while the Rollout does not serve from its primary (new, Invalid), and resumed then', () => {
    const fresh = plan(rollout(), obs({ autoscaler: so(false), primary: undefined }), NOW);
    expect(fresh.actions).not.toContainEqual(pause(true));
    const bad = plan(rollout(healthy), obs({ autoscaler: so(true), specErrors: ['spec.strategy: broken'] }), NOW);
    expect(bad.status.phase).toBe('Invalid');
    expect(bad.actions).toContainEqual(pause(false));
  });

  it("a ScaledObject it paused that is no longer the target's is resumed", () => {
    const moved = plan(rollout(healthy), obs({ pausedScaledObjects: ['old-name'] }), NOW);
    expect(moved.actions).toEqual([pause(false, 'old-name')]);
  });

  it('the copy is a ScaledObject: messages and condition name it', () => {
    const created = plan(rollout(healthy), obs({ autoscaler: { ...so(true), copy: 'missing' } }), NOW);
    expect(created.events.map((e) => e.message)).toContain(
      'Created ScaledObject podinfo-primary, a copy of podinfo that scales podinfo-primary.',
    );
    expect(created.status.conditions?.find((c) => c.type === 'Autoscaled')?.message).toMatch(
      /^ScaledObject podinfo-primary scales podinfo-primary .*paused between runs/,
    );
  });
});
