import { readFileSync } from 'node:fs';
import jsonPatch from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Rollout } from '../../src/api/schema/rollout.js';
import { driftedServices, primaryDeployment, primaryStrategy, services } from '../../src/controller/generated.js';
import { StaleWrite } from '../../src/kube/client.js';
import { ApiException } from '@kubernetes/client-node';
import { IstioRouter } from '../../src/traffic/istio/router.js';
import {
  adoptionProblems,
  canaryWeight,
  convergedDestinationRules,
  convergedVirtualService,
  destinationRules,
  istioDuration,
  virtualService,
  weightPatch,
} from '../../src/traffic/istio/virtual-service.js';
import { revisionOf } from '../../src/rollout/revision.js';
import type { VirtualService } from '../../src/traffic/istio/types.js';

const load = (path: string): any => parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));
const rollout = (): Rollout => ({
  ...load('examples/podinfo/rollout.yaml'),
  metadata: { name: 'podinfo', namespace: 'demo', uid: 'uid-1' },
});

describe('generated Istio routing', () => {
  it('splits in one route when there is no match, with conservative defaults', () => {
    const r = rollout();
    delete r.spec.service.retries;
    const vs = virtualService(r, 10);
    expect(vs.spec).toEqual({
      hosts: ['podinfo'],
      http: [
        {
          name: 'primary',
          route: [
            { destination: { host: 'podinfo-primary', port: { number: 9898 } }, weight: 90 },
            { destination: { host: 'podinfo-canary', port: { number: 9898 } }, weight: 10 },
          ],
          retries: {
            attempts: 3,
            retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
          },
          timeout: '15s',
        },
      ],
    });
    expect(vs.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'Rollout',
      name: 'podinfo',
      uid: 'uid-1',
      controller: true,
    });
    expect(canaryWeight(r, vs)).toBe(10);
  });

  it('puts matching requests on the split first and sends the rest to the primary', () => {
    const r = rollout();
    r.spec.service.match = [{ headers: { 'x-canary': { exact: 'yes' } } }];
    r.spec.service.gateways = ['istio-system/public', 'mesh'];
    r.spec.service.hosts = ['app.example.com'];
    const vs = virtualService(r, 25);
    expect(vs.spec.hosts).toEqual(['app.example.com']);
    expect(vs.spec.gateways).toEqual(['istio-system/public', 'mesh']);
    expect(vs.spec.http?.map((h: any) => [h.name, h.match, h.route.map((d: any) => d.weight)])).toEqual([
      ['canary', [{ headers: { 'x-canary': { exact: 'yes' } } }], [75, 25]],
      ['primary', undefined, [100]],
    ]);
    expect(vs.spec.http?.[0]?.retries).toEqual({
      attempts: 3,
      perTryTimeout: '5s',
      retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
    });
    expect(canaryWeight(r, vs)).toBe(25);
  });

  it('writes DestinationRules with the traffic policy', () => {
    const r = rollout();
    r.spec.service.trafficPolicy = { tls: { mode: 'ISTIO_MUTUAL' } };
    expect(destinationRules(r).map((d) => [d.metadata.name, d.spec])).toEqual([
      ['podinfo-primary', { host: 'podinfo-primary', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }],
      ['podinfo-canary', { host: 'podinfo-canary', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }],
    ]);
  });

  it.each([
    ['15s', '15s'],
    ['1m30s', '90s'],
    ['250ms', '0.25s'],
  ])('Istio duration of %s is %s', (go, istio) => expect(istioDuration(go)).toBe(istio));

  it('edits only the weights of the adopted routes, leaving everything else as it was', () => {
    const r = rollout();
    r.spec.virtualServiceRef = { name: 'shop', routes: ['podinfo-split'] };
    const adopted: VirtualService = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'shop', namespace: 'demo', annotations: { owner: 'team-a' } },
      spec: {
        hosts: ['shop.example.com'],
        gateways: ['istio-system/public'],
        http: [
          { name: 'static', match: [{ uri: { prefix: '/static' } }], route: [{ destination: { host: 'cdn' } }] },
          {
            name: 'podinfo-split',
            retries: { attempts: 1 },
            route: [
              { destination: { host: 'podinfo-primary.demo.svc.cluster.local' }, weight: 100 },
              { destination: { host: 'podinfo-canary.demo.svc.cluster.local' }, weight: 0 },
            ],
          },
        ],
      },
    };
    const ops = weightPatch(r, adopted, 30);
    const patched = jsonPatch.applyPatch(structuredClone(adopted), ops as jsonPatch.Operation[]).newDocument;
    expect(canaryWeight(r, patched)).toBe(30);
    const restored: any = structuredClone(patched);
    restored.spec.http[1].route[0].weight = 100;
    restored.spec.http[1].route[1].weight = 0;
    expect(restored).toEqual(adopted);
  });
});

