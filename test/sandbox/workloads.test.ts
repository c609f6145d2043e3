/** The workload simulator over the API emulator: rollouts, readiness, status, endpoints. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import type { ResourceType } from '../../src/sandbox/apiserver/resource-type.js';
import { WorkloadSimulator } from '../../src/sandbox/workloads/simulator.js';
import { eventually } from './helpers.js';

let s: ApiServer;
let sim: WorkloadSimulator;
const T = (g: string, v: string, r: string): ResourceType => s.api.registry.find(g, v, r)!;
const deployment = (): any => s.api.get(T('apps', 'v1', 'deployments'), 'wl', 'web');
const condition = (d: any, type: string): any => d.status?.conditions?.find((c: any) => c.type === type);

beforeAll(async () => {
  s = await startApiServer();
  sim = new WorkloadSimulator(s.api, { readyDelayMs: 100, tickMs: 100 });
  sim.start();
  s.api.create(T('', 'v1', 'namespaces'), undefined, { metadata: { name: 'wl' } });
});
afterAll(async () => {
  sim.stop();
  await s.close();
});

describe('workload simulator', () => {
  it('brings a Deployment up: ReplicaSet, ready pods, status, endpoints', async () => {
    s.api.create(T('apps', 'v1', 'deployments'), 'wl', {
      metadata: { name: 'web' },
      spec: {
        replicas: 3,
        progressDeadlineSeconds: 1,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx:1', ports: [{ name: 'http', containerPort: 8080 }] }] },
        },
      },
    });
    s.api.create(T('', 'v1', 'services'), 'wl', {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
    });
    await eventually('3 ready replicas', () => deployment().status?.readyReplicas === 3);
    const d = deployment();
    expect(d.status).toMatchObject({ observedGeneration: 1, replicas: 3, updatedReplicas: 3, availableReplicas: 3 });
    expect(condition(d, 'Available')).toMatchObject({ status: 'True', reason: 'MinimumReplicasAvailable' });
    expect(condition(d, 'Progressing')).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    const pods = s.api.list(T('', 'v1', 'pods'), 'wl', { labelSelector: 'app=web' }).items;
    expect(pods).toHaveLength(3);
    expect(
      pods.every(
        (p: any) =>
          p.metadata.labels['pod-template-hash'] !== undefined && p.metadata.ownerReferences[0].kind === 'ReplicaSet',
      ),
    ).toBe(true);
    await eventually(
      'endpoints for 3 pods',
      () => (s.api.get(T('', 'v1', 'endpoints'), 'wl', 'web') as any).subsets[0]?.addresses?.length === 3,
    );
    const ep = s.api.get(T('', 'v1', 'endpoints'), 'wl', 'web') as any;
    expect(ep.subsets[0].ports).toEqual([{ name: 'http', port: 8080, protocol: 'TCP' }]);
    const slices = s.api.list(T('discovery.k8s.io', 'v1', 'endpointslices'), 'wl', {
      labelSelector: 'kubernetes.io/service-name=web',
    }).items as any[];
    expect(slices[0].endpoints.filter((e: any) => e.conditions.ready)).toHaveLength(3);
  });

  it('rolls to a new template, scaling the old ReplicaSet down as new pods get ready', async () => {
    s.api.patch({ type: T('apps', 'v1', 'deployments'), namespace: 'wl', name: 'web' }, 'strategic', {
      spec: { template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } },
    });
    await eventually('the rollout to complete', () => {
      const d = deployment();
      return (
        d.status?.observedGeneration === 2 &&
        d.status.updatedReplicas === 3 &&
        d.status.replicas === 3 &&
        d.status.availableReplicas === 3
      );
    });
    const sets = s.api.list(T('apps', 'v1', 'replicasets'), 'wl', {}).items as any[];
    expect(sets.map((rs) => rs.spec.replicas).sort()).toEqual([0, 3]);
    const images = s.api.list(T('', 'v1', 'pods'), 'wl', {}).items.map((p: any) => p.spec.containers[0].image);
    expect(images).toEqual(['nginx:2', 'nginx:2', 'nginx:2']);
  });

  it('never readies SANDBOX_NOT_READY pods, keeps the old ones serving, and reports ProgressDeadlineExceeded', async () => {
    s.api.patch({ type: T('apps', 'v1', 'deployments'), namespace: 'wl', name: 'web' }, 'strategic', {
      spec: {
        template: { spec: { containers: [{ name: 'web', env: [{ name: 'SANDBOX_NOT_READY', value: 'true' }] }] } },
      },
    });
    await eventually(
      'the progress deadline',
      () => condition(deployment(), 'Progressing')?.reason === 'ProgressDeadlineExceeded',
      10_000,
    );
    const d = deployment();
    expect(condition(d, 'Progressing').status).toBe('False');
    expect(d.status.availableReplicas).toBe(3); // the previous pods still serve
    const ep = s.api.get(T('', 'v1', 'endpoints'), 'wl', 'web') as any;
    expect(ep.subsets[0].addresses).toHaveLength(3);
    // 3 replicas at the default 25% maxSurge / 25% maxUnavailable: one new pod at a time, none of the old ones goes
    expect(ep.subsets[0].notReadyAddresses).toHaveLength(1);
  });

  it('scales to zero', async () => {
    s.api.patch({ type: T('apps', 'v1', 'deployments'), namespace: 'wl', name: 'web' }, 'merge', {
      spec: { replicas: 0 },
    });
    await eventually('no pods', () => s.api.list(T('', 'v1', 'pods'), 'wl', {}).items.length === 0);
    await eventually('status at zero', () => deployment().status.replicas === 0);
    expect(condition(deployment(), 'Available').status).toBe('True');
  });
});
