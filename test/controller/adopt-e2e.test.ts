/** Adopting a user-owned VirtualService: only the weights of the named routes are ever edited. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from '../sandbox/helpers.js';
import { example, startControllerSandbox, type ControllerSandbox } from './harness.js';

let sb: Sandbox;
let harness: ControllerSandbox;
const api = (): Sandbox['server']['api'] => sb.server.api;
const T = (g: string, v: string, r: string): any => api().registry.find(g, v, r);
const vs = (): any => api().store.get('networking.istio.io/virtualservices', 'shop', 'storefront');
const rollout = (): any => api().store.get('sluice.dev/rollouts', 'shop', 'podinfo');

const storefront = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'storefront', namespace: 'shop', annotations: { team: 'web' } },
  spec: {
    hosts: ['shop.example.com'],
    gateways: ['istio-system/public'],
    http: [
      {
        name: 'static',
        match: [{ uri: { prefix: '/static' } }],
        route: [{ destination: { host: 'cdn.shop.svc.cluster.local' } }],
      },
      {
        name: 'podinfo-split',
        timeout: '7s',
        route: [
          { destination: { host: 'podinfo-primary', port: { number: 9898 } }, weight: 100 },
          { destination: { host: 'podinfo-canary', port: { number: 9898 } }, weight: 0 },
        ],
      },
    ],
  },
};

beforeAll(async () => {
  harness = await startControllerSandbox((s) => {
    sb = s;
    api().create(T('', 'v1', 'namespaces'), undefined, { metadata: { name: 'shop' } });
    api().create(T('apps', 'v1', 'deployments'), 'shop', example('deployment.yaml', 'shop'));
    api().create(T('', 'v1', 'services'), 'shop', example('service.yaml', 'shop'));
    api().create(T('networking.istio.io', 'v1', 'virtualservices'), 'shop', storefront);
    const r = example('rollout.yaml', 'shop');
    r.spec.virtualServiceRef = { name: 'storefront', routes: ['podinfo-split'] };
    delete r.spec.service.retries;
    delete r.spec.strategy.canary.analysis;
    r.spec.strategy.canary.steps = [{ setWeight: 30 }, { pause: {} }];
    api().create(T('sluice.dev', 'v1alpha1', 'rollouts'), 'shop', r);
  });
}, 60_000);
afterAll(async () => harness.stop());

describe('an adopted VirtualService', () => {
  it('is not replaced or regenerated, and gets only its named route weighted', async () => {
    await eventually('Healthy', () => rollout()?.status?.phase === 'Healthy', 20_000);
    // This VirtualService routed to podinfo-primary before Sluice created that Service: no route (NR)
    // until the new Service reached the proxies. The user's order (docs/gitops.md says to point
    // routes at the generated Services once they exist), not Sluice's: counted from here.
    await eventually('the proxies to have the Services', () => sb.meshSimulator.proxies.pending === 0, 10_000);
    await harness.failedRequests.rebase();
    expect(api().store.get('networking.istio.io/virtualservices', 'shop', 'podinfo')).toBeUndefined();
    api().patch({ type: T('apps', 'v1', 'deployments'), namespace: 'shop', name: 'podinfo' }, 'strategic', {
      spec: { template: { spec: { containers: [{ name: 'podinfo', image: 'ghcr.io/stefanprodan/podinfo:6.7.1' }] } } },
    });
    await eventually('the gate', () => rollout()?.status?.reason === 'WaitingForPromotion', 20_000);
    const now = vs();
    expect(now.spec.http[1].route.map((d: any) => d.weight)).toEqual([70, 30]);
    const restored = structuredClone(now);
    restored.spec.http[1].route[0].weight = 100;
    restored.spec.http[1].route[1].weight = 0;
    expect(restored.spec).toEqual(storefront.spec);
    expect(now.metadata.annotations).toEqual({ team: 'web' });
    expect(now.metadata.ownerReferences).toBeUndefined();
  });

  it('is handed back on deletion: its route points at the Service clients call, everything else as it was', async () => {
    // mid-run (30% on the canary): the target is scaled like the primary, then the route handed over
    api().delete({ type: T('sluice.dev', 'v1alpha1', 'rollouts'), namespace: 'shop', name: 'podinfo' });
    await eventually('the Rollout gone', () => rollout() === undefined, 30_000);
    const now = vs();
    expect(now.spec.http[1].route).toEqual([
      { destination: { host: 'podinfo.shop.svc.cluster.local', port: { number: 9898 } }, weight: 100 },
    ]);
    expect({ ...now.spec, http: [now.spec.http[0], { ...now.spec.http[1], route: [] }] }).toEqual({
      ...storefront.spec,
      http: [storefront.spec.http[0], { ...storefront.spec.http[1], route: [] }],
    });
    expect(now.metadata.annotations).toEqual({ team: 'web' });
    // the generated Services go with the Rollout; nothing routes to them any more
    const services = T('', 'v1', 'services').storageKey;
    await eventually(
      'the generated objects collected',
      () =>
        api().store.get(services, 'shop', 'podinfo-primary') === undefined &&
        api().store.get(services, 'shop', 'podinfo-canary') === undefined,
      10_000,
    );
    await eventually('the proxies to have the last routes', () => sb.meshSimulator.proxies.pending === 0, 10_000);
    expect(sb.meshSimulator.send({ host: 'podinfo', namespace: 'shop' })).toMatchObject({ code: 200 });
    expect((await harness.failedRequests.since()).details).toEqual([]);
  });
});