describe('generated workloads', () => {
  const target = load('examples/podinfo/deployment.yaml');
  target.metadata.labels['app.kubernetes.io/instance'] = 'argo-app';

  it('copies the target template into <target>-primary with its selector rewritten', () => {
    const rev = revisionOf(target.spec.template);
    const d: any = primaryDeployment(rollout(), target, rev, 3);
    expect(d.metadata).toMatchObject({
      name: 'podinfo-primary',
      namespace: 'demo',
      annotations: { 'sluice.dev/revision': rev, 'argocd.argoproj.io/compare-options': 'IgnoreExtraneous' },
    });
    expect(d.metadata.labels).toEqual({ app: 'podinfo', 'app.kubernetes.io/managed-by': 'sluice' });
    expect(d.spec.replicas).toBe(3);
    expect(d.spec.selector).toEqual({ matchLabels: { app: 'podinfo-primary' } });
    // only the selector labels get the suffix: app.kubernetes.io/name stays, so the example Service selects both
    expect(d.spec.template.metadata.labels).toEqual({ app: 'podinfo-primary', 'app.kubernetes.io/name': 'podinfo' });
    expect(d.spec.template.spec).toEqual(target.spec.template.spec);
    expect(d.spec.template.metadata.annotations).toEqual({
      ...target.spec.template.metadata.annotations,
      'sluice.dev/revision': rev,
    });
  });

  it('creates <service>-primary and <service>-canary selecting each side', () => {
    const [primary, canary]: any[] = services(rollout(), target);
    expect(primary.metadata.name).toBe('podinfo-primary');
    expect(primary.spec.selector).toEqual({ app: 'podinfo-primary' });
    expect(canary.metadata.name).toBe('podinfo-canary');
    expect(canary.spec.selector).toEqual({ app: 'podinfo' });
    expect(canary.spec.ports).toEqual([{ name: 'http', port: 9898, targetPort: 9898, protocol: 'TCP' }]);
  });

  it('gives equal templates the same revision whatever their key order, and a changed one another', () => {
    const a = { metadata: { labels: { app: 'x' } }, spec: { containers: [{ name: 'c', image: 'i:1' }] } };
    const b = { spec: { containers: [{ image: 'i:1', name: 'c' }] }, metadata: { labels: { app: 'x' } } };
    expect(revisionOf(a)).toBe(revisionOf(b));
    expect(revisionOf(a)).not.toBe(revisionOf({ ...a, spec: { containers: [{ name: 'c', image: 'i:2' }] } }));
    expect(revisionOf(a, { 'configmap/settings': 'h1' })).not.toBe(revisionOf(a, { 'configmap/settings': 'h2' }));
  });
});

