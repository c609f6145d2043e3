/**
 * `<target>-primary` serves every request between runs, so Sluice keeps it as it made it: scaled
 * down, deleted or edited by hand (kubectl, the reference client), it is restored, with a Warning
 * and condition PrimaryAvailable while it cannot serve. Deleted mid-run, when the target holds
 * the canary and nothing can rebuild the stable revision, the condition says what to do.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { recordCommand } from '../../src/kube/rollout-writes.js';
import { eventually } from '../sandbox/helpers.js';
import { installPodinfo, startControllerSandbox, type ControllerSandbox } from './harness.js';

const exec = promisify(execFile);
let h: ControllerSandbox;
const kubectl = async (...args: string[]): Promise<string> =>
  (await exec('kubectl', [...args, '-n', 'demo'], { env: { ...process.env, KUBECONFIG: h.sb.kubeconfig } })).stdout;
const type = (group: string, resource: string): any => h.sb.server.api.registry.resource(group, resource);
const get = (group: string, resource: string, name: string): any =>
  h.sb.server.api.store.get(type(group, resource).storageKey, 'demo', name);
const status = (): any => get('sluice.dev', 'rollouts', 'podinfo')?.status ?? {};
const primary = (): any => get('apps', 'deployments', 'podinfo-primary');
const condition = (): any => status().conditions?.find((c: any) => c.type === 'PrimaryAvailable');
const warnings = (reason: string): string[] =>
  h.sb.server.api.store
    .list(type('events.k8s.io', 'events').storageKey, 'demo')
    .filter((e: any) => e.reason === reason)
    .map((e: any) => e.note ?? e.message);
const serving = (): boolean => primary()?.status?.readyReplicas >= 1 && condition()?.status === 'True';

beforeAll(async () => {
  h = await startControllerSandbox((sb) => installPodinfo(sb.server.api, [{ setWeight: 50 }, { pause: {} }]));
  await eventually('Healthy', () => status().phase === 'Healthy' && serving(), 20_000);
}, 60_000);
afterAll(async () => h.stop());

describe('the primary, kept as Sluice made it', () => {
  it('is scaled back when someone scales it to 0', async () => {
    const size = primary().spec.replicas;
    await kubectl('scale', 'deployment/podinfo-primary', '--replicas=0');
    await eventually('scaled back', () => primary().spec.replicas === size && serving(), 10_000);
    await eventually('a Warning', () =>
      /scaled to 0 outside Sluice: scaled back to 1/.test(warnings('PrimaryRestored').join('\n')),
    );
    await h.failedRequests.rebase(); // the test scaled it down: requests failed on purpose
  });

  it('keeps a size someone resizes it to', async () => {
    await kubectl('scale', 'deployment/podinfo-primary', '--replicas=3');
    await eventually('recorded', () => status().primaryReplicas === 3, 10_000);
    expect(primary().spec.replicas).toBe(3);
  });

  it('is created again when deleted, and its template restored when edited', async () => {
    await kubectl('delete', 'deployment/podinfo-primary', '--wait=false');
    await eventually('created again', () => primary() !== undefined && serving(), 10_000);
    expect(primary().spec.replicas).toBe(3);
    await eventually('a Warning', () =>
      /was deleted outside Sluice: created again from revision/.test(warnings('PrimaryRestored').join('\n')),
    );
    await h.failedRequests.rebase();
    const image = primary().spec.template.spec.containers[0].image;
    await kubectl('set', 'image', 'deployment/podinfo-primary', 'podinfo=ghcr.io/someone/else:1');
    await eventually('restored', () => primary().spec.template.spec.containers[0].image === image, 10_000);
    await eventually('a Warning', () =>
      /its pod template was changed outside Sluice/.test(warnings('PrimaryRestored').join('\n')),
    );
    expect(status().phase).toBe('Healthy');
  });

  it('says what to do when it is deleted mid-run and cannot be rebuilt, and a promotion brings it back', async () => {
    await kubectl('set', 'env', 'deployment/podinfo', 'RELEASE=2');
    await eventually('paused at 50%', () => status().phase === 'Paused' && status().canaryWeight === 50, 20_000);
    await kubectl('delete', 'deployment/podinfo-primary', '--wait=false');
    await eventually('PrimaryMissing', () => condition()?.reason === 'PrimaryMissing', 10_000);
    expect(condition()).toMatchObject({ status: 'False', message: expect.stringMatching(/cannot be rebuilt/) });
    expect(status().conditions.find((c: any) => c.type === 'Ready').status).toBe('False');
    await eventually('a Warning', () => warnings('PrimaryMissing').some((n) => /cannot be rebuilt/.test(n)));
    expect(warnings('PrimaryMissing').filter((n) => /cannot be rebuilt/.test(n))).toHaveLength(1);
    const kube = kubeClients(loadKubeConfig(h.sb.kubeconfig, 'sluice-cli/test'));
    const at = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    await recordCommand(
      kube,
      { namespace: 'demo', name: 'podinfo' },
      { id: 'p1', action: 'promote', user: 'test', source: 'cli', at },
    );
    await eventually('promoted', () => status().reason === 'Promoted' && serving(), 20_000);
    expect(primary().metadata.annotations['sluice.dev/revision']).toBe(status().stableRevision);
    await h.failedRequests.rebase();
  });
});
