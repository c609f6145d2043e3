/**
 * End to end: the ConfigMaps and Secrets a template uses are part of its revision (a config-only
 * change is a canary run), the primary runs on `-primary` copies, and generated routing deleted
 * by someone is created again.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from '../sandbox/helpers.js';
import { installPodinfo, startControllerSandbox, type ControllerSandbox } from './harness.js';

const exec = promisify(execFile);
let sb: Sandbox;
let harness: ControllerSandbox;

const kubectl = async (...args: string[]): Promise<string> =>
  (await exec('kubectl', args, { env: { ...process.env, KUBECONFIG: sb.kubeconfig }, timeout: 30_000 })).stdout;
const get = (resource: string, name: string): any => {
  const [plural, group = ''] = resource.split(/\.(.*)/s);
  const type = sb.server.api.registry.resource(group, plural ?? resource);
  return sb.server.api.store.get(type.storageKey, 'demo', name);
};
const status = (): any => get('rollouts.sluice.dev', 'podinfo')?.status ?? {};
const b64 = (s: string): string => Buffer.from(s).toString('base64');
/** A config-only change: the ConfigMap the template uses gets a new message. */
const settings = (message: string): Promise<string> =>
  kubectl(
    'patch',
    'configmap',
    'podinfo-settings',
    '-n',
    'demo',
    '--type=merge',
    '-p',
    JSON.stringify({ data: { PODINFO_UI_MESSAGE: message } }),
  );

beforeAll(async () => {
  harness = await startControllerSandbox((s) => {
    sb = s;
    const api = s.server.api;
    const type = (group: string, resource: string): any => api.registry.resource(group, resource);
    installPodinfo(api, [{ setWeight: 50 }, { pause: { duration: '1s' } }], (d) => {
      const c = d.spec.template.spec.containers[0];
      c.envFrom = [{ configMapRef: { name: 'podinfo-settings' } }];
      c.volumeMounts = [{ name: 'token', mountPath: '/var/run/token' }];
      d.spec.template.spec.volumes = [{ name: 'token', secret: { secretName: 'podinfo-token' } }];
    });
    api.create(type('', 'configmaps'), 'demo', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'podinfo-settings', namespace: 'demo', labels: { 'argocd.argoproj.io/instance': 'shop' } },
      data: { PODINFO_UI_MESSAGE: 'hello v1' },
    });
    api.create(type('', 'secrets'), 'demo', {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'podinfo-token', namespace: 'demo' },
      type: 'Opaque',
      data: { token: b64('s3cret-1') },
    });
  });
}, 60_000);
afterAll(async () => harness.stop());

describe('config tracking', () => {
  it('runs the primary on -primary copies of the ConfigMaps and Secrets', async () => {
    await eventually('Healthy', () => status().phase === 'Healthy', 20_000);
    const copy = get('configmaps', 'podinfo-settings-primary');
    expect(copy.data).toEqual({ PODINFO_UI_MESSAGE: 'hello v1' });
    expect(copy.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'sluice' });
    expect(copy.metadata.ownerReferences).toMatchObject([{ kind: 'Rollout', name: 'podinfo', controller: false }]);
    expect(get('secrets', 'podinfo-token-primary')).toMatchObject({ type: 'Opaque', data: { token: b64('s3cret-1') } });
    const spec = get('deployments.apps', 'podinfo-primary').spec.template.spec;
    expect(spec.containers[0].envFrom).toEqual([{ configMapRef: { name: 'podinfo-settings-primary' } }]);
    expect(spec.volumes).toEqual([{ name: 'token', secret: { secretName: 'podinfo-token-primary' } }]);
  });

  it('keeps Secrets in memory as hashes only', () => {
    const cached = (harness.controller as any).informers.configs.Secret.list('demo');
    expect(cached.map((c: any) => c.metadata.name)).toContain('podinfo-token');
    expect(JSON.stringify(cached)).not.toContain(b64('s3cret-1'));
  });

  it('treats a ConfigMap change as a new revision: a canary run, then the primary gets the new copy', async () => {
    const before = status().stableRevision;
    const primaryPods = get('deployments.apps', 'podinfo-primary').spec.template.metadata.annotations[
      'sluice.dev/revision'
    ];
    await settings('hello v2');
    await eventually(
      'a run for the new config',
      () => status().canaryRevision !== undefined && status().canaryRevision !== before,
      10_000,
    );
    // Until promotion, the primary keeps the old config.
    expect(get('configmaps', 'podinfo-settings-primary').data).toEqual({ PODINFO_UI_MESSAGE: 'hello v1' });
    await eventually('promoted', () => status().reason === 'Promoted', 30_000);
    expect(status().stableRevision).not.toBe(before);
    expect(get('configmaps', 'podinfo-settings-primary').data).toEqual({ PODINFO_UI_MESSAGE: 'hello v2' });
    // The primary's pods roll even though only the config changed.
    expect(
      get('deployments.apps', 'podinfo-primary').spec.template.metadata.annotations['sluice.dev/revision'],
    ).not.toBe(primaryPods);
  });

  it('treats a Secret change as a new revision too', async () => {
    const before = status().stableRevision;
    await kubectl(
      'patch',
      'secret',
      'podinfo-token',
      '-n',
      'demo',
      '--type=merge',
      '-p',
      JSON.stringify({ data: { token: b64('s3cret-2') } }),
    );
    await eventually(
      'promoted again',
      () => status().reason === 'Promoted' && status().stableRevision !== before,
      30_000,
    );
    expect(get('secrets', 'podinfo-token-primary').data).toEqual({ token: b64('s3cret-2') });
  });

  it('refuses to overwrite a -primary object it did not make, and says so', async () => {
    // someone takes the name over in one write (a deleted copy would be restored by Sluice at once)
    const cms = sb.server.api.registry.resource('', 'configmaps');
    const copy = structuredClone(get('configmaps', 'podinfo-settings-primary'));
    copy.metadata = {
      name: 'podinfo-settings-primary',
      namespace: 'demo',
      resourceVersion: copy.metadata.resourceVersion,
    };
    copy.data = { mine: 'yes' };
    sb.server.api.update({ type: cms, namespace: 'demo', name: 'podinfo-settings-primary' }, copy);
    const before = status().stableRevision;
    await settings('hello v3');
    const failure = await eventually(
      'a Warning about the name',
      async () => {
        const events = JSON.parse(await kubectl('get', 'events.events.k8s.io', '-n', 'demo', '-o', 'json')).items;
        return events.find((e: any) => e.reason === 'ReconcileFailed');
      },
      20_000,
    );
    expect(failure.note).toMatch(/ConfigMap podinfo-settings-primary exists and was not made by Sluice; rename it/);
    // The promotion cannot copy; the user's object is left alone.
    expect(get('configmaps', 'podinfo-settings-primary').data).toEqual({ mine: 'yes' });
    expect(status().stableRevision).toBe(before);
    await kubectl('delete', 'configmap', 'podinfo-settings-primary', '-n', 'demo');
    await eventually(
      'promoted once the name is free',
      () => status().reason === 'Promoted' && status().stableRevision !== before,
      30_000,
    );
  });
});

