/**
 * A KEDA ScaledObject on the target, end to end (docs/autoscaling.md), against the sandbox's KEDA
 * operator (which, as KEDA does, activates a target below its minimum): Sluice copies it as
 * `<so>-primary` scaling the primary (KEDA's HPA for the copy then sizes the primary for the load),
 * pauses the user's ScaledObject between runs so that KEDA does not bring the parked target back,
 * resumes it for a run (KEDA sizes the canary), keeps the copy equal to it, deletes the copy when
 * it goes — and no request fails on routing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from '../sandbox/helpers.js';
import { example, startControllerSandbox, type ControllerSandbox } from './harness.js';

const PAUSED = 'autoscaling.keda.sh/paused-replicas';
let env: ControllerSandbox;
let sb: Sandbox;
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const get = (group: string, resource: string, name: string): any =>
  sb.server.api.store.get(type(group, resource).storageKey, 'demo', name);
const rollout = (): any => get('sluice.dev', 'rollouts', 'podinfo');
const deployment = (name: string): any => get('apps', 'deployments', name);
const so = (name: string): any => get('keda.sh', 'scaledobjects', name);
const hpa = (name: string): any => get('autoscaling', 'horizontalpodautoscalers', name);

function release(image: string): void {
  sb.server.api.patch({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, 'strategic', {
    spec: { template: { spec: { containers: [{ name: 'podinfo', image }] } } },
  });
}

beforeAll(async () => {
  env = await startControllerSandbox(
    (s) => {
      sb = s;
      const api = s.server.api;
      api.create(type('', 'namespaces'), undefined, example('namespace.yaml'));
      const d = example('deployment.yaml');
      d.spec.replicas = 2;
      // 100 requests/s at 2.5 ms of CPU each against 100m per pod: 5 pods at 50%
      d.spec.template.spec.containers[0].resources = { requests: { cpu: '100m' } };
      d.spec.template.spec.containers[0].env = [{ name: 'SANDBOX_CPU_MS_PER_REQUEST', value: '2.5' }];
      api.create(type('apps', 'deployments'), 'demo', d);
      api.create(type('', 'services'), 'demo', example('service.yaml'));
      api.create(type('keda.sh', 'scaledobjects'), 'demo', {
        metadata: { name: 'podinfo', labels: { team: 'shop' } },
        spec: {
          scaleTargetRef: { name: 'podinfo' },
          pollingInterval: 1,
          minReplicaCount: 2,
          maxReplicaCount: 8,
          advanced: { horizontalPodAutoscalerConfig: { behavior: { scaleDown: { stabilizationWindowSeconds: 0 } } } },
          triggers: [{ type: 'cpu', metricType: 'Utilization', metadata: { value: '50' } }],
        },
      });
      const r = example('rollout.yaml');
      delete r.spec.strategy.canary.analysis;
      r.spec.strategy.canary.steps = [{ setWeight: 20 }, { pause: { duration: '5s' } }, { setWeight: 50 }];
      api.create(type('sluice.dev', 'rollouts'), 'demo', r);
    },
    { sandbox: { rps: 100, hpaSyncMs: 1000, readyDelayMs: 300 } },
  );
}, 60_000);
afterAll(async () => env.stop());

describe('a KEDA ScaledObject on the target', () => {
  it('is copied for the primary (KEDA then scales it for the load); the user’s is paused and the target stays at 0', async () => {
    await eventually('Healthy', () => rollout()?.status?.phase === 'Healthy', 30_000);
    await eventually('podinfo-primary ScaledObject', () => so('podinfo-primary') !== undefined, 10_000);
    expect(so('podinfo-primary').spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-primary' },
      minReplicaCount: 2,
      maxReplicaCount: 8,
      triggers: so('podinfo').spec.triggers,
    });
    expect(so('podinfo-primary').metadata.labels).toMatchObject({
      team: 'shop',
      'app.kubernetes.io/managed-by': 'sluice',
    });
    expect(so('podinfo-primary').metadata.annotations?.[PAUSED]).toBeUndefined();
    // KEDA's own HPA for the copy scales the primary for the load
    await eventually('keda-hpa-podinfo-primary', () => hpa('keda-hpa-podinfo-primary') !== undefined, 10_000);
    await eventually('the primary scaled to 5', () => deployment('podinfo-primary').status?.readyReplicas >= 5, 40_000);
    await eventually(
      'the target parked and its ScaledObject paused',
      () => deployment('podinfo').spec.replicas === 0 && so('podinfo').metadata.annotations?.[PAUSED] === '0',
      20_000,
    );
    expect(hpa('keda-hpa-podinfo')).toBeUndefined();
    // KEDA's loop (every second here) would bring a target below its minimum back: paused, it does not
    await new Promise((r) => setTimeout(r, 2500));
    expect(deployment('podinfo').spec.replicas).toBe(0);
    expect(rollout().status.conditions.find((c: any) => c.type === 'Autoscaled')).toMatchObject({
      status: 'True',
      message: expect.stringMatching(/^ScaledObject podinfo-primary scales podinfo-primary \(2-8 replicas\)/),
    });
  }, 90_000);

  it('a run resumes it (KEDA sizes the canary), the release is promoted, then it is paused again', async () => {
    const before = deployment('podinfo-primary').status.readyReplicas as number;
    let lowest = before;
    let canaryMax = 0;
    const unsubscribe = sb.server.api.store.subscribe(type('apps', 'deployments').storageKey, (e) => {
      const d = e.object as any;
      if (e.type === 'DELETED') return;
      if (d.metadata.name === 'podinfo-primary') lowest = Math.min(lowest, d.status?.readyReplicas ?? 0);
      if (d.metadata.name === 'podinfo') canaryMax = Math.max(canaryMax, d.spec.replicas ?? 0);
    });
    try {
      release('ghcr.io/stefanprodan/podinfo:6.7.1');
      await eventually('resumed for the run', () => so('podinfo').metadata.annotations?.[PAUSED] === undefined, 20_000);
      await eventually('KEDA has its HPA for the canary again', () => hpa('keda-hpa-podinfo') !== undefined, 10_000);
      await eventually('promoted', () => rollout().status.reason === 'Promoted', 90_000);
      await eventually(
        'parked and paused again',
        () => deployment('podinfo').spec.replicas === 0 && so('podinfo').metadata.annotations?.[PAUSED] === '0',
        20_000,
      );
    } finally {
      unsubscribe();
    }
    expect(canaryMax, 'KEDA sized the canary from its minimum').toBeGreaterThanOrEqual(2);
    expect(lowest, 'the primary never had fewer ready pods than before the run').toBeGreaterThanOrEqual(before);
  }, 150_000);

  it('the copy follows the user’s ScaledObject, and is deleted when it goes', async () => {
    sb.server.api.patch({ type: type('keda.sh', 'scaledobjects'), namespace: 'demo', name: 'podinfo' }, 'merge', {
      spec: { maxReplicaCount: 6 },
    });
    await eventually('copy updated', () => so('podinfo-primary').spec.maxReplicaCount === 6, 10_000);
    sb.server.api.delete({ type: type('keda.sh', 'scaledobjects'), namespace: 'demo', name: 'podinfo' });
    await eventually('copy deleted', () => so('podinfo-primary') === undefined, 10_000);
    expect(rollout().status.conditions.find((c: any) => c.type === 'Autoscaled')).toBeUndefined();
  }, 30_000);
});
