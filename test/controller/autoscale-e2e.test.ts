/**
 * Autoscaled services end to end (docs/autoscaling.md): a Deployment under an HPA (min 2, max 8,
 * CPU 50%) with load that needs 5 pods. Sluice copies the HPA for the primary, which then scales
 * the primary up; during a run the user's HPA sizes the canary; through a promotion and a
 * rollback the primary never has fewer ready pods than before the run (sampled every second), and
 * no request fails on routing. Apps without an HPA size their canary with canaryScale, or shrink
 * their primary as the canary takes traffic (dynamicStableScale) and grow it back before a rollback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { recordCommand } from '../../src/kube/rollout-writes.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from '../sandbox/helpers.js';
import { example, startControllerSandbox, type ControllerSandbox } from './harness.js';

let env: ControllerSandbox;
let sb: Sandbox;
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const get = (group: string, resource: string, name: string): any =>
  sb.server.api.store.get(type(group, resource).storageKey, 'demo', name);
const rollout = (name = 'podinfo'): any => get('sluice.dev', 'rollouts', name);
const deployment = (name: string): any => get('apps', 'deployments', name);
const hpa = (name: string): any => get('autoscaling', 'horizontalpodautoscalers', name);
const weight = (name = 'podinfo'): number =>
  get('networking.istio.io', 'virtualservices', name)?.spec?.http?.[0]?.route?.[1]?.weight ?? 0;

interface Sample {
  at: number;
  phase: string;
  reason: string;
  weight: number;
  primaryReady: number;
  canaryReplicas: number;
  canaryReady: number;
  hpaDesired: number | undefined;
}

/**
 * Samples the podinfo app every second until stopped; and records every ready count the primary
 * Deployment's status had meanwhile (from the API server's own change stream: a dip between two
 * samples is seen too).
 */
function sampler(): { samples: Sample[]; primaryReady: number[]; stop(): void } {
  const samples: Sample[] = [];
  const primaryReady: number[] = [];
  const unsubscribe = sb.server.api.store.subscribe(type('apps', 'deployments').storageKey, (e) => {
    const d = e.object as any;
    if (d?.metadata?.name === 'podinfo-primary' && e.type !== 'DELETED')
      primaryReady.push(d.status?.readyReplicas ?? 0);
  });
  const take = (): void => {
    const r = rollout();
    samples.push({
      at: Date.now(),
      phase: r?.status?.phase ?? '',
      reason: r?.status?.reason ?? '',
      weight: weight(),
      primaryReady: deployment('podinfo-primary')?.status?.readyReplicas ?? 0,
      canaryReplicas: deployment('podinfo')?.spec?.replicas ?? 0,
      canaryReady: deployment('podinfo')?.status?.readyReplicas ?? 0,
      hpaDesired: hpa('podinfo')?.status?.desiredReplicas,
    });
  };
  take();
  const timer = setInterval(take, 1000);
  return {
    samples,
    primaryReady,
    stop: () => {
      clearInterval(timer);
      unsubscribe();
    },
  };
}

/** The primary never had fewer ready pods than `before`: in the 1 s samples, nor in any status it had between them. */
function expectNeverBelow(s: ReturnType<typeof sampler>, before: number): void {
  expect(s.samples.filter((x) => x.primaryReady < before)).toEqual([]);
  expect(Math.min(...s.primaryReady), `ready pods of the primary: ${s.primaryReady.join(' ')}`).toBeGreaterThanOrEqual(
    before,
  );
}

/** `sluice abort`, as the CLI records it. */
async function abort(name: string): Promise<void> {
  const kube = kubeClients(loadKubeConfig(sb.kubeconfig, 'sluice-cli/test'));
  await recordCommand(
    kube,
    { namespace: 'demo', name },
    { id: randomUUID(), action: 'abort', user: 'alice', source: 'cli', at: new Date().toISOString() },
  );
}

