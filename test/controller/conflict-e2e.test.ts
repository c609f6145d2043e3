/**
 * Sluice never routes or scales with an object it did not make: a VirtualService with the
 * Service's name that someone else owns stops the Rollout (Invalid/RoutingConflict, saying how to
 * adopt it) while the target keeps its replicas and keeps serving; once it is gone, Sluice goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../sandbox/helpers.js';
import { installPodinfo, startControllerSandbox, type ControllerSandbox } from './harness.js';

let h: ControllerSandbox;
const type = (group: string, resource: string): any => h.sb.server.api.registry.resource(group, resource);
const get = (group: string, resource: string, name: string): any =>
  h.sb.server.api.store.get(type(group, resource).storageKey, 'demo', name);
const status = (): any => get('sluice.dev', 'rollouts', 'podinfo')?.status;

beforeAll(async () => {
  h = await startControllerSandbox((sb) => {
    installPodinfo(sb.server.api, [{ setWeight: 50 }]);
    // someone else's VirtualService for the same host, sending everything to the Service (the target's pods)
    sb.server.api.create(sb.server.api.registry.resource('networking.istio.io', 'virtualservices'), 'demo', {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'podinfo', labels: { team: 'a' } },
      spec: { hosts: ['podinfo'], http: [{ name: 'all', route: [{ destination: { host: 'podinfo' } }] }] },
    });
  });
}, 60_000);
afterAll(async () => h.stop());

describe('objects Sluice did not make', () => {
  it('stop the Rollout with a clear message, and the target keeps serving', async () => {
    await eventually('RoutingConflict', () => status()?.reason === 'RoutingConflict', 10_000);
    expect(status().phase).toBe('Invalid');
    expect(status().message).toMatch(/VirtualService\/podinfo: not made by Sluice .*spec\.virtualServiceRef/);
    await eventually(
      'the target ready',
      () => get('apps', 'deployments', 'podinfo').status?.readyReplicas === 1,
      10_000,
    );
    // a few passes later: still nothing scaled, routed or generated
    await new Promise((r) => setTimeout(r, 1500));
    expect(get('apps', 'deployments', 'podinfo').spec.replicas).toBe(1);
    expect(get('apps', 'deployments', 'podinfo-primary')).toBeUndefined();
    expect(get('networking.istio.io', 'virtualservices', 'podinfo').spec.http[0].route).toEqual([
      { destination: { host: 'podinfo' } },
    ]);
    expect(h.sb.meshSimulator.send({ host: 'podinfo', namespace: 'demo' })).toMatchObject({ code: 200 });
  });

  it('goes on once the conflicting object is gone', async () => {
    h.sb.server.api.delete({
      type: type('networking.istio.io', 'virtualservices'),
      namespace: 'demo',
      name: 'podinfo',
    });
    await eventually('Healthy', () => status()?.phase === 'Healthy', 20_000);
    expect(get('networking.istio.io', 'virtualservices', 'podinfo').metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'sluice',
    });
  });
});
