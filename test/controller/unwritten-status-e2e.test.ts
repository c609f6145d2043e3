/**
 * A pass that acts and stops before its status write (the replica killed in between, the write
 * failing) must not have its work undone: the next pass writes the status it meant to write
 * instead of planning on the old one, which set the weight back and took the step again (found
 * by replicas-e2e: 20%, 50%, 20%, 50%). Here the status write after the 50% step fails once;
 * each step's VirtualService write must still happen exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from '../sandbox/helpers.js';
import { installPodinfo, startControllerSandbox, type ControllerSandbox } from './harness.js';

let h: ControllerSandbox;
let sb: Sandbox;
let failed = 0;
/** How the status write after the 50% step fails: the process stops before it, or the Rollout changed meanwhile (409). */
let mode: 'stop' | 'conflict' = 'stop';
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const status = (): any =>
  sb.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', 'podinfo')?.status ?? {};

beforeAll(async () => {
  h = await startControllerSandbox(
    (s) => {
      sb = s;
      installPodinfo(s.server.api, [
        { setWeight: 20 },
        { pause: { duration: '1s' } },
        { setWeight: 50 },
        { pause: { duration: '1s' } },
      ]);
    },
    {
      controller: (s) => {
        const kube = kubeClients(loadKubeConfig(s.kubeconfig, 'sluice-controller/test'));
        const patch = kube.custom.patchNamespacedCustomObjectStatus.bind(kube.custom);
        // the status write of the pass that set 50% fails once, after its VirtualService write
        kube.custom.patchNamespacedCustomObjectStatus = ((param: any, options?: any) => {
          if (param.body?.status?.canaryWeight === 50 && failed === 0) {
            failed++;
            if (mode === 'stop') return Promise.reject(new Error('connection reset (injected: the pass stops here)'));
            // someone annotates the Rollout meanwhile: the write carries the old resourceVersion
            s.server.api.patch({ type: type('sluice.dev', 'rollouts'), namespace: 'demo', name: 'podinfo' }, 'merge', {
              metadata: { annotations: { 'example.com/touched': String(Date.now()) } },
            });
          }
          return patch(param, options);
        }) as typeof kube.custom.patchNamespacedCustomObjectStatus;
        return { kube };
      },
    },
  );
  await eventually('Healthy', () => status().phase === 'Healthy', 30_000);
}, 60_000);
afterAll(async () => h.stop());

async function releaseAndCountWeights(image: string): Promise<number> {
  failed = 0;
  const since = sb.server.audit.last;
  sb.server.api.patch({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, 'strategic', {
    spec: { template: { spec: { containers: [{ name: 'podinfo', image }] } } },
  });
  await eventually('a new run', () => status().reason !== 'Promoted', 20_000);
  await eventually('promoted', () => status().reason === 'Promoted', 60_000);
  expect(failed).toBe(1);
  return sb.server.audit
    .since(since)
    .filter((e) => e.resource === 'virtualservices' && e.verb === 'patch' && e.code < 300).length;
}

describe('a pass stopped between its actions and its status write', () => {
  it('is completed by the next pass: every step written once', async () => {
    mode = 'stop';
    expect(await releaseAndCountWeights('ghcr.io/stefanprodan/podinfo:6.9.1'), '20%, 50%, back').toBe(3);
  }, 90_000);

  it('is completed too when its status write met a newer Rollout (409: an annotation, a command)', async () => {
    mode = 'conflict';
    expect(await releaseAndCountWeights('ghcr.io/stefanprodan/podinfo:6.9.2'), '20%, 50%, back').toBe(3);
  }, 90_000);
});
