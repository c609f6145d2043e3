/** The target's autoscaler, HPA or KEDA ScaledObject: which one is the user's, its copy for the primary, and what the planner is told. */
import { describe, expect, it } from 'vitest';
import { observeAutoscaler, userAutoscaler } from '../../src/controller/autoscaler.js';
import { autoscalerCopy, type Hpa, type ScaledObject } from '../../src/controller/autoscaler-kinds.js';
import type { Rollout } from '../../src/api/schema/rollout.js';
import { exampleRollout } from '../rollout/fixtures.js';

const hpa = (name: string, target: string, more: Partial<Hpa['metadata']> = {}): Hpa => ({
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  metadata: { name, namespace: 'demo', ...more },
  spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target }, minReplicas: 2, maxReplicas: 8 },
});

const so = (name: string, target: string, spec: Partial<NonNullable<ScaledObject['spec']>> = {}): ScaledObject => ({
  apiVersion: 'keda.sh/v1alpha1',
  kind: 'ScaledObject',
  metadata: {
    name,
    namespace: 'demo',
    labels: { team: 'shop' },
    annotations: { 'autoscaling.keda.sh/paused-replicas': '0', 'sluice.dev/paused-by': 'u1', note: 'x' },
  },
  spec: {
    scaleTargetRef: { name: target },
    minReplicaCount: 2,
    maxReplicaCount: 8,
    triggers: [
      { type: 'prometheus', name: 'requests', metadata: { query: 'q{deployment="podinfo"}', threshold: '5' } },
      { type: 'cpu', metadata: { value: '50' } },
    ],
    ...spec,
  },
});

const kedaHpa = hpa('keda-hpa-podinfo', 'podinfo', {
  ownerReferences: [{ apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', name: 'podinfo', uid: 'so-1' }],
});

const rollout = (spec?: (r: Rollout) => void): Rollout => ({
  ...exampleRollout(undefined, spec),
  metadata: { ...exampleRollout().metadata, namespace: 'demo' },
});

describe("the target's autoscaler", () => {
  it("is the ScaledObject that scales it; KEDA's own HPA never counts", () => {
    const found = userAutoscaler(rollout(), { hpas: [kedaHpa], scaledObjects: [so('podinfo', 'podinfo')] });
    expect(found).toMatchObject({ kind: 'ScaledObject', object: { metadata: { name: 'podinfo' } } });
    expect(userAutoscaler(rollout(), { hpas: [kedaHpa], scaledObjects: [] })).toBeUndefined();
    expect(userAutoscaler(rollout(), { hpas: [hpa('web', 'podinfo')], scaledObjects: [] })?.kind).toBe(
      'HorizontalPodAutoscaler',
    );
  });

  it('autoscalerRef names one by kind and name, and it must scale the target', () => {
    const ref = (kind: 'HorizontalPodAutoscaler' | 'ScaledObject', name: string) =>
      rollout((r) => {
        r.spec.autoscalerRef = {
          apiVersion: kind === 'ScaledObject' ? 'keda.sh/v1alpha1' : 'autoscaling/v2',
          kind,
          name,
        };
      });
    const all = { hpas: [hpa('both', 'podinfo')], scaledObjects: [so('both', 'podinfo'), so('other', 'shop')] };
    expect(userAutoscaler(ref('HorizontalPodAutoscaler', 'both'), all)?.kind).toBe('HorizontalPodAutoscaler');
    expect(userAutoscaler(ref('ScaledObject', 'both'), all)?.kind).toBe('ScaledObject');
    expect(observeAutoscaler(ref('ScaledObject', 'other'), all).missingAutoscaler).toBe('ScaledObject/other');
  });
});

describe("a ScaledObject's copy for the primary", () => {
  const r = rollout((x) => {
    x.spec.autoscalerRef = {
      apiVersion: 'keda.sh/v1alpha1',
      kind: 'ScaledObject',
      name: 'podinfo',
      primaryScalerQueries: { requests: 'q{deployment="podinfo-primary"}' },
    };
  });
  const user = so('podinfo', 'podinfo', {
    advanced: { horizontalPodAutoscalerConfig: { name: 'podinfo-hpa' } },
    idleReplicaCount: 0,
  });
  const copy = autoscalerCopy(r, { kind: 'ScaledObject', object: user }, 5) as ScaledObject;

  it('scales the primary with the same spec, its own HPA name, the primary queries, and no pause annotation', () => {
    expect(copy.metadata).toMatchObject({ name: 'podinfo-primary', labels: { team: 'shop' } });
    expect(copy.metadata?.annotations?.['autoscaling.keda.sh/paused-replicas']).toBeUndefined();
    expect(copy.metadata?.annotations?.['sluice.dev/paused-by']).toBeUndefined();
    expect(copy.spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-primary' },
      minReplicaCount: 5,
      maxReplicaCount: 8,
      advanced: { horizontalPodAutoscalerConfig: { name: 'podinfo-hpa-primary' } },
    });
    // KEDA would idle it at 0 whenever no trigger is active: the primary serves every request
    expect(copy.spec?.['idleReplicaCount']).toBeUndefined();
    expect(copy.spec?.triggers[0]?.metadata).toEqual({ query: 'q{deployment="podinfo-primary"}', threshold: '5' });
    expect(copy.spec?.triggers[1]).toEqual(user.spec?.triggers[1]);
    // the user's is untouched
    expect(user.spec?.advanced?.horizontalPodAutoscalerConfig?.name).toBe('podinfo-hpa');
  });

  it('is observed as ok whatever its minimum, drifted when the user changes, and the pause is seen', () => {
    const mine = { ...copy, metadata: { ...copy.metadata, labels: { ...copy.metadata?.labels } } };
    const seen = observeAutoscaler(r, { hpas: [], scaledObjects: [user, mine] }).autoscaler;
    expect(seen).toMatchObject({
      kind: 'ScaledObject',
      copy: 'ok',
      minReplicas: 2,
      maxReplicas: 8,
      copyMinReplicas: 5,
    });
    expect(seen?.paused).toBe(true);
    const changed = so('podinfo', 'podinfo', {
      maxReplicaCount: 6,
      advanced: { horizontalPodAutoscalerConfig: { name: 'podinfo-hpa' } },
      idleReplicaCount: 0,
    });
    expect(observeAutoscaler(r, { hpas: [], scaledObjects: [changed, mine] }).autoscaler?.copy).toBe('drifted');
  });

  it('a copy whose ScaledObject is gone is a stray, named by kind', () => {
    const owned = {
      ...copy,
      metadata: {
        ...copy.metadata,
        ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: 'podinfo', uid: 'u1' }],
      },
    };
    expect(observeAutoscaler(rollout(), { hpas: [], scaledObjects: [owned] }).strayAutoscalers).toEqual([
      'ScaledObject/podinfo-primary',
    ]);
  });
});
