/**
 * The sandbox autoscales: pods' CPU comes from the traffic they serve (SANDBOX_CPU_MS_PER_REQUEST
 * per request against requests.cpu), and the HPA controller scales their Deployment through
 * `/scale` as kube-controller-manager does, writing the HPA's status; at 0 replicas it stands by.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from './helpers.js';

let sb: Sandbox;
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const get = (group: string, resource: string, name: string): any =>
  sb.server.api.store.get(type(group, resource).storageKey, 'web', name);
const hpa = (): any => get('autoscaling', 'horizontalpodautoscalers', 'web');
const replicas = (): number => get('apps', 'deployments', 'web').spec.replicas;

beforeAll(async () => {
  // 100 requests/s at 2.5 ms of CPU each: 250m in all; at 50% of 100m per pod that is 5 pods
  sb = await startSandbox({ prometheus: false, redisUrl: false, readyDelayMs: 100, rps: 100, hpaSyncMs: 1000 });
  const api = sb.server.api;
  api.create(type('', 'namespaces'), undefined, { metadata: { name: 'web' } });
  const labels = { app: 'web' };
  api.create(type('apps', 'deployments'), 'web', {
    metadata: { name: 'web' },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'web:1',
              resources: { requests: { cpu: '100m' } },
              env: [{ name: 'SANDBOX_CPU_MS_PER_REQUEST', value: '2.5' }],
            },
          ],
        },
      },
    },
  });
  api.create(type('', 'services'), 'web', {
    metadata: { name: 'web' },
    spec: { selector: labels, ports: [{ port: 80 }] },
  });
  api.create(type('networking.istio.io', 'virtualservices'), 'web', {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'web' },
    spec: { hosts: ['web'], http: [{ route: [{ destination: { host: 'web' } }] }] },
  });
  api.create(type('autoscaling', 'horizontalpodautoscalers'), 'web', {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'web' },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 8,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ],
    },
  });
}, 60_000);
afterAll(async () => sb.stop());

describe('the sandbox HPA controller', () => {
  it('scales a Deployment to what its traffic needs, and reports it as the real one does', async () => {
    await eventually('scaled up to 5', () => replicas() === 5, 20_000);
    // and it stays there: 50% is the target, within the tolerance
    await eventually(
      'settled at the target',
      () => {
        const u = hpa().status?.currentMetrics?.[0]?.resource?.current?.averageUtilization;
        return hpa().status?.currentReplicas === 5 && u !== undefined && Math.abs(u - 50) <= 12;
      },
      20_000,
    );
    expect(replicas()).toBe(5);
    expect(hpa().status).toMatchObject({ desiredReplicas: 5, lastScaleTime: expect.any(String) });
    expect(hpa().status.conditions.map((c: any) => [c.type, c.status])).toEqual([
      ['AbleToScale', 'True'],
      ['ScalingActive', 'True'],
      ['ScalingLimited', 'False'],
    ]);
  });

  it('stands by while its target is scaled to 0 (ScalingActive False, ScalingDisabled)', async () => {
    const api = sb.server.api;
    api.patch({ type: type('apps', 'deployments'), namespace: 'web', name: 'web' }, 'merge', { spec: { replicas: 0 } });
    await eventually(
      'ScalingDisabled',
      () => hpa().status?.conditions?.find((c: any) => c.type === 'ScalingActive')?.reason === 'ScalingDisabled',
      10_000,
    );
    expect(replicas()).toBe(0);
  });
});
