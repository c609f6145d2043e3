/** API conventions the emulator follows, checked over plain HTTP (no client library in between). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import { eventually } from './helpers.js';

let s: ApiServer;

async function call(
  method: string,
  path: string,
  body?: unknown,
  contentType = 'application/json',
): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: { 'Content-Type': contentType, Authorization: 'Bearer anything' },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : JSON.parse(text), headers: res.headers };
}

const cm = (name: string, labels: Record<string, string> = {}): object => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, labels },
  data: { k: name },
});

beforeAll(async () => {
  s = await startApiServer({ historySize: 50, bookmarkIntervalMs: 100 });
});
afterAll(async () => s.close());

describe('storage and lists', () => {
  it('pages a list with limit and continue, in key order', async () => {
    for (const n of ['c', 'a', 'e', 'b', 'd'])
      expect(
        (await call('POST', '/api/v1/namespaces/default/configmaps', cm(`page-${n}`, { set: 'page' }))).status,
      ).toBe(201);
    const first = await call('GET', '/api/v1/namespaces/default/configmaps?labelSelector=set%3Dpage&limit=2');
    expect(first.json.items.map((i: any) => i.metadata.name)).toEqual(['page-a', 'page-b']);
    expect(first.json.metadata.remainingItemCount).toBe(3);
    const second = await call(
      'GET',
      `/api/v1/namespaces/default/configmaps?labelSelector=set%3Dpage&limit=2&continue=${first.json.metadata.continue}`,
    );
    expect(second.json.items.map((i: any) => i.metadata.name)).toEqual(['page-c', 'page-d']);
    const third = await call(
      'GET',
      `/api/v1/namespaces/default/configmaps?labelSelector=set%3Dpage&limit=2&continue=${second.json.metadata.continue}`,
    );
    expect(third.json.items.map((i: any) => i.metadata.name)).toEqual(['page-e']);
    expect(third.json.metadata.continue).toBeUndefined();
    expect((await call('GET', '/api/v1/namespaces/default/configmaps?continue=garbage')).status).toBe(400);
  });

  it('answers errors as Status objects', async () => {
    const missing = await call('GET', '/api/v1/namespaces/default/configmaps/nope');
    expect(missing.json).toMatchObject({
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      code: 404,
      message: 'configmaps "nope" not found',
      details: { name: 'nope', kind: 'configmaps' },
    });
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', cm('page-a'))).json).toMatchObject({
      reason: 'AlreadyExists',
      code: 409,
    });
    expect((await call('POST', '/api/v1/namespaces/nowhere/configmaps', cm('x'))).json).toMatchObject({
      reason: 'NotFound',
      message: 'namespaces "nowhere" not found',
    });
    expect((await call('GET', '/apis/nothing.example/v1/things')).status).toBe(404);
    expect((await call('GET', '/api/v1/configmaps?fieldSelector=data.k%3Dx')).json).toMatchObject({
      reason: 'BadRequest',
      message: 'field label not supported: data.k',
    });
    expect((await call('GET', '/api/v1/configmaps?labelSelector=a%20b%20c')).status).toBe(400);
    const invalid = await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'Bad_Name' },
      spec: {
        selector: { matchLabels: { a: 'b' } },
        template: { metadata: { labels: { a: 'c' } }, spec: { containers: [] } },
      },
    });
    expect(invalid.status).toBe(422);
    expect(invalid.json.details.causes.map((c: any) => c.field)).toEqual(
      expect.arrayContaining(['metadata.name', 'spec.template.metadata.labels', 'spec.template.spec.containers']),
    );
    expect((await call('POST', '/api/v1/namespaces/default/configmaps', 'x'.repeat(4 * 1024 * 1024))).status).toBe(413);
    expect(
      (await call('POST', '/api/v1/namespaces/default/configmaps', 'k8s\0', 'application/vnd.kubernetes.protobuf'))
        .status,
    ).toBe(415);
  });

  it('creates with generateName, and does nothing on dryRun', async () => {
    const made = await call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { generateName: 'gen-' } });
    expect(made.json.metadata.name).toMatch(/^gen-[a-z0-9]{5}$/);
    const dry = await call('POST', '/api/v1/namespaces/default/configmaps?dryRun=All', cm('dry'));
    expect(dry.status).toBe(201);
    expect((await call('GET', '/api/v1/namespaces/default/configmaps/dry')).status).toBe(404);
  });

  it('applies Deployment and Service defaults like the real API server', async () => {
    const d = await call('POST', '/apis/apps/v1/namespaces/default/deployments', {
      metadata: { name: 'web' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: { containers: [{ name: 'web', image: 'nginx', ports: [{ containerPort: 80 }] }] },
        },
      },
    });
    expect(d.json.spec).toMatchObject({
      replicas: 1,
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      strategy: { type: 'RollingUpdate' },
    });
    expect(d.json.metadata.generation).toBe(1);
    const svc = await call('POST', '/api/v1/namespaces/default/services', {
      metadata: { name: 'web' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80 }] },
    });
    expect(svc.json.spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: 80, targetPort: 80, protocol: 'TCP' }] });
    expect(svc.json.spec.clusterIP).toMatch(/^10\.96\./);
    const selectorChange = await call(
      'PATCH',
      '/apis/apps/v1/namespaces/default/deployments/web',
      { spec: { selector: { matchLabels: { app: 'other' } } } },
      'application/merge-patch+json',
    );
    expect(selectorChange.json.code).toBe(422);
    expect(selectorChange.json.details.causes).toContainEqual(
      expect.objectContaining({ field: 'spec.selector', message: expect.stringMatching(/immutable/) }),
    );
  });
});

describe('patches', () => {
  it('strategic merge: lists by merge key, $patch delete and replace, $setElementOrder, $retainKeys', async () => {
    const path = '/apis/apps/v1/namespaces/default/deployments/web';
    const smp = 'application/strategic-merge-patch+json';
    await call(
      'PATCH',
      path,
      { spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'envoy' }] } } } },
      smp,
    );
    let d = (await call('GET', path)).json;
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['web', 'sidecar']);
    await call(
      'PATCH',
      path,
      {
        spec: {
          template: {
            spec: { $setElementOrder: undefined, containers: [{ name: 'web', env: [{ name: 'A', value: '1' }] }] },
          },
        },
      },
      smp,
    );
    await call(
      'PATCH',
      path,
      { spec: { template: { spec: { containers: [{ name: 'web', env: [{ name: 'B', value: '2' }] }] } } } },
      smp,
    );
    d = (await call('GET', path)).json;
    expect(d.spec.template.spec.containers[0].env).toEqual([
      { name: 'A', value: '1' },
      { name: 'B', value: '2' },
    ]);
    await call(
      'PATCH',
      path,
      {
        spec: {
          template: {
            spec: {
              '$setElementOrder/containers': [{ name: 'sidecar' }, { name: 'web' }],
              containers: [{ name: 'sidecar', image: 'envoy:2' }],
            },
          },
        },
      },
      smp,
    );
    d = (await call('GET', path)).json;
    expect(d.spec.template.spec.containers.map((c: any) => `${c.name}:${c.image}`)).toEqual([
      'sidecar:envoy:2',
      'web:nginx',
    ]);
    await call(
      'PATCH',
      path,
      { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } },
      smp,
    );
    d = (await call('GET', path)).json;
    expect(d.spec.template.spec.containers.map((c: any) => c.name)).toEqual(['web']);
    await call('PATCH', path, { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate' } } }, smp);
    d = (await call('GET', path)).json;
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('JSON patch: test failures and bad paths are rejected, nothing is applied', async () => {
    const path = '/api/v1/namespaces/default/configmaps/page-a';
    const failed = await call(
      'PATCH',
      path,
      [
        { op: 'test', path: '/data/k', value: 'wrong' },
        { op: 'replace', path: '/data/k', value: 'x' },
      ],
      'application/json-patch+json',
    );
    expect(failed.status).toBe(422);
    expect((await call('GET', path)).json.data.k).toBe('page-a');
    expect(
      (await call('PATCH', path, [{ op: 'remove', path: '/data/missing' }], 'application/json-patch+json')).status,
    ).toBe(422);
    expect((await call('PATCH', path, { not: 'a list' }, 'application/json-patch+json')).status).toBe(400);
  });

  it('merge patch with a stale resourceVersion conflicts', async () => {
    const path = '/api/v1/namespaces/default/configmaps/page-b';
    const rv = (await call('GET', path)).json.metadata.resourceVersion;
    expect(
      (
        await call(
          'PATCH',
          path,
          { metadata: { resourceVersion: rv }, data: { k: 'v2' } },
          'application/merge-patch+json',
        )
      ).status,
    ).toBe(200);
    expect(
      (
        await call(
          'PATCH',
          path,
          { metadata: { resourceVersion: rv }, data: { k: 'v3' } },
          'application/merge-patch+json',
        )
      ).json,
    ).toMatchObject({ code: 409, reason: 'Conflict' });
  });
});

describe('watch', () => {
  async function readWatch(path: string, until: (events: any[]) => boolean): Promise<any[]> {
    const controller = new AbortController();
    const res = await fetch(`${s.url}${path}`, { signal: controller.signal });
    const reader = res.body!.getReader();
    const events: any[] = [];
    let buf = '';
    try {
      while (!until(events)) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += new TextDecoder().decode(value);
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const line of lines) if (line.trim() !== '') events.push(JSON.parse(line));
      }
    } finally {
      controller.abort();
    }
    return events;
  }

  it('answers a compacted resourceVersion with an ERROR event carrying 410 Expired', async () => {
    const first = await call('POST', '/api/v1/namespaces/default/configmaps', cm('w0'));
    const oldRv = first.json.metadata.resourceVersion;
    for (let i = 1; i <= 60; i++)
      await call('PUT', '/api/v1/namespaces/default/configmaps/w0', { ...cm('w0'), data: { i: String(i) } });
    const events = await readWatch(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${oldRv}`,
      (e) => e.length >= 1,
    );
    expect(events[0]).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired' } });
  });

  it('streams from a resourceVersion, with bookmarks, and turns selector exits into DELETED', async () => {
    const start = (await call('GET', '/api/v1/namespaces/default/configmaps')).json.metadata.resourceVersion;
    const done = readWatch(
      `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${start}&labelSelector=tier%3Dfront&allowWatchBookmarks=true`,
      (e) => e.some((x) => x.type === 'DELETED') && e.some((x) => x.type === 'BOOKMARK'),
    );
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('sel', { tier: 'front' }));
    await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/sel',
      { data: { k: 'changed' } },
      'application/merge-patch+json',
    );
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('other', { tier: 'back' }));
    await call(
      'PATCH',
      '/api/v1/namespaces/default/configmaps/sel',
      { metadata: { labels: { tier: 'back' } } },
      'application/merge-patch+json',
    );
    const events = await done;
    const changes = events.filter((e) => e.type !== 'BOOKMARK').map((e) => `${e.type} ${e.object.metadata.name}`);
    expect(changes).toEqual(['ADDED sel', 'MODIFIED sel', 'DELETED sel']);
    const bookmark = events.find((e) => e.type === 'BOOKMARK');
    expect(Number(bookmark.object.metadata.resourceVersion)).toBeGreaterThan(Number(start));
  });

  it('ends a watch at timeoutSeconds', async () => {
    const started = Date.now();
    const res = await fetch(
      `${s.url}/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=1&resourceVersion=${s.api.store.revision}`,
    );
    await res.text();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });
});

describe('deletion', () => {
  it('garbage-collects dependents in the background, and orphans them on request', async () => {
    const owner = (await call('POST', '/api/v1/namespaces/default/configmaps', cm('owner'))).json;
    const ref = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: owner.metadata.uid };
    await call('POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('dep1'),
      metadata: { name: 'dep1', ownerReferences: [ref] },
    });
    await call('POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('dep2'),
      metadata: { name: 'dep2', ownerReferences: [ref] },
    });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/owner');
    await eventually(
      'dependents to be collected',
      async () =>
        (await call('GET', '/api/v1/namespaces/default/configmaps/dep1')).status === 404 &&
        (await call('GET', '/api/v1/namespaces/default/configmaps/dep2')).status === 404,
    );

    const owner2 = (await call('POST', '/api/v1/namespaces/default/configmaps', cm('owner2'))).json;
    await call('POST', '/api/v1/namespaces/default/configmaps', {
      ...cm('dep3'),
      metadata: { name: 'dep3', ownerReferences: [{ ...ref, name: 'owner2', uid: owner2.metadata.uid }] },
    });
    await call('DELETE', '/api/v1/namespaces/default/configmaps/owner2?propagationPolicy=Orphan');
    const orphan = await call('GET', '/api/v1/namespaces/default/configmaps/dep3');
    expect(orphan.status).toBe(200);
    expect(orphan.json.metadata.ownerReferences).toEqual([]);
  });

  it('checks delete preconditions', async () => {
    await call('POST', '/api/v1/namespaces/default/configmaps', cm('pre'));
    const r = await call('DELETE', '/api/v1/namespaces/default/configmaps/pre', {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      preconditions: { uid: 'not-it' },
    });
    expect(r.json).toMatchObject({ code: 409, reason: 'Conflict' });
  });

  it('deletes a namespace with its content, refusing new content while it terminates', async () => {
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'doomed' } });
    await call('POST', '/api/v1/namespaces/doomed/configmaps', cm('inside'));
    const del = await call('DELETE', '/api/v1/namespaces/doomed');
    expect(del.json.status.phase).toBe('Terminating');
    expect((await call('POST', '/api/v1/namespaces/doomed/configmaps', cm('late'))).status).toBe(403);
    await eventually(
      'the namespace to go',
      async () => (await call('GET', '/api/v1/namespaces/doomed')).status === 404,
    );
    expect((await call('GET', '/api/v1/namespaces/doomed/configmaps/inside')).status).toBe(404);
  });
});

describe('custom resources', () => {
  const crd = {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'widgets.example.com' },
    spec: {
      group: 'example.com',
      scope: 'Namespaced',
      names: { plural: 'widgets', singular: 'widget', kind: 'Widget', shortNames: ['wd'] },
      versions: [
        {
          name: 'v1',
          served: true,
          storage: true,
          subresources: { status: {}, scale: { specReplicasPath: '.spec.size', statusReplicasPath: '.status.size' } },
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                spec: {
                  type: 'object',
                  required: ['size'],
                  properties: {
                    size: { type: 'integer', minimum: 0, maximum: 10 },
                    color: { type: 'string', enum: ['red', 'blue'], default: 'red' },
                    extra: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
                    tags: { type: 'array', items: { type: 'string' }, 'x-kubernetes-list-type': 'set' },
                  },
                },
                status: { type: 'object', properties: { size: { type: 'integer' } } },
              },
            },
          },
        },
      ],
    },
  };

  it('serves a CRD: discovery, defaults, pruning or rejecting unknown fields, list-type checks, scale', async () => {
    expect((await call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd)).status).toBe(201);
    const discovery = await call('GET', '/apis/example.com/v1');
    expect(discovery.json.resources.map((r: any) => r.name)).toEqual(['widgets', 'widgets/status', 'widgets/scale']);
    const base = '/apis/example.com/v1/namespaces/default/widgets';
    const w = await call('POST', base, {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w' },
      spec: { size: 2, extra: { any: { thing: 1 } } },
    });
    expect(w.json.spec).toEqual({ size: 2, color: 'red', extra: { any: { thing: 1 } } });
    const strict = await call('POST', base, { metadata: { name: 'u' }, spec: { size: 1, unknown: true } });
    expect(strict.json).toMatchObject({ code: 400, message: expect.stringMatching(/unknown field "spec.unknown"/) });
    const warned = await call('POST', `${base}?fieldValidation=Warn`, {
      metadata: { name: 'u' },
      spec: { size: 1, unknown: true },
    });
    expect(warned.status).toBe(201);
    expect(warned.headers.get('warning')).toMatch(/unknown field \\"spec.unknown\\"/);
    expect(warned.json.spec.unknown).toBeUndefined();
    const invalid = await call('POST', base, {
      metadata: { name: 'bad' },
      spec: { size: 11, color: 'green', tags: ['a', 'a'] },
    });
    expect(invalid.json.details.causes.map((c: any) => `${c.field}: ${c.reason}`)).toEqual([
      'spec.size: FieldValueInvalid',
      'spec.color: FieldValueNotSupported',
      'spec.tags[1]: FieldValueDuplicate',
    ]);
    const scale = await call('PATCH', `${base}/w/scale`, { spec: { replicas: 5 } }, 'application/merge-patch+json');
    expect(scale.json).toMatchObject({ kind: 'Scale', apiVersion: 'autoscaling/v1', spec: { replicas: 5 } });
    expect((await call('GET', `${base}/w`)).json.spec.size).toBe(5);
    expect((await call('PATCH', `${base}/w`, { spec: {} }, 'application/strategic-merge-patch+json')).status).toBe(415);
  });

  it('stops serving a CRD when it is deleted, and tells watchers its objects are gone', async () => {
    expect(
      (await call('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/widgets.example.com')).status,
    ).toBe(200);
    expect((await call('GET', '/apis/example.com/v1/namespaces/default/widgets')).status).toBe(404);
  });
});

describe('events', () => {
  it('serves one Event through core/v1 and events.k8s.io/v1', async () => {
    const regarding = { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: 'podinfo', namespace: 'default' };
    const created = await call('POST', '/apis/events.k8s.io/v1/namespaces/default/events', {
      metadata: { name: 'podinfo.1' },
      eventTime: '2026-11-26T09:00:00.000000Z',
      reportingController: 'sluice.dev/controller',
      reportingInstance: 'sluice-0',
      action: 'Promote',
      reason: 'Promoted',
      type: 'Normal',
      note: 'canary promoted',
      regarding,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'canary promoted', regarding });
    const core = await call('GET', '/api/v1/namespaces/default/events/podinfo.1');
    expect(core.json).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      message: 'canary promoted',
      involvedObject: regarding,
      reportingComponent: 'sluice.dev/controller',
      reason: 'Promoted',
    });
    expect(core.json.note).toBeUndefined();
    const selected = await call('GET', '/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Dpodinfo');
    expect(selected.json.items).toHaveLength(1);
    await call(
      'PATCH',
      '/apis/events.k8s.io/v1/namespaces/default/events/podinfo.1',
      { note: 'promoted again' },
      'application/merge-patch+json',
    );
    expect((await call('GET', '/api/v1/namespaces/default/events/podinfo.1')).json.message).toBe('promoted again');
  });
});

describe('sandbox endpoints', () => {
  it('exposes the audit log and fault injection over HTTP', async () => {
    const audit = await call('GET', '/sandbox/v1/audit?after=0');
    expect(audit.json.items.length).toBeGreaterThan(10);
    expect(audit.json.items[0]).toMatchObject({
      seq: 1,
      verb: expect.any(String),
      path: expect.any(String),
      code: expect.any(Number),
    });
    expect((await call('PUT', '/sandbox/v1/faults', { errorRate: 1 })).json.errorRate).toBe(1);
    expect((await call('GET', '/api/v1/namespaces')).status).toBe(500);
    expect((await call('PUT', '/sandbox/v1/faults', { errorRate: 0, throttleRate: 1 })).json.throttleRate).toBe(1);
    const throttled = await call('GET', '/api/v1/namespaces');
    expect(throttled.status).toBe(429);
    expect(throttled.headers.get('retry-after')).toBe('1');
    await call('PUT', '/sandbox/v1/faults', { throttleRate: 0 });
    expect((await call('PUT', '/sandbox/v1/faults', { bogus: 1 })).status).toBe(400);
    expect((await call('GET', '/api/v1/namespaces')).status).toBe(200);
  });
});
