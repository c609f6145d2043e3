/** An informer cache is started only once a LIST succeeded: a failed first LIST is retried, never taken for an empty world. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceCache, SERVICES } from '../../src/controller/cache.js';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { example } from './harness.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ prometheus: false, redisUrl: false, readyDelayMs: 100 });
  sb.server.api.create(sb.server.api.registry.resource('', 'namespaces'), undefined, example('namespace.yaml'));
  sb.server.api.create(sb.server.api.registry.resource('', 'services'), 'demo', example('service.yaml'));
}, 60_000);
afterAll(async () => sb.stop());

describe('ResourceCache', () => {
  it('keeps trying a failing first LIST and starts with what the next one returns', async () => {
    const errors: unknown[] = [];
    const cache = new ResourceCache(
      kubeClients(loadKubeConfig(sb.kubeconfig, 'sluice-controller/test')),
      SERVICES,
      'demo',
      () => undefined,
      { onError: (e) => errors.push(e) },
    );
    sb.server.faults.set({ errorRate: 1 });
    let started = false;
    const starting = cache.start().then(() => (started = true));
    try {
      const deadline = Date.now() + 10_000;
      while (errors.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(errors.length).toBeGreaterThanOrEqual(2);
      expect(started).toBe(false);
    } finally {
      sb.server.faults.set({ errorRate: 0 });
    }
    await starting;
    expect(cache.get('demo', 'podinfo')?.metadata?.name).toBe('podinfo');
    await cache.stop();
  }, 30_000);
});