describe('what Sluice routes with', () => {
  const split = (canary: boolean): VirtualService => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'podinfo', namespace: 'demo' },
    spec: {
      hosts: ['podinfo'],
      http: [
        {
          name: 'main',
          route: canary
            ? [
                { destination: { host: 'podinfo-primary' }, weight: 80 },
                { destination: { host: 'podinfo-canary' }, weight: 20 },
              ]
            : [{ destination: { host: 'podinfo' }, weight: 100 }],
        },
      ],
    },
  });

  it('knows no canary weight for routes that do not send to the canary (unknown, not 0)', () => {
    expect(canaryWeight(rollout(), split(false))).toBeUndefined();
    expect(canaryWeight(rollout(), split(true))).toBe(20);
  });

  it('says what keeps an adopted VirtualService from being routed with', () => {
    const r = rollout();
    r.spec.virtualServiceRef = { name: 'podinfo', routes: ['main', 'gone'] };
    expect(adoptionProblems(r, split(true))).toEqual(['has no route named gone']);
    r.spec.virtualServiceRef = { name: 'podinfo', routes: ['main'] };
    expect(adoptionProblems(r, split(true))).toEqual([]);
    expect(adoptionProblems(r, split(false))).toEqual([
      'route main does not send to both podinfo-primary and podinfo-canary',
    ]);
  });
});

describe('converging the generated routing to spec.service', () => {
  it('finds a changed setting and keeps the weights', () => {
    const r = rollout();
    const vs = JSON.parse(JSON.stringify(virtualService(r, 20))) as VirtualService;
    expect(convergedVirtualService(r, vs)).toBeUndefined();
    r.spec.service.timeout = '300s';
    r.spec.service.retries = { attempts: 0 };
    const want = convergedVirtualService(r, vs)!;
    expect(want.spec.http?.[0]).toMatchObject({ timeout: '300s', retries: { attempts: 0 } });
    expect(canaryWeight(r, want)).toBe(20);
    const adopted = { ...r, spec: { ...r.spec, virtualServiceRef: { name: 'podinfo', routes: ['primary'] } } };
    expect(convergedVirtualService(adopted, vs)).toBeUndefined();
  });

  it('finds DestinationRules whose traffic policy changed', () => {
    const r = rollout();
    const current = new Map(destinationRules(r).map((d) => [d.metadata.name, JSON.parse(JSON.stringify(d))]));
    expect(convergedDestinationRules(r, (n) => current.get(n))).toEqual([]);
    r.spec.service.trafficPolicy = { connectionPool: { http: { http2MaxRequests: 100 } } };
    expect(convergedDestinationRules(r, (n) => current.get(n)).map((d) => d.metadata.name)).toEqual([
      'podinfo-primary',
      'podinfo-canary',
    ]);
  });
});

describe('converging the generated Services, and never in a loop', () => {
  const target = (): any => load('examples/podinfo/deployment.yaml');

  it('tolerates what the API server adds, and sees a changed port or selector', () => {
    const r = rollout();
    // as the API server keeps them: defaults added, keys in another order
    const stored = new Map(
      services(r, target()).map((s) => {
        const copy: any = JSON.parse(JSON.stringify(s));
        copy.spec.clusterIP = '10.0.0.7';
        copy.spec.sessionAffinity = 'None';
        copy.spec.ports = copy.spec.ports.map((p: any) => ({ protocol: p.protocol, targetPort: p.targetPort, ...p }));
        copy.spec.selector = Object.fromEntries(Object.entries(copy.spec.selector).reverse());
        return [s.metadata!.name!, copy];
      }),
    );
    expect(driftedServices(r, target(), (n) => stored.get(n))).toEqual([]);
    r.spec.service.port = 8080;
    expect(driftedServices(r, target(), (n) => stored.get(n)).map((s) => s.metadata?.name)).toEqual([
      'podinfo-primary',
      'podinfo-canary',
    ]);
    const r2 = rollout();
    stored.get('podinfo-canary').spec.selector.extra = 'x';
    expect(driftedServices(r2, target(), (n) => stored.get(n)).map((s) => s.metadata?.name)).toEqual([
      'podinfo-canary',
    ]);
    // a Service someone else made is never Sluice's to converge
    stored.get('podinfo-canary').metadata.labels = {};
    expect(driftedServices(r2, target(), (n) => stored.get(n))).toEqual([]);
  });

  it('writes a drifted VirtualService once, even when the API server keeps it otherwise', async () => {
    const r = rollout();
    const vs: any = JSON.parse(JSON.stringify(virtualService(r, 30)));
    vs.metadata.resourceVersion = '5';
    r.spec.service.timeout = '300s';
    const patches: any[] = [];
    const kube: any = {
      custom: {
        // an API server that answers the patch but keeps the object as it was (a pruning webhook, say)
        patchNamespacedCustomObject: (req: any) => {
          patches.push(req.body);
          return Promise.resolve({ ...vs, metadata: { ...vs.metadata, resourceVersion: '6' } });
        },
      },
    };
    const caches = { virtualService: () => vs, destinationRule: () => undefined };
    const memory = new Map();
    const router = new IstioRouter(kube, caches, memory);
    expect(router.drift(r)).toEqual(['VirtualService/podinfo']);
    await router.converge(r);
    expect(patches).toHaveLength(1);
    expect(patches[0].metadata.resourceVersion).toBe('5');
    expect(patches[0].spec.http[0]).toMatchObject({ timeout: '300s' });
    expect(patches[0].spec.http[0].route.map((d: any) => d.weight)).toEqual([70, 30]);
    // the cache shows what the server kept: still "drifted", but written already at this version
    vs.metadata.resourceVersion = '6';
    expect(new IstioRouter(kube, caches, memory).drift(r)).toEqual([]);
    // someone else changes it: converged again
    vs.metadata.resourceVersion = '7';
    expect(router.drift(r)).toEqual(['VirtualService/podinfo']);
  });
});

