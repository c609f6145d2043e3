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
import { installPodinfo, startControllerSandbox, type ControllerSandbox } from './harness.js';

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
});