describe('generated routing deleted by someone', () => {
  it('is created again, with a Warning event', async () => {
    // Once the canary serves nothing (the last promotion's routes reached every proxy and it was
    // scaled down): deleting a Service that still gets requests fails them, whoever does it.
    await eventually('the canary parked', () => get('deployments.apps', 'podinfo')?.spec?.replicas === 0, 20_000);
    await kubectl('delete', 'service', 'podinfo-canary', '-n', 'demo');
    await kubectl('delete', 'destinationrule', 'podinfo-primary', '-n', 'demo');
    await eventually(
      'recreated',
      () =>
        get('services', 'podinfo-canary') !== undefined &&
        get('destinationrules.networking.istio.io', 'podinfo-primary') !== undefined,
      10_000,
    );
    const events = JSON.parse(await kubectl('get', 'events.events.k8s.io', '-n', 'demo', '-o', 'json')).items;
    expect(events.map((e: any) => e.reason)).toContain('RoutingRestored');
  });
});

describe('a -primary copy deleted by someone', () => {
  it('is created again with the stable content, with a Warning', async () => {
    await eventually('Healthy', () => status().phase === 'Healthy', 20_000);
    const message = get('configmaps', 'podinfo-settings').data.PODINFO_UI_MESSAGE;
    await kubectl('delete', 'configmap', 'podinfo-settings-primary', '-n', 'demo');
    await eventually(
      'created again',
      () => get('configmaps', 'podinfo-settings-primary')?.data?.PODINFO_UI_MESSAGE === message,
      10_000,
    );
    expect(get('configmaps', 'podinfo-settings-primary').metadata.labels).toEqual({
      'app.kubernetes.io/managed-by': 'sluice',
    });
    await eventually('a Warning', async () => {
      const events = JSON.parse(await kubectl('get', 'events.events.k8s.io', '-n', 'demo', '-o', 'json')).items;
      return events.some(
        (e: any) => e.reason === 'PrimaryRestored' && /ConfigMap podinfo-settings-primary is missing/.test(e.note),
      );
    });
  });
});

describe('a config change mid-run', () => {
  it("restarts the canary's pods, which a config-only change does not roll, before the run goes on", async () => {
    const api = sb.server.api;
    const type = (group: string, resource: string): any => api.registry.resource(group, resource);
    const r = structuredClone(get('rollouts.sluice.dev', 'podinfo'));
    r.spec.strategy.canary.steps = [{ setWeight: 50 }, { pause: {} }];
    api.update({ type: type('sluice.dev', 'rollouts'), namespace: 'demo', name: 'podinfo' }, r);
    const canaryPods = (): string[] =>
      api.store
        .list(type('', 'pods').storageKey, 'demo')
        .filter((p: any) =>
          p.metadata.ownerReferences?.some(
            (o: any) => o.name.startsWith('podinfo-') && !o.name.startsWith('podinfo-primary'),
          ),
        )
        .filter((p: any) => p.metadata.deletionTimestamp === undefined)
        .map((p: any) => p.metadata.name);
    await settings('hello v5');
    await eventually(
      'at the gate',
      () => status().reason === 'WaitingForPromotion' && status().canaryWeight === 50,
      30_000,
    );
    const before = canaryPods();
    expect(before.length).toBeGreaterThan(0);
    const revision = status().canaryRevision;
    const sizes: number[] = [];
    const stop = api.store.subscribe(type('apps', 'deployments').storageKey, (e: any) => {
      if (e.object?.metadata?.name === 'podinfo') sizes.push(e.object.spec.replicas);
    });
    await settings('hello v6');
    await eventually(
      'at the gate again, with the new revision',
      () =>
        status().reason === 'WaitingForPromotion' &&
        status().canaryRevision !== revision &&
        status().canaryWeight === 50,
      30_000,
    );
    // the pods that serve the canary now started after the change: none of the earlier ones is left
    expect(canaryPods().filter((n) => before.includes(n))).toEqual([]);
    stop();
    // scaled to 0 and up again, not left as it was
    expect(sizes).toContain(0);
    expect(sizes.at(-1)).toBeGreaterThan(0);
  });
});
