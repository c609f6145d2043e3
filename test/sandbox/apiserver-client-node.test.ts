/** The API emulator as @kubernetes/client-node sees it: informers, 410 relists, 409s, generation and status. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ApiException,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { eventually, root, startSandbox, type Sandbox } from './helpers.js';

let sb: Sandbox;
let api: CustomObjectsApi;
let kc: KubeConfig;
const gvr = { group: 'sluice.dev', version: 'v1alpha1', plural: 'rollouts' };
const template = parse(readFileSync(join(root, 'examples/podinfo/rollout.yaml'), 'utf8'));

function rollout(name: string, namespace: string): any {
  return { ...structuredClone(template), metadata: { name, namespace } };
}

beforeAll(async () => {
  sb = await startSandbox({ historySize: 20, bookmarkIntervalMs: 200 });
  await sb.k('apply', '-f', 'crds/');
  kc = new KubeConfig();
  kc.loadFromFile(sb.kubeconfig);
  api = kc.makeApiClient(CustomObjectsApi);
});
afterAll(async () => sb.close());

async function namespace(name: string): Promise<void> {
  await sb.k('create', 'namespace', name, '--save-config=false', '-o', 'name').catch(() => {
    sb.server.api.create(sb.server.api.registry.find('', 'v1', 'namespaces')!, undefined, { metadata: { name } });
  });
}

describe('client-node against the API emulator', () => {
  it('informers see ADDED, MODIFIED and DELETED in order', async () => {
    await namespace('inf');
    const seen: string[] = [];
    const informer = makeInformer(
      kc,
      '/apis/sluice.dev/v1alpha1/namespaces/inf/rollouts',
      () => api.listNamespacedCustomObject({ ...gvr, namespace: 'inf' }) as never,
    );
    informer.on('add', (o: KubernetesObject) => seen.push(`add ${o.metadata?.name}`));
    informer.on('update', (o: KubernetesObject) =>
      seen.push(`update ${o.metadata?.name} ${(o as any).spec.progressDeadlineSeconds}`),
    );
    informer.on('delete', (o: KubernetesObject) => seen.push(`delete ${o.metadata?.name}`));
    await api.createNamespacedCustomObject({ ...gvr, namespace: 'inf', body: rollout('before', 'inf') });
    await informer.start();
    try {
      await eventually('the initial list', () => seen.includes('add before'));
      await api.createNamespacedCustomObject({ ...gvr, namespace: 'inf', body: rollout('a', 'inf') });
      await api.patchNamespacedCustomObject(
        { ...gvr, namespace: 'inf', name: 'a', body: { spec: { progressDeadlineSeconds: 301 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await api.patchNamespacedCustomObject(
        { ...gvr, namespace: 'inf', name: 'a', body: { spec: { progressDeadlineSeconds: 302 } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await api.deleteNamespacedCustomObject({ ...gvr, namespace: 'inf', name: 'a' });
      await eventually('all events', () => seen.length === 5);
      expect(seen).toEqual(['add before', 'add a', 'update a 301', 'update a 302', 'delete a']);
    } finally {
      await informer.stop();
    }
  });

  it('an informer recovers from 410 Gone by relisting', async () => {
    await namespace('gone');
    const names = new Set<string>();
    const informer = makeInformer(
      kc,
      '/apis/sluice.dev/v1alpha1/namespaces/gone/rollouts',
      () => api.listNamespacedCustomObject({ ...gvr, namespace: 'gone' }) as never,
    );
    informer.on('add', (o: KubernetesObject) => names.add(o.metadata?.name ?? ''));
    informer.on('delete', (o: KubernetesObject) => names.delete(o.metadata?.name ?? ''));
    await informer.start();
    try {
      const t = sb.server.api.registry.find('sluice.dev', 'v1alpha1', 'rollouts')!;
      const before = sb.server.audit.last;
      await eventually('the informer to watch', () => sb.server.faults.cutWatches() > 0);
      // While it reconnects, 40 changes push its resourceVersion out of the 20-event history.
      for (let i = 0; i < 40; i++) sb.server.api.create(t, 'gone', rollout(`r${i}`, 'gone'));
      await eventually('the informer to relist and see all 40', () => names.size === 40, 15_000);
      const after = sb.server.audit.since(before);
      expect(after.some((e) => e.verb === 'list' && e.resource === 'rollouts' && e.namespace === 'gone')).toBe(true);
      expect(after.some((e) => e.verb === 'watch' && e.code === 200)).toBe(true);
    } finally {
      await informer.stop();
    }
  });

  it('answers a stale update with 409 Conflict', async () => {
    await namespace('occ');
    const created = await api.createNamespacedCustomObject({ ...gvr, namespace: 'occ', body: rollout('x', 'occ') });
    const fresh = structuredClone(created);
    fresh.spec.progressDeadlineSeconds = 100;
    await api.replaceNamespacedCustomObject({ ...gvr, namespace: 'occ', name: 'x', body: fresh });
    const stale = structuredClone(created);
    stale.spec.progressDeadlineSeconds = 200;
    const err = await api
      .replaceNamespacedCustomObject({ ...gvr, namespace: 'occ', name: 'x', body: stale })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<string>).code).toBe(409);
    expect(JSON.parse((err as ApiException<string>).body)).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      code: 409,
    });
  });

  it('bumps generation on spec changes only, and keeps spec and status apart', async () => {
    await namespace('gen');
    const get = async (): Promise<any> => api.getNamespacedCustomObject({ ...gvr, namespace: 'gen', name: 'g' });
    await api.createNamespacedCustomObject({ ...gvr, namespace: 'gen', body: rollout('g', 'gen') });
    expect((await get()).metadata.generation).toBe(1);
    await api.patchNamespacedCustomObject(
      { ...gvr, namespace: 'gen', name: 'g', body: { metadata: { labels: { a: 'b' } } } },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    expect((await get()).metadata.generation).toBe(1);
    // status written on the main resource is ignored; spec written through /status is ignored
    await api.patchNamespacedCustomObject(
      {
        ...gvr,
        namespace: 'gen',
        name: 'g',
        body: { spec: { progressDeadlineSeconds: 42 }, status: { phase: 'Healthy' } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    let g = await get();
    expect(g.metadata.generation).toBe(2);
    expect(g.status).toBeUndefined();
    await api.patchNamespacedCustomObjectStatus(
      {
        ...gvr,
        namespace: 'gen',
        name: 'g',
        body: { spec: { progressDeadlineSeconds: 1 }, status: { phase: 'Healthy', observedGeneration: 2 } },
      },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    g = await get();
    expect(g.status).toEqual({ phase: 'Healthy', observedGeneration: 2 });
    expect(g.spec.progressDeadlineSeconds).toBe(42);
    expect(g.metadata.generation).toBe(2);
    // status is validated against the schema too
    const bad = await api
      .patchNamespacedCustomObjectStatus(
        { ...gvr, namespace: 'gen', name: 'g', body: { status: { phase: 'Dancing' } } },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      )
      .catch((e: unknown) => e);
    expect((bad as ApiException<string>).code).toBe(422);
    expect((bad as ApiException<string>).body).toMatch(/status\.phase: Unsupported value: \\"Dancing\\"/);
  });
});
