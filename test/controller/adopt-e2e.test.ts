/** Adopting a user-owned VirtualService: only the weights of the named routes are ever edited. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Controller } from '../../src/controller/controller.js';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually, root } from '../sandbox/helpers.js';

let sb: Sandbox;
let controller: Controller;
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
      { name: 'static', match: [{ uri: { prefix: '/static' } }], route: [{ destination: { host: 'cdn.shop.svc.cluster.local' } }] },
      { name: 'podinfo-split', timeout: '7s', route: [{ destination: { host: 'podinfo-primary', port: { number: 9898 } }, weight: 100 }, { destination: { host: 'podinfo-canary', port: { number: 9898 } }, weight: 0 }] },
    ],
  },
};

beforeAll(async () => {
  sb = await startSandbox({ prometheus: false, redisUrl: false, readyDelayMs: 100 });
  for (const f of ['crds/rollouts.sluice.dev.yaml', 'crds/analysistemplates.sluice.dev.yaml']) api().create(T('apiextensions.k8s.io', 'v1', 'customresourcedefinitions'), undefined, parse(readFileSync(join(root, f), 'utf8')));
  api().create(T('', 'v1', 'namespaces'), undefined, { metadata: { name: 'shop' } });
  for (const f of ['deployment.yaml', 'service.yaml']) api().create(T(f === 'service.yaml' ? '' : 'apps', 'v1', f === 'service.yaml' ? 'services' : 'deployments'), 'shop', { ...parse(readFileSync(join(root, 'examples/podinfo', f), 'utf8')), metadata: { ...parse(readFileSync(join(root, 'examples/podinfo', f), 'utf8')).metadata, namespace: 'shop' } });
  api().create(T('networking.istio.io', 'v1', 'virtualservices'), 'shop', storefront);
  const r = parse(readFileSync(join(root, 'examples/podinfo/rollout.yaml'), 'utf8'));
  r.metadata.namespace = 'shop';
  r.spec.virtualServiceRef = { name: 'storefront', routes: ['podinfo-split'] };
  delete r.spec.service.retries;
  delete r.spec.strategy.canary.analysis;
  r.spec.strategy.canary.steps = [{ setWeight: 30 }, { pause: {} }];
  api().create(T('sluice.dev', 'v1alpha1', 'rollouts'), 'shop', r);
  controller = new Controller({ kube: kubeClients(loadKubeConfig(sb.kubeconfig)), log: pino({ level: 'silent' }), settleMs: 2000 });
  await controller.start();
}, 60_000);
afterAll(async () => {
  await controller.stop();
  await sb.stop();
});

describe('an adopted VirtualService', () => {
  it('is not replaced or regenerated, and gets only its named route weighted', async () => {
    await eventually('Healthy', () => rollout()?.status?.phase === 'Healthy', 20_000);
    expect(api().store.get('networking.istio.io/virtualservices', 'shop', 'podinfo')).toBeUndefined();
    api().patch({ type: T('apps', 'v1', 'deployments'), namespace: 'shop', name: 'podinfo' }, 'strategic', { spec: { template: { spec: { containers: [{ name: 'podinfo', image: 'ghcr.io/stefanprodan/podinfo:6.7.1' }] } } } });
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
});
