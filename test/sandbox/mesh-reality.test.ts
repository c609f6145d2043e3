/**
 * The mesh as harsh as a real one: routing changes reach the proxies only after the propagation
 * delay, clients outside the mesh go straight to a Service's endpoints (ignoring VirtualServices),
 * routing failures carry Envoy's flags, and client headers are set on their share of requests.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServer } from '../../src/sandbox/apiserver/index.js';
import type { ResourceType } from '../../src/sandbox/apiserver/resource-type.js';
import { ISTIO_CRDS } from '../../src/sandbox/mesh/istio-crds.js';
import { MeshSimulator } from '../../src/sandbox/mesh/mesh.js';
import { WorkloadSimulator } from '../../src/sandbox/workloads/simulator.js';
import { ScaleDownGuard } from '../support/scale-down-guard.js';
import { eventually } from './helpers.js';

let s: ApiServer;
let sim: WorkloadSimulator;
const DELAY_MS = 600;
let mesh: MeshSimulator;
const T = (g: string, r: string): ResourceType => s.api.registry.resource(g, r);

function service(name: string, selector: Record<string, string>): void {
  s.api.create(T('', 'services'), 'ms', {
    metadata: { name },
    spec: { selector, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  });
}

function app(name: string, replicas: number): void {
  s.api.create(T('apps', 'deployments'), 'ms', {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: 'web:1', ports: [{ containerPort: 8080 }] }] },
      },
    },
  });
  service(name, { app: name });
}

const weights = (primary: number): unknown => [
  { destination: { host: 'web-primary' }, weight: primary },
  { destination: { host: 'web-canary' }, weight: 100 - primary },
];

beforeAll(async () => {
  s = await startApiServer();
  const crds = T('apiextensions.k8s.io', 'customresourcedefinitions');
  for (const crd of ISTIO_CRDS) s.api.create(crds, undefined, crd);
  sim = new WorkloadSimulator(s.api, { readyDelayMs: 50, tickMs: 100 });
  sim.start();
  mesh = new MeshSimulator(s.api, { propagationDelayMs: DELAY_MS });
  s.api.create(T('', 'namespaces'), undefined, { metadata: { name: 'ms' } });
  app('web-primary', 1);
  app('web-canary', 1);
  // the apex Service selects the canary's pods, as a user's Service selects the target's
  service('web', { app: 'web-canary' });
  await eventually('both workloads ready', () =>
    ['web-primary', 'web-canary'].every(
      (n) => (s.api.get(T('apps', 'deployments'), 'ms', n) as any).status?.readyReplicas === 1,
    ),
  );
  await eventually('the Services reach the proxies', () => mesh.proxies.pending === 0, 5000);
});
afterAll(async () => {
  await mesh.stop();
  sim.stop();
  await s.close();
});

const send = (headers: Record<string, string> = {}) => mesh.send({ host: 'web', namespace: 'ms', headers });

describe('propagation delay', () => {
  it('follows a new VirtualService, and a weight change, only after the delay', async () => {
    s.api.create(T('networking.istio.io', 'virtualservices'), 'ms', {
      metadata: { name: 'web' },
      spec: { hosts: ['web'], http: [{ name: 'primary', route: weights(100) }] },
    });
    // not known to the proxies yet: the request goes to the Service `web` itself (the canary's pods)
    expect(send().workload).toBe('web-canary');
    expect(mesh.proxies.pending).toBeGreaterThan(0);
    await eventually('the VirtualService reaches the proxies', () => mesh.proxies.pending === 0, 5000);
    expect(send().workload).toBe('web-primary');

    const vs = structuredClone(s.api.get(T('networking.istio.io', 'virtualservices'), 'ms', 'web')) as any;
    vs.spec.http[0].route = weights(0);
    s.api.update(
      { type: T('networking.istio.io', 'virtualservices'), namespace: 'ms', name: 'web', subresource: undefined },
      vs,
    );
    const changed = Date.now();
    expect(send().workload).toBe('web-primary');
    await eventually('the weight change reaches the proxies', () => send().workload === 'web-canary', 5000);
    expect(Date.now() - changed).toBeGreaterThanOrEqual(DELAY_MS - 50);
  });

  it('answers 503 UH while the proxies still route to a destination without ready endpoints', async () => {
    const guard = new ScaleDownGuard(s.api, mesh.proxies);
    const vs = structuredClone(s.api.get(T('networking.istio.io', 'virtualservices'), 'ms', 'web')) as any;
    vs.spec.http[0].route = weights(100);
    s.api.update(
      { type: T('networking.istio.io', 'virtualservices'), namespace: 'ms', name: 'web', subresource: undefined },
      vs,
    );
    // scaled down at once, as a controller that does not wait for the push would
    s.api.patch(
      { type: T('apps', 'deployments'), namespace: 'ms', name: 'web-canary', subresource: 'scale' as any },
      'merge',
      { spec: { replicas: 0 } },
      { dryRun: false, fieldValidation: 'Strict', force: false },
    );
    await eventually(
      'the canary has no endpoints',
      () => (s.api.get(T('', 'endpoints'), 'ms', 'web-canary') as any).subsets.length === 0,
    );
    expect(send()).toMatchObject({ code: 503, flags: 'UH' });
    // the harness's guard sees the hazard itself, request or not
    guard.stop();
    expect(guard.violations).toEqual([
      'ms/web-canary scaled to 0 while the proxies still routed to Service ms/web-canary',
    ]);
    expect(await mesh.metrics.text()).toMatch(/istio_requests_total\{[^}]*response_flags="UH"[^}]*\} [1-9]/);
    await eventually('the route change arrives', () => mesh.proxies.pending === 0, 5000);
    expect(send()).toMatchObject({ code: 200, workload: 'web-primary' });
  });

  it('answers 503 NR for a host that is no Service the proxies know', () => {
    expect(mesh.send({ host: 'nothing-here', namespace: 'ms' })).toMatchObject({ code: 503, flags: 'NR' });
  });
});

describe('clients outside the mesh', () => {
  it('reach a Service by its own selector, ignoring VirtualServices, and get UH without ready endpoints', async () => {
    // the VirtualService sends everything to the primary; the Service `web` selects the (scaled-down) canary
    expect(mesh.outside.send('ms', 'web')).toEqual({ code: 503, flags: 'UH' });
    expect(mesh.outside.send('ms', 'web-primary')).toEqual({ code: 200, flags: '-' });
    mesh.outside.tick(1, 5);
    const text = await mesh.metrics.text();
    expect(text).toMatch(
      /sandbox_outside_requests_total\{destination_service_namespace="ms",destination_service_name="web",response_code="503",response_flags="UH"\} 6/,
    );
  });
});

describe('client headers', () => {
  it('are set on their share of the load generator requests', () => {
    // 40 requests, half of them with the header: all with or all without is a 1 in 2^39 chance
    const m = new MeshSimulator(s.api, {
      rps: 200,
      clientHeaders: [{ name: 'X-Canary', value: 'yes', fraction: 0.5 }],
    });
    const seen: Record<string, string>[] = [];
    const original = m.send.bind(m);
    m.send = (r) => {
      seen.push({ ...(r.headers ?? {}) });
      return original(r);
    };
    m.tick(0.2);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.some((h) => h['x-canary'] === 'yes')).toBe(true);
    expect(seen.some((h) => h['x-canary'] === undefined)).toBe(true);
    void m.stop();
  });
});
