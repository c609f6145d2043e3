/**
 * The sandbox's KEDA operator, as KEDA behaves: a ScaledObject gets an HPA it owns
 * (`keda-hpa-<name>`, min max(minReplicaCount, 1)); its scale loop activates a target at 0 (up to
 * max(min, 1)); `autoscaling.keda.sh/paused-replicas` deletes the HPA and holds the target at N;
 * removing it brings both back; an unsupported trigger is not Ready; deleting it deletes its HPA.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PAUSED_REPLICAS } from '../../src/sandbox/keda/operator.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from './helpers.js';

let sb: Sandbox;
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const get = (group: string, resource: string, name: string): any =>
  sb.server.api.store.get(type(group, resource).storageKey, 'keda', name);
const so = (name = 'web'): any => get('keda.sh', 'scaledobjects', name);
const hpa = (name = 'keda-hpa-web'): any => get('autoscaling', 'horizontalpodautoscalers', name);
const replicas = (): number => get('apps', 'deployments', 'web').spec.replicas;
const condition = (name: string, t: string): string | undefined =>
  so(name)?.status?.conditions?.find((c: any) => c.type === t)?.status;

function scaledObject(name: string, extra: Record<string, unknown> = {}, triggerType = 'cpu'): void {
  sb.server.api.create(type('keda.sh', 'scaledobjects'), 'keda', {
    metadata: { name },
    spec: {
      scaleTargetRef: { name: 'web' },
      pollingInterval: 1,
      minReplicaCount: 2,
      maxReplicaCount: 5,
      triggers: [{ type: triggerType, metricType: 'Utilization', metadata: { value: '50' } }],
      ...extra,
    },
  });
}

function annotate(annotations: Record<string, string | null>): void {
  sb.server.api.patch(
    { type: type('keda.sh', 'scaledobjects'), namespace: 'keda', name: 'web', subresource: undefined },
    'merge',
    { metadata: { annotations } },
  );
}

beforeAll(async () => {
  sb = await startSandbox({ prometheus: false, redisUrl: false, readyDelayMs: 50 });
  const api = sb.server.api;
  api.create(type('', 'namespaces'), undefined, { metadata: { name: 'keda' } });
  api.create(type('apps', 'deployments'), 'keda', {
    metadata: { name: 'web' },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: 'web:1', resources: { requests: { cpu: '100m' } } }] },
      },
    },
  });
}, 30_000);
afterAll(async () => sb.stop());

describe('KEDA ScaledObjects in the sandbox', () => {
  it('get an HPA they own, and activate a target at 0 up to their minimum', async () => {
    scaledObject('web');
    await eventually('keda-hpa-web', () => hpa() !== undefined);
    expect(hpa().spec).toMatchObject({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 2,
      maxReplicas: 5,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      ],
    });
    expect(hpa().metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ScaledObject', name: 'web', controller: true }),
    ]);
    expect(hpa().metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'keda-operator' });
    await eventually('activated from 0 to the minimum', () => replicas() === 2, 5000);
    await eventually(
      'Ready and Active',
      () => condition('web', 'Ready') === 'True' && condition('web', 'Active') === 'True',
    );
    expect(so().status).toMatchObject({
      scaleTargetKind: 'apps/v1.Deployment',
      hpaName: 'keda-hpa-web',
      originalReplicaCount: 0,
    });
  });

  it('paused-replicas: the HPA goes and the target is held at N; unpaused, both come back', async () => {
    annotate({ [PAUSED_REPLICAS]: '0' });
    await eventually('HPA deleted, target at 0', () => hpa() === undefined && replicas() === 0, 5000);
    await eventually('Paused', () => condition('web', 'Paused') === 'True');
    expect(so().status.pausedReplicaCount).toBe(0);
    // KEDA's loop no longer activates it
    await new Promise((r) => setTimeout(r, 1500));
    expect(replicas()).toBe(0);
    annotate({ [PAUSED_REPLICAS]: null });
    await eventually('HPA back, target activated', () => hpa() !== undefined && replicas() === 2, 5000);
    expect(condition('web', 'Paused')).toBe('False');
  });

  it('a trigger the sandbox does not emulate: not Ready, no HPA; a named HPA; deletion takes the HPA along', async () => {
    scaledObject('other', { scaleTargetRef: { name: 'nothing' } }, 'prometheus');
    await eventually('not Ready', () => condition('other', 'Ready') === 'False');
    expect(so('other').status.conditions.find((c: any) => c.type === 'Ready').message).toMatch(/only cpu and memory/);
    expect(hpa('keda-hpa-other')).toBeUndefined();
    sb.server.api.delete({
      type: type('keda.sh', 'scaledobjects'),
      namespace: 'keda',
      name: 'web',
      subresource: undefined,
    });
    await eventually('HPA garbage-collected', () => hpa() === undefined, 5000);
    scaledObject('web', { advanced: { horizontalPodAutoscalerConfig: { name: 'web-hpa' } } });
    await eventually('the named HPA', () => hpa('web-hpa') !== undefined);
  });
});