describe('setting a weight', () => {
  it('writes nothing when the VirtualService already has it (a step written by a pass that died before recording it)', async () => {
    const r = rollout();
    const vs: any = JSON.parse(JSON.stringify(virtualService(r, 20)));
    const patches: unknown[] = [];
    const kube: any = {
      custom: {
        patchNamespacedCustomObject: (req: unknown) => {
          patches.push(req);
          return Promise.resolve(vs);
        },
      },
    };
    const router = new IstioRouter(kube, { virtualService: () => vs, destinationRule: () => undefined });
    expect(await router.setWeight(r, 20)).toEqual([]);
    expect(patches).toEqual([]);
    expect(await router.setWeight(r, 50)).toHaveLength(1);
    expect(patches).toHaveLength(1);
  });
});

describe('a weight written from a stale view', () => {
  it('is refused by the test on the weight it was planned on, and becomes a StaleWrite (plan again)', async () => {
    const r = rollout();
    const seen: any = JSON.parse(JSON.stringify(virtualService(r, 0)));
    // someone else (another replica) moved it to 20 after this view was read
    const stored: any = JSON.parse(JSON.stringify(virtualService(r, 20)));
    const kube: any = {
      custom: {
        patchNamespacedCustomObject: (req: { body: jsonPatch.Operation[] }) => {
          try {
            jsonPatch.applyPatch(structuredClone(stored), req.body, true);
          } catch {
            return Promise.reject(new ApiException(422, 'test failed', {}, {}));
          }
          return Promise.resolve(stored);
        },
      },
    };
    const router = new IstioRouter(kube, { virtualService: () => seen, destinationRule: () => undefined });
    await expect(router.setWeight(r, 20)).rejects.toBeInstanceOf(StaleWrite);
    const ops = weightPatch(r, seen, 20);
    expect(ops.filter((o) => o.op === 'test' && o.path.endsWith('/weight')).map((o) => o.value)).toEqual([100, 0]);
  });
});

describe("the primary's rollout strategy", () => {
  it('never goes below its replicas (maxUnavailable 0), surging as the target allows, and keeps Recreate', () => {
    expect(primaryStrategy(undefined)).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 },
    });
    expect(primaryStrategy({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: '50%' } })).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: 2, maxUnavailable: 0 },
    });
    expect(primaryStrategy({ rollingUpdate: { maxSurge: '0%', maxUnavailable: 1 } }).rollingUpdate?.maxSurge).toBe(
      '25%',
    );
    expect(primaryStrategy({ type: 'Recreate' })).toEqual({ type: 'Recreate' });
  });
});
