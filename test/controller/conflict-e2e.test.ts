/**
 * Sluice never routes or scales with an object it did not make: a VirtualService with the
 * Service's name that someone else owns stops the Rollout (Invalid/RoutingConflict, saying how to
 * adopt it) while the target keeps its replicas and keeps serving; once it is gone, Sluice goes on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { recordCommand } from '../../src/kube/rollout-writes.js';
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

  it('brings a Git change of spec.service to the generated VirtualService, keeping the weights', async () => {
    const r = structuredClone(get('sluice.dev', 'rollouts', 'podinfo'));
    r.spec.service.timeout = '300s';
    h.sb.server.api.update({ type: type('sluice.dev', 'rollouts'), namespace: 'demo', name: 'podinfo' }, r);
    await eventually(
      'the new timeout',
      () => get('networking.istio.io', 'virtualservices', 'podinfo').spec.http[0].timeout === '300s',
      10_000,
    );
    expect(
      get('networking.istio.io', 'virtualservices', 'podinfo').spec.http[0].route.map((d: any) => d.weight),
    ).toEqual([100, 0]);
    const events = h.sb.server.api.store
      .list(type('events.k8s.io', 'events').storageKey, 'demo')
      .filter((e: any) => e.reason === 'RoutingUpdated');
    expect(events).toHaveLength(1);
  });

  it("brings a change of spec.service made mid-run (port, timeout) to the Services and the VirtualService at the run's weight, and the run goes on", async () => {
    const update = (change: (r: any) => void): void => {
      const r = structuredClone(get('sluice.dev', 'rollouts', 'podinfo'));
      change(r);
      h.sb.server.api.update({ type: type('sluice.dev', 'rollouts'), namespace: 'demo', name: 'podinfo' }, r);
    };
    update((r) => (r.spec.strategy.canary.steps = [{ setWeight: 40 }, { pause: {} }]));
    const d = structuredClone(get('apps', 'deployments', 'podinfo'));
    d.spec.template.spec.containers[0].env = [{ name: 'RELEASE', value: 'mid-run' }];
    h.sb.server.api.update({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, d);
    await eventually('paused at 40%', () => status()?.phase === 'Paused' && status()?.canaryWeight === 40, 20_000);
    update((r) => {
      r.spec.service.port = 8080;
      r.spec.service.timeout = '42s';
    });
    const vs = (): any => get('networking.istio.io', 'virtualservices', 'podinfo');
    await eventually('the VirtualService follows', () => vs().spec.http[0].timeout === '42s', 10_000);
    expect(vs().spec.http[0].route).toEqual([
      { destination: { host: 'podinfo-primary', port: { number: 8080 } }, weight: 60 },
      { destination: { host: 'podinfo-canary', port: { number: 8080 } }, weight: 40 },
    ]);
    for (const n of ['podinfo-primary', 'podinfo-canary'])
      expect(get('', 'services', n).spec.ports).toMatchObject([{ port: 8080, targetPort: 8080 }]);
    // Git's own Service is Git's: never converged
    expect(get('', 'services', 'podinfo').spec.ports[0].port).toBe(9898);
    const kube = kubeClients(loadKubeConfig(h.sb.kubeconfig, 'sluice-cli/test'));
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await recordCommand(
      kube,
      { namespace: 'demo', name: 'podinfo' },
      { id: 'p-mid', action: 'promote', user: 'test', source: 'cli', at },
    );
    await eventually('promoted', () => status()?.phase === 'Healthy' && status()?.reason === 'Promoted', 20_000);
    expect(vs().spec.http[0].route.map((x: any) => x.weight)).toEqual([100, 0]);
    // converged once for this change, not pass after pass
    const updated = h.sb.server.api.store
      .list(type('events.k8s.io', 'events').storageKey, 'demo')
      .filter((e: any) => e.reason === 'RoutingUpdated');
    expect(updated).toHaveLength(2);
  });
});
