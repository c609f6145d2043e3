/**
 * Clients outside the mesh (no sidecar) call the Service by its name and reach its endpoints
 * directly: they must get an answer between runs, while the target is at 0 replicas, and through
 * promotions and rollbacks. A Git-owned Service that selects only the target is called out
 * (condition ServiceSelectsPrimary, a Warning); a missing one is created by Sluice, selecting the
 * primary's pods.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { recordCommand } from '../../src/kube/rollout-writes.js';
import { eventually } from '../sandbox/helpers.js';
import { exampleApp, installPodinfo, startControllerSandbox, type ControllerSandbox } from './harness.js';

let h: ControllerSandbox;
const type = (group: string, resource: string): any => h.sb.server.api.registry.resource(group, resource);
const get = (group: string, resource: string, name: string): any =>
  h.sb.server.api.store.get(type(group, resource).storageKey, 'demo', name);
const rollout = (): any => get('sluice.dev', 'rollouts', 'podinfo');
const phase = (): string => `${rollout()?.status?.phase}/${rollout()?.status?.reason}`;
const condition = (t: string): any => rollout()?.status?.conditions?.find((c: any) => c.type === t);

function release(value: string): void {
  const d = structuredClone(get('apps', 'deployments', 'podinfo'));
  d.spec.template.spec.containers[0].env = [{ name: 'RELEASE', value }];
  h.sb.server.api.update({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, d);
}

function setSelector(selector: Record<string, string>): void {
  const svc = structuredClone(get('', 'services', 'podinfo'));
  svc.spec.selector = selector;
  h.sb.server.api.update({ type: type('', 'services'), namespace: 'demo', name: 'podinfo' }, svc);
}

const outsideFailures = async (): Promise<number> => (await h.failedRequests.since()).outside;

beforeAll(async () => {
  h = await startControllerSandbox(
    (sb) =>
      installPodinfo(sb.server.api, [
        { setWeight: 30 },
        { pause: { duration: '1s' } },
        { setWeight: 60 },
        { pause: {} },
      ]),
    { sandbox: { outsideRps: 20 } },
  );
}, 60_000);
afterAll(async () => h.stop());

describe('clients outside the mesh', () => {
  it('get an answer between runs, through a promotion and through a rollback', async () => {
    await eventually('Healthy', () => phase() === 'Healthy/Initialized', 20_000);
    await eventually('target at 0', () => get('apps', 'deployments', 'podinfo').spec.replicas === 0, 10_000);
    expect(condition('ServiceSelectsPrimary')).toMatchObject({ status: 'True' });
    release('1');
    await eventually('the gate', () => phase() === 'Paused/WaitingForPromotion', 20_000);
    const kube = kubeClients(loadKubeConfig(h.sb.kubeconfig, 'sluice-cli/test'));
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const cmd = (action: 'promote' | 'abort', id: string): Promise<void> =>
      recordCommand(kube, { namespace: 'demo', name: 'podinfo' }, { id, action, user: 'test', source: 'cli', at });
    await cmd('promote', 'p1');
    await eventually('Promoted', () => phase() === 'Healthy/Promoted', 20_000);
    await eventually('canary at 0', () => get('apps', 'deployments', 'podinfo').spec.replicas === 0, 10_000);
    release('2');
    await eventually('the gate again', () => phase() === 'Paused/WaitingForPromotion', 20_000);
    await cmd('abort', 'a1');
    await eventually('RolledBack', () => phase() === 'RolledBack/Aborted', 20_000);
    await eventually('canary at 0', () => get('apps', 'deployments', 'podinfo').spec.replicas === 0, 10_000);
    const sent = (await h.sb.meshSimulator.metrics.text()).match(
      /sandbox_outside_requests_total\{destination_service_namespace="demo",destination_service_name="podinfo",response_code="200",response_flags="-"\} (\d+)/,
    );
    expect(Number(sent?.[1] ?? 0)).toBeGreaterThan(100);
    expect(await outsideFailures()).toBe(0);
  });

  it('says when a Service in Git selects only the target: condition and one Warning', async () => {
    setSelector({ app: 'podinfo' });
    await eventually('condition False', () => condition('ServiceSelectsPrimary')?.status === 'False', 10_000);
    expect(condition('ServiceSelectsPrimary')).toMatchObject({ reason: 'ServiceSelectsTargetOnly' });
    expect(condition('ServiceSelectsPrimary').message).toMatch(/clients outside the mesh get no answer/);
    const events = h.sb.server.api.store
      .list(type('events.k8s.io', 'events').storageKey, 'demo')
      .filter((e: any) => e.reason === 'ServiceSelectsTargetOnly');
    expect(events).toHaveLength(1);
    // the clients outside the mesh really fail now: on purpose, so not counted against Sluice
    await eventually('outside requests refused', async () => (await outsideFailures()) > 0, 10_000);
    setSelector({ 'app.kubernetes.io/name': 'podinfo' });
    await eventually('condition True', () => condition('ServiceSelectsPrimary')?.status === 'True', 10_000);
    await h.failedRequests.rebase();
  });

  it('creates the Service clients call when Git has none, selecting the primary', async () => {
    h.sb.server.api.delete({ type: type('', 'services'), namespace: 'demo', name: 'podinfo' });
    await eventually('the Service again', () => get('', 'services', 'podinfo') !== undefined, 10_000);
    expect(get('', 'services', 'podinfo')).toMatchObject({
      metadata: { labels: { 'app.kubernetes.io/managed-by': 'sluice' } },
      spec: { selector: { app: 'podinfo-primary' } },
    });
    await eventually(
      "no ServiceSelectsPrimary condition on Sluice's own Service",
      () => condition('ServiceSelectsPrimary') === undefined,
      10_000,
    );
    // the Service was gone for a moment (on purpose)
    await eventually('the proxies to have the last routes', () => h.sb.meshSimulator.proxies.pending === 0, 10_000);
    await h.failedRequests.rebase();
  });

  it('on deletion with a target that never becomes ready, leaves everything serving, unowned, and goes', async () => {
    const r = structuredClone(rollout());
    r.spec.progressDeadlineSeconds = 3;
    h.sb.server.api.update({ type: type('sluice.dev', 'rollouts'), namespace: 'demo', name: 'podinfo' }, r);
    const d = structuredClone(get('apps', 'deployments', 'podinfo'));
    d.spec.template.spec.containers[0].env = [{ name: 'SANDBOX_NOT_READY', value: 'true' }];
    h.sb.server.api.update({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, d);
    await eventually('rolled back at the deadline', () => phase() === 'RolledBack/ProgressDeadlineExceeded', 20_000);
    h.sb.server.api.delete({ type: type('sluice.dev', 'rollouts'), namespace: 'demo', name: 'podinfo' });
    await eventually('the Rollout gone', () => rollout() === undefined, 20_000);
    // (the pass records its Events after its writes: the last one may land just after the Rollout went)
    const handOverFailed = (): unknown[] =>
      h.sb.server.api.store
        .list(type('events.k8s.io', 'events').storageKey, 'demo')
        .filter((e: any) => e.reason === 'HandOverFailed');
    await eventually('a HandOverFailed Warning', () => handOverFailed().length > 0, 5_000);
    expect(handOverFailed()).toHaveLength(1);
    for (const [group, resource, name] of [
      ['apps', 'deployments', 'podinfo-primary'],
      ['', 'services', 'podinfo'],
      ['', 'services', 'podinfo-primary'],
      ['networking.istio.io', 'virtualservices', 'podinfo'],
      ['networking.istio.io', 'destinationrules', 'podinfo-primary'],
    ] as const) {
      const o = get(group, resource, name);
      expect(o, `${resource}/${name} left in place`).toBeDefined();
      expect(o.metadata.ownerReferences ?? [], `${resource}/${name} without an owner`).toEqual([]);
    }
    // still serving through the primary, in the mesh and from outside it (the harness checks no failure)
    expect(h.sb.meshSimulator.send({ host: 'podinfo', namespace: 'demo' })).toMatchObject({
      code: 200,
      workload: 'podinfo-primary',
    });
  });

  it('on deletion, hands the Service Sluice made to the target and leaves it', async () => {
    const api = h.sb.server.api;
    exampleApp(api, 'web', (r) => {
      r.spec.strategy.canary.steps = [{ setWeight: 50 }];
      delete r.spec.strategy.canary.analysis;
    });
    api.delete({ type: type('', 'services'), namespace: 'demo', name: 'web' }); // Git has none
    const web = (): any => get('sluice.dev', 'rollouts', 'web');
    await eventually('web Healthy', () => web()?.status?.phase === 'Healthy', 20_000);
    await eventually(
      'Sluice made Service web',
      () => get('', 'services', 'web')?.spec.selector.app === 'web-primary',
      10_000,
    );
    api.delete({ type: type('sluice.dev', 'rollouts'), namespace: 'demo', name: 'web' });
    await eventually('the Rollout gone', () => web() === undefined, 20_000);
    const svc = get('', 'services', 'web');
    expect(svc.spec.selector).toEqual({ app: 'web' });
    expect(svc.metadata.ownerReferences ?? []).toEqual([]);
    expect(svc.metadata.labels?.['app.kubernetes.io/managed-by']).toBeUndefined();
    await eventually('the primary collected', () => get('apps', 'deployments', 'web-primary') === undefined, 10_000);
    await eventually('the proxies to have the last routes', () => h.sb.meshSimulator.proxies.pending === 0, 10_000);
    expect(h.sb.meshSimulator.send({ host: 'web', namespace: 'demo' })).toMatchObject({ code: 200, workload: 'web' });
  });
});