function app(name: string, replicas: number, sizing: 'hpa' | 'canaryScale' | 'dynamicStableScale'): void {
  const autoscaled = sizing === 'hpa';
  const api = sb.server.api;
  const d = example('deployment.yaml');
  d.metadata.name = name;
  d.metadata.labels = { app: name };
  d.spec.replicas = replicas;
  d.spec.selector.matchLabels = { app: name };
  d.spec.template.metadata.labels = { app: name, 'app.kubernetes.io/name': name };
  // 100 requests/s at 2.5 ms of CPU each against 100m per pod: 5 pods at the HPA's 50%
  d.spec.template.spec.containers[0].resources = { requests: { cpu: '100m' } };
  d.spec.template.spec.containers[0].env = [{ name: 'SANDBOX_CPU_MS_PER_REQUEST', value: '2.5' }];
  api.create(type('apps', 'deployments'), 'demo', d);
  const svc = example('service.yaml');
  svc.metadata.name = name;
  svc.spec.selector = { 'app.kubernetes.io/name': name };
  api.create(type('', 'services'), 'demo', svc);
  if (autoscaled)
    api.create(type('autoscaling', 'horizontalpodautoscalers'), 'demo', {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
        minReplicas: 2,
        maxReplicas: 8,
        metrics: [
          { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
        ],
        // (scale down at once: a primary that is allowed to shrink during a run would show it)
        behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
      },
    });
  const r = example('rollout.yaml');
  r.metadata.name = name;
  r.spec.targetRef.name = name;
  r.spec.service = { name, port: 9898 };
  delete r.spec.strategy.canary.analysis;
  r.spec.strategy.canary.steps = [
    { setWeight: 20 },
    { pause: { duration: '8s' } },
    { setWeight: 50 },
    { pause: { duration: '12s' } },
  ];
  if (sizing === 'canaryScale') r.spec.strategy.canary.canaryScale = { matchTrafficWeight: true };
  if (sizing === 'dynamicStableScale') r.spec.strategy.canary.dynamicStableScale = true;
  api.create(type('sluice.dev', 'rollouts'), 'demo', r);
}

function release(name: string, image: string): void {
  sb.server.api.patch({ type: type('apps', 'deployments'), namespace: 'demo', name }, 'strategic', {
    spec: { template: { spec: { containers: [{ name: 'podinfo', image }] } } },
  });
}

beforeAll(async () => {
  env = await startControllerSandbox(
    (s) => {
      sb = s;
      s.server.api.create(type('', 'namespaces'), undefined, example('namespace.yaml'));
      app('podinfo', 2, 'hpa');
      app('shop', 4, 'canaryScale');
      app('cart', 4, 'dynamicStableScale');
    },
    { sandbox: { rps: 100, hpaSyncMs: 1000, readyDelayMs: 300 } },
  );
}, 60_000);
afterAll(async () => env.stop());

describe('an HPA on the target', () => {
  it("is copied for the primary, which its copy scales up to the load's 5 pods; the canary stands by at 0", async () => {
    await eventually('Healthy', () => rollout()?.status?.phase === 'Healthy', 30_000);
    await eventually('podinfo-primary HPA', () => hpa('podinfo-primary') !== undefined, 10_000);
    expect(hpa('podinfo-primary').spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo-primary' },
      minReplicas: 2,
      maxReplicas: 8,
      metrics: hpa('podinfo').spec.metrics,
      behavior: { scaleDown: { stabilizationWindowSeconds: 0 } },
    });
    expect(hpa('podinfo-primary').metadata.labels['app.kubernetes.io/managed-by']).toBe('sluice');
    await eventually(
      'the primary scaled to 5 and ready',
      () => deployment('podinfo-primary').spec.replicas >= 5 && deployment('podinfo-primary').status.readyReplicas >= 5,
      40_000,
    );
    expect(deployment('podinfo').spec.replicas).toBe(0);
    expect(rollout().status.conditions.find((c: any) => c.type === 'Autoscaled')).toMatchObject({
      status: 'True',
      reason: 'PrimaryAutoscaled',
    });
  }, 90_000);

  it("through a promotion: the user's HPA sizes the canary; the primary never has fewer ready pods than before", async () => {
    const before = deployment('podinfo-primary').status.readyReplicas as number;
    const s = sampler();
    release('podinfo', 'ghcr.io/stefanprodan/podinfo:6.7.1');
    try {
      await eventually('promoted', () => rollout().status.reason === 'Promoted', 90_000);
      await eventually('the canary parked', () => deployment('podinfo').spec.replicas === 0, 20_000);
      // and the primary's minimum is the user's again
      await eventually('minimum back to 2', () => hpa('podinfo-primary').spec.minReplicas === 2, 10_000);
    } finally {
      s.stop();
    }
    const during = s.samples.filter((x) => x.weight > 0);
    expect(during.length).toBeGreaterThan(5);
    // at 50% the canary serves 50 requests/s: 125m of CPU, 3 pods at 50%: the HPA grew it from its minimum 2
    expect(Math.max(...during.map((x) => x.canaryReplicas))).toBeGreaterThanOrEqual(3);
    expect(during.some((x) => x.hpaDesired !== undefined && x.hpaDesired === x.canaryReplicas && x.weight === 50)).toBe(
      true,
    );
    expectNeverBelow(s, before);
  }, 150_000);

  it('through a rollback: the primary keeps its capacity and takes all traffic back', async () => {
    const before = deployment('podinfo-primary').status.readyReplicas as number;
    const s = sampler();
    release('podinfo', 'ghcr.io/stefanprodan/podinfo:6.7.2');
    try {
      await eventually('at 50%', () => weight() === 50, 60_000);
      // long enough for the HPAs to act on the split traffic
      await eventually('the canary grown by its HPA', () => deployment('podinfo').spec.replicas >= 3, 20_000);
      await abort('podinfo');
      await eventually('rolled back', () => rollout().status.phase === 'RolledBack', 20_000);
      await eventually('the canary parked', () => deployment('podinfo').spec.replicas === 0, 20_000);
      await eventually('minimum back to 2', () => hpa('podinfo-primary').spec.minReplicas === 2, 10_000);
    } finally {
      s.stop();
    }
    expect(weight()).toBe(0);
    expectNeverBelow(s, before);
  }, 150_000);

  it("keeps the copy equal to the user's HPA, and deletes it when the HPA goes", async () => {
    sb.server.api.patch(
      { type: type('autoscaling', 'horizontalpodautoscalers'), namespace: 'demo', name: 'podinfo' },
      'merge',
      { spec: { maxReplicas: 6 } },
    );
    await eventually('copy updated', () => hpa('podinfo-primary').spec.maxReplicas === 6, 10_000);
    sb.server.api.delete({ type: type('autoscaling', 'horizontalpodautoscalers'), namespace: 'demo', name: 'podinfo' });
    await eventually('copy deleted', () => hpa('podinfo-primary') === undefined, 10_000);
    expect(rollout().status.conditions.some((c: any) => c.type === 'Autoscaled')).toBe(false);
  }, 30_000);
});

