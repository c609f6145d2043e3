/**
 * Issue 23's acceptance run: a sandbox as harsh as a real cluster — routing changes reach the
 * proxies 3 s late, Prometheus scrapes every 15 s (Istio's own), 10 requests/s from clients
 * outside the mesh to every Service — and the shipped templates as they ship (interval 30 s,
 * count 3). A good release is promoted, a bad one rolled back, side by side, and no request fails
 * on routing: not in the mesh (UH/NR/UF), not from outside it (UH), counted by the mesh and again
 * through the real Prometheus.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseDuration } from '../../src/api/duration.js';
import { eventually, root } from '../sandbox/helpers.js';
import { routingFailuresInPrometheus } from '../support/failed-requests.js';
import { example, exampleApp, startControllerSandbox, type ControllerSandbox } from './harness.js';

const SCRAPE = '15s';
let h: ControllerSandbox;
const type = (group: string, resource: string): any => h.sb.server.api.registry.resource(group, resource);
const get = (group: string, resource: string, name: string): any =>
  h.sb.server.api.store.get(type(group, resource).storageKey, 'demo', name);
const status = (name: string): any => get('sluice.dev', 'rollouts', name)?.status ?? {};
const brief = (name: string): string => {
  const s = status(name);
  return JSON.stringify({
    phase: s.phase,
    reason: s.reason,
    message: s.message,
    metrics: s.metrics?.map((m: any) => [m.name, m.phase, m.measurements.at(-1)?.message]),
  });
};

function release(name: string, env: Record<string, string>): void {
  const d = structuredClone(get('apps', 'deployments', name));
  d.spec.template.spec.containers[0].env = Object.entries(env).map(([k, value]) => ({ name: k, value }));
  h.sb.server.api.update({ type: type('apps', 'deployments'), namespace: 'demo', name }, d);
}

/** Waits until Prometheus has scraped the mesh after `t` (ms), so that its counters include everything before `t`. */
async function scrapedAfter(t: number): Promise<void> {
  const prometheus = h.sb.prometheus!;
  await eventually(
    'a scrape after the moment',
    async () => {
      const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent('max(timestamp(up))')}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      return Number(body.data.result[0]?.value[1] ?? 0) * 1000 > t;
    },
    3 * (parseDuration(SCRAPE) ?? 15_000),
  );
}

beforeAll(async () => {
  h = await startControllerSandbox(
    (sb) => {
      const api = sb.server.api;
      api.create(api.registry.resource('', 'namespaces'), undefined, example('namespace.yaml'));
      for (const f of ['istio-error-rate.yaml', 'istio-latency-p99.yaml', 'istio-request-rate.yaml']) {
        const t = parse(readFileSync(`${root}/analysis-templates/${f}`, 'utf8'));
        t.metadata.namespace = 'demo';
        api.create(api.registry.resource('sluice.dev', 'analysistemplates'), 'demo', t);
      }
      for (const name of ['good', 'bad'])
        exampleApp(api, name, (r) => {
          // the example's checks, one step at 50%: its analysis (error rate, P99) and the background ones
          // longer than the 3 s propagation (the default is 30 s); the harness's 2 s would drop requests
          r.spec.strategy.canary.scaleDownDelay = '5s';
          r.spec.strategy.canary.steps = [
            { setWeight: 50 },
            { analysis: { templates: [{ name: 'istio-error-rate' }, { name: 'istio-latency-p99' }] } },
          ];
        });
    },
    {
      sandbox: { prometheus: true, rps: 100, propagationDelayMs: 3000, scrapeInterval: SCRAPE, outsideRps: 10 },
      controller: (sb) => ({ prometheusUrl: sb.prometheus }),
    },
  );
  await eventually('both Healthy', () => ['good', 'bad'].every((n) => status(n).phase === 'Healthy'), 60_000);
}, 120_000);
afterAll(async () => h.stop());

describe('a real-world mesh: 3 s config propagation, 15 s scrapes, clients outside the mesh', () => {
  it('promotes a good release and rolls back a bad one with the shipped templates, and no request fails on routing', async () => {
    await scrapedAfter(Date.now());
    const before = await routingFailuresInPrometheus(h.sb.prometheus!);
    release('good', { SANDBOX_ERROR_RATE: '0.001', RELEASE: '2' });
    release('bad', { SANDBOX_ERROR_RATE: '0.2', RELEASE: '2' });
    // both runs end (a run that pauses as inconclusive ends too, and fails the test below)
    const ended = (n: string) => () => {
      const s = status(n);
      return s.runStartedAt !== undefined && ['Healthy', 'RolledBack', 'Paused', 'Invalid'].includes(s.phase);
    };
    await eventually('both runs ended', () => ended('good')() && ended('bad')(), 240_000).catch((e: unknown) => {
      throw new Error(`${(e as Error).message}; good: ${brief('good')}; bad: ${brief('bad')}`);
    });
    expect(
      ['good', 'bad'].map((n) => `${status(n).phase}/${status(n).reason}`),
      `good: ${brief('good')}; bad: ${brief('bad')}`,
    ).toEqual(['Healthy/Promoted', 'RolledBack/AnalysisFailed']);
    // every check judged whole windows of four scrapes: the good release passed on real data...
    const good = status('good').metrics.filter((m: any) => m.name.startsWith('step[1]:'));
    expect(good.map((m: any) => [m.name, m.phase])).toEqual([
      ['step[1]:istio-error-rate/error-rate', 'Successful'],
      ['step[1]:istio-latency-p99/latency-p99', 'Successful'],
    ]);
    // ... and the bad one failed on its error rate, not for want of data
    const failed = status('bad').metrics.find((m: any) => m.phase === 'Failed');
    expect(failed?.name).toMatch(/istio-error-rate\/error-rate$/);
    // the canaries are scaled down only after the proxies have the new routes
    await eventually(
      'canaries scaled down',
      () => ['good', 'bad'].every((n) => get('apps', 'deployments', n).spec.replicas === 0),
      90_000,
    );
    const end = Date.now();
    await h.failedRequests.assertNone();
    await scrapedAfter(end);
    expect(await routingFailuresInPrometheus(h.sb.prometheus!)).toEqual(before);
  }, 330_000);
});
