/** The planner with autoscaled targets and canaryScale: who sizes what, and capacity that never drops. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Rollout } from '../../src/api/schema/rollout.js';
import type { RolloutStatus } from '../../src/api/schema/rollout-status.js';
import type { Observations } from '../../src/rollout/model.js';
import { plan } from '../../src/rollout/plan.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString();

function rollout(status?: RolloutStatus, spec?: (r: Rollout) => void): Rollout {
  const r = parse(readFileSync(new URL('../../examples/podinfo/rollout.yaml', import.meta.url), 'utf8')) as Rollout;
  // steps: 0 setWeight 10, 1 pause 30s, 2 analysis, 3 setWeight 50, 4 pause 30s
  delete r.spec.strategy.canary.analysis;
  r.spec.strategy.canary.steps[2] = { pause: { duration: '10s' } };
  r.metadata.generation = 1;
  r.metadata.uid = 'u1';
  r.metadata.finalizers = ['sluice.dev/finalizer'];
  spec?.(r);
  return status === undefined ? r : { ...r, status };
}

const hpa = (
  copy: 'ok' | 'missing' | 'drifted' | 'foreign' = 'ok',
  copyMinReplicas = 2,
): Observations['autoscaler'] => ({
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
    const gone = plan(rollout(healthy), obs({ strayAutoscalers: ['podinfo-primary'] }), NOW);
    expect(gone.actions).toEqual([{ type: 'deleteAutoscaler', name: 'podinfo-primary' }]);
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
    expect(promote(canary(7), hpa('ok', 5))).toEqual([{ type: 'ensurePrimary', revision: 'r2', replicas: 7 }]);
    expect(promote(canary(7), { ...hpa('ok', 5)!, maxReplicas: 6 })).toEqual([
      { type: 'ensurePrimary', revision: 'r2', replicas: 6 },
    ]);
    expect(promote(canary(7), { ...hpa('ok', 5)!, maxReplicas: 4 })).toEqual([
      { type: 'ensurePrimary', revision: 'r2', replicas: 4 },
      { type: 'ensureAutoscaler', minReplicas: 4 },
    ]);
  });
});