describe('canaryScale without an HPA', () => {
  it('matchTrafficWeight: the canary has ceil(4 x weight / 100) ready pods before it gets each weight', async () => {
    await eventually('Healthy', () => rollout('shop')?.status?.phase === 'Healthy', 30_000);
    const seen: { weight: number; ready: number }[] = [];
    const timer = setInterval(
      () => seen.push({ weight: weight('shop'), ready: deployment('shop')?.status?.readyReplicas ?? 0 }),
      200,
    );
    release('shop', 'ghcr.io/stefanprodan/podinfo:6.7.1');
    try {
      await eventually('promoted', () => rollout('shop').status.reason === 'Promoted', 90_000);
    } finally {
      clearInterval(timer);
    }
    const at = (w: number): { weight: number; ready: number }[] => seen.filter((x) => x.weight === w);
    expect(at(20).length).toBeGreaterThan(0);
    expect(at(50).length).toBeGreaterThan(0);
    expect(Math.min(...at(20).map((x) => x.ready))).toBeGreaterThanOrEqual(1);
    expect(Math.min(...at(50).map((x) => x.ready))).toBeGreaterThanOrEqual(2);
    // sized for the weight, not like the primary (4)
    expect(Math.max(...seen.map((x) => x.ready))).toBeLessThan(4);
  }, 120_000);
});

describe('dynamicStableScale without an HPA', () => {
  it('shrinks the primary as the canary takes traffic, and grows it back, ready, before a rollback returns it', async () => {
    await eventually('Healthy', () => rollout('cart')?.status?.phase === 'Healthy', 30_000);
    const readyWhenTrafficReturned: number[] = [];
    let last = weight('cart');
    const unsubscribe = sb.server.api.store.subscribe(
      type('networking.istio.io', 'virtualservices').storageKey,
      (e) => {
        if ((e.object as any)?.metadata?.name !== 'cart') return;
        const now = weight('cart');
        if (now === 0 && last > 0)
          readyWhenTrafficReturned.push(deployment('cart-primary')?.status?.readyReplicas ?? 0);
        last = now;
      },
    );
    try {
      release('cart', 'ghcr.io/stefanprodan/podinfo:6.7.1');
      await eventually('at 50%', () => weight('cart') === 50, 60_000);
      await eventually(
        'the primary shrunk to ceil(4 x 50%)',
        () => deployment('cart-primary').spec.replicas === 2,
        10_000,
      );
      expect(rollout('cart').status.primaryReplicas).toBe(4);
      await abort('cart');
      await eventually('traffic back on the primary', () => weight('cart') === 0, 20_000);
    } finally {
      unsubscribe();
    }
    expect(readyWhenTrafficReturned).toEqual([4]);
    expect(deployment('cart-primary').spec.replicas).toBe(4);
    expect(rollout('cart').status.phase).toBe('RolledBack');
  }, 120_000);
});
