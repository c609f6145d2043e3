/**
 * The sandbox's Jobs, as the API server, the Job controller and the TTL-after-finished
 * controller handle them: defaults and a generated selector, restartPolicy checked, an immutable
 * template; pods that run SANDBOX_RUN_SECONDS and exit with SANDBOX_EXIT_CODE; status and
 * conditions as Kubernetes 1.31+ writes them; backoffLimit, activeDeadlineSeconds and
 * ttlSecondsAfterFinished honoured; SANDBOX_LOAD_* sending load through the mesh while a pod runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from './helpers.js';

let sb: Sandbox;
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const job = (name: string): any => sb.server.api.store.get(type('batch', 'jobs').storageKey, 'jobs', name);
const pods = (name: string): any[] =>
  (sb.server.api.store.list(type('', 'pods').storageKey, 'jobs') as any[]).filter(
    (p) => p.metadata.labels?.['batch.kubernetes.io/job-name'] === name,
  );
const conditions = (name: string): string[] => (job(name)?.status?.conditions ?? []).map((c: any) => c.type);

function create(name: string, env: Record<string, string>, spec: Record<string, unknown> = {}): any {
  return sb.server.api.create(type('batch', 'jobs'), 'jobs', {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [
            { name: 'run', image: 'busybox', env: Object.entries(env).map(([k, value]) => ({ name: k, value })) },
          ],
        },
      },
      ...spec,
    },
  }).object;
}

beforeAll(async () => {
  sb = await startSandbox({ prometheus: false, redisUrl: false, readyDelayMs: 50, rps: 0 });
  sb.server.api.create(type('', 'namespaces'), undefined, { metadata: { name: 'jobs' } });
}, 30_000);
afterAll(async () => sb.stop());

describe('sandbox Jobs', () => {
  it('admits a Job with defaults and a generated selector, and refuses what the API server refuses', () => {
    const created = create('defaults', { SANDBOX_RUN_SECONDS: '60' });
    expect(created.spec).toMatchObject({
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': created.metadata.uid } },
    });
    expect(created.spec.template.metadata.labels).toMatchObject({
      'batch.kubernetes.io/job-name': 'defaults',
      'job-name': 'defaults',
    });
    expect(() =>
      sb.server.api.create(type('batch', 'jobs'), 'jobs', {
        metadata: { name: 'always' },
        spec: { template: { spec: { containers: [{ name: 'run', image: 'busybox' }] } } },
      }),
    ).toThrow(/spec.template.spec.restartPolicy: Unsupported value: "Always"/);
    expect(() =>
      sb.server.api.patch({ type: type('batch', 'jobs'), namespace: 'jobs', name: 'defaults' }, 'merge', {
        spec: { template: { spec: { activeDeadlineSeconds: 5 } } },
      }),
    ).toThrow(/spec.template: Invalid value.*field is immutable/);
  });

  it('runs a pod for SANDBOX_RUN_SECONDS and completes, with status as the Job controller writes it', async () => {
    create('ok', { SANDBOX_RUN_SECONDS: '0.3' });
    await eventually('active', () => job('ok')?.status?.active === 1, 5_000);
    expect(job('ok').status.startTime).toBeDefined();
    await eventually('complete', () => conditions('ok').includes('Complete'), 5_000);
    expect(conditions('ok')).toEqual(['SuccessCriteriaMet', 'Complete']);
    expect(job('ok').status).toMatchObject({ active: 0, succeeded: 1, failed: 0, ready: 0 });
    expect(job('ok').status.completionTime).toBeDefined();
    const [pod] = pods('ok');
    expect(pod.status.phase).toBe('Succeeded');
    expect(pod.status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
  });

  it('fails after backoffLimit failed pods, exit code as SANDBOX_EXIT_CODE says', async () => {
    create('bad', { SANDBOX_RUN_SECONDS: '0.1', SANDBOX_EXIT_CODE: '3' }, { backoffLimit: 0 });
    await eventually('failed', () => conditions('bad').includes('Failed'), 5_000);
    expect(conditions('bad')).toEqual(['FailureTarget', 'Failed']);
    expect(job('bad').status.conditions[1]).toMatchObject({ reason: 'BackoffLimitExceeded', status: 'True' });
    expect(job('bad').status).toMatchObject({ failed: 1, succeeded: 0, active: 0 });
    expect(pods('bad')[0].status.containerStatuses[0].state.terminated).toMatchObject({ exitCode: 3, reason: 'Error' });
  });

  it('fails a Job running past activeDeadlineSeconds and stops its pods', async () => {
    create('slow', { SANDBOX_RUN_SECONDS: '60' }, { activeDeadlineSeconds: 1 });
    await eventually('deadline', () => conditions('slow').includes('Failed'), 5_000);
    expect(job('slow').status.conditions[1]).toMatchObject({ reason: 'DeadlineExceeded' });
    await eventually('pods stopped', () => pods('slow').length === 0, 5_000);
  });

  it('deletes a finished Job (and its pods) ttlSecondsAfterFinished later', async () => {
    create('ttl', { SANDBOX_RUN_SECONDS: '0.1' }, { ttlSecondsAfterFinished: 1 });
    await eventually('complete', () => conditions('ttl').includes('Complete'), 5_000);
    await eventually('deleted', () => job('ttl') === undefined, 5_000);
    await eventually('pods collected', () => pods('ttl').length === 0, 5_000);
  });

  it('sends SANDBOX_LOAD_RPS requests a second to SANDBOX_LOAD_TARGET through the mesh while it runs', async () => {
    const before = sb.meshSimulator.sent;
    create('load', { SANDBOX_RUN_SECONDS: '1', SANDBOX_LOAD_TARGET: 'web:8080', SANDBOX_LOAD_RPS: '50' });
    await eventually('complete', () => conditions('load').includes('Complete'), 5_000);
    const sent = sb.meshSimulator.sent - before;
    expect(sent).toBeGreaterThanOrEqual(35);
    expect(sent).toBeLessThanOrEqual(65);
  });
});
