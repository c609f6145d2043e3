/** Table tests for the pure parts of the mesh: Istio routing rules and pod latency profiles. */
import { describe, expect, it } from 'vitest';
import { fqdn, route, type MeshRequest } from '../../src/sandbox/mesh/router.js';
import { profileOf, sampleLatencyMs } from '../../src/sandbox/mesh/profile.js';

const vs = (name: string, namespace: string, spec: object, created = '2026-01-01T00:00:00Z'): any => ({
  metadata: { name, namespace, creationTimestamp: created },
  spec,
});
const req = (over: Partial<MeshRequest> = {}): MeshRequest => ({
  host: 'web',
  namespace: 'shop',
  gateway: 'mesh',
  uri: '/',
  method: 'GET',
  headers: {},
  ...over,
});
const always = (x: number) => () => x;

describe('fqdn', () => {
  it.each([
    ['web', 'shop', 'web.shop.svc.cluster.local'],
    ['web.other', 'shop', 'web.other.svc.cluster.local'],
    ['web.other.svc', 'shop', 'web.other.svc.cluster.local'],
    ['web.other.svc.cluster.local', 'shop', 'web.other.svc.cluster.local'],
    ['app.example.com', 'shop', 'app.example.com'],
  ])('%s in %s is %s', (host, ns, want) => expect(fqdn(host, ns)).toBe(want));
});

describe('route', () => {
  const split = vs('web', 'shop', {
    hosts: ['web'],
    http: [
      {
        name: 'api-v2',
        match: [{ uri: { prefix: '/v2' } }, { headers: { 'x-version': { exact: '2' } } }],
        route: [{ destination: { host: 'web-v2' } }],
      },
      {
        name: 'beta',
        match: [{ headers: { cookie: { regex: '.*beta=1.*' } }, method: { exact: 'GET' } }],
        route: [{ destination: { host: 'web-beta', subset: 'b' } }],
      },
      {
        name: 'split',
        route: [
          { destination: { host: 'web-primary' }, weight: 80 },
          { destination: { host: 'web-canary', port: { number: 9898 } }, weight: 20 },
        ],
        mirror: { host: 'web-shadow' },
        mirrorPercentage: { value: 10 },
      },
    ],
  });

  it.each<[string, Partial<MeshRequest>, number, string]>([
    ['any match block may hold (uri)', { uri: '/v2/items?x=1' }, 0, 'web-v2.shop.svc.cluster.local'],
    ['any match block may hold (header)', { headers: { 'x-version': '2' } }, 0, 'web-v2.shop.svc.cluster.local'],
    [
      'every condition of a block must hold',
      { headers: { cookie: 'a=b; beta=1' }, method: 'POST' },
      0.1,
      'web-primary.shop.svc.cluster.local',
    ],
    ['regex header match', { headers: { cookie: 'a=b; beta=1' } }, 0, 'web-beta.shop.svc.cluster.local'],
    ['weights: below 80% goes to the primary', {}, 0.79, 'web-primary.shop.svc.cluster.local'],
    ['weights: the rest goes to the canary', {}, 0.81, 'web-canary.shop.svc.cluster.local'],
    [
      'hosts match by fully qualified name',
      { host: 'web.shop.svc.cluster.local' },
      0.1,
      'web-primary.shop.svc.cluster.local',
    ],
  ])('%s', (_name, over, random, host) => {
    expect(route(req(over), [split], always(random))?.destination.host).toBe(host);
  });

  it('carries subsets, ports, mirrors and the route name', () => {
    expect(route(req({ headers: { cookie: 'beta=1' } }), [split], always(0))?.destination).toEqual({
      host: 'web-beta.shop.svc.cluster.local',
      subset: 'b',
    });
    const r = route(req(), [split], always(0.9));
    expect(r).toMatchObject({
      route: 'split',
      destination: { port: 9898 },
      mirror: { host: 'web-shadow.shop.svc.cluster.local' },
      mirrorPercent: 10,
    });
  });

  it('ignores VirtualServices for other hosts, other namespaces and other gateways', () => {
    const gatewayOnly = vs('public', 'shop', {
      hosts: ['web'],
      gateways: ['istio-system/public'],
      http: [{ route: [{ destination: { host: 'web-public' } }] }],
    });
    expect(route(req({ host: 'other' }), [split], always(0))).toBeUndefined();
    expect(route(req({ namespace: 'elsewhere' }), [split], always(0))).toBeUndefined();
    expect(route(req(), [gatewayOnly], always(0))).toBeUndefined();
    expect(route(req({ gateway: 'istio-system/public' }), [gatewayOnly], always(0))?.destination.host).toBe(
      'web-public.shop.svc.cluster.local',
    );
  });

  it('uses the oldest VirtualService when two claim a host, and no route when nothing matches', () => {
    const newer = vs(
      'newer',
      'shop',
      { hosts: ['web'], http: [{ route: [{ destination: { host: 'newer' } }] }] },
      '2026-06-01T00:00:00Z',
    );
    expect(route(req(), [newer, split], always(0.1))?.virtualService.name).toBe('web');
    const strict = vs('strict', 'shop', {
      hosts: ['web'],
      http: [{ match: [{ uri: { exact: '/only' } }], route: [{ destination: { host: 'x' } }] }],
    });
    expect(route(req(), [strict], always(0))).toBeUndefined();
  });
});

describe('latency profiles', () => {
  it('reads the env, with defaults', () => {
    expect(profileOf({})).toEqual({ errorRate: 0, medianMs: 20, p99Ms: 60 });
    expect(profileOf({ SANDBOX_ERROR_RATE: '0.2', SANDBOX_LATENCY_MS: '100', SANDBOX_P99_MS: '900' })).toEqual({
      errorRate: 0.2,
      medianMs: 100,
      p99Ms: 900,
    });
    expect(profileOf({ SANDBOX_ERROR_RATE: 'lots', SANDBOX_LATENCY_MS: '-5' })).toEqual({
      errorRate: 0,
      medianMs: 20,
      p99Ms: 60,
    });
  });

  it('samples a log-normal whose median and 99th percentile are the configured ones', () => {
    let seed = 42;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const p = profileOf({ SANDBOX_LATENCY_MS: '120', SANDBOX_P99_MS: '400' });
    const samples = Array.from({ length: 40_000 }, () => sampleLatencyMs(p, random)).sort((a, b) => a - b);
    expect(samples[20_000]).toBeGreaterThan(110);
    expect(samples[20_000]).toBeLessThan(130);
    expect(samples[39_600]).toBeGreaterThan(360);
    expect(samples[39_600]).toBeLessThan(440);
  });
});
