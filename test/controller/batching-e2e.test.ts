/**
 * 50 canaries on the same templates, with real Prometheus and no traffic at all (`--rps 0`):
 * every run pauses as Inconclusive (never rolled back for lack of data), and Prometheus receives
 * at most one query per template query per tick, however many canaries are measured in it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusProvider } from '../../src/analysis/prometheus.js';
import type { MetricProvider } from '../../src/analysis/provider.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from '../sandbox/helpers.js';
import { example, exampleApp, startControllerSandbox, testTemplate, type ControllerSandbox } from './harness.js';

const N = 50;
const names = Array.from({ length: N }, (_, i) => `app-${String(i).padStart(2, '0')}`);

/** The real provider, with a record of every query the controller sent. */
class CountingProvider implements MetricProvider {
  readonly sent: { query: string; at: number }[] = [];
  private readonly real = new PrometheusProvider();
  instant(...args: Parameters<MetricProvider['instant']>): ReturnType<MetricProvider['instant']> {
    this.sent.push({ query: args[1], at: args[2].getTime() });
    return this.real.instant(...args);
  }
}

let sb: Sandbox;
let harness: ControllerSandbox;
const provider = new CountingProvider();
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const rollouts = (): any[] =>
  names.map((n) => sb.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', n));
const seen = new Map<string, Set<string>>();
const record = (): void => {
  for (const r of rollouts()) {
    const set = seen.get(r.metadata.name) ?? new Set<string>();
    set.add(`${r.status?.phase}/${r.status?.reason}`);
    seen.set(r.metadata.name, set);
  }
};

/** Prometheus' own count of instant queries it answered. */
async function queriesServed(): Promise<number> {
  const text = await (await fetch(`${sb.prometheus!}/metrics`)).text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('prometheus_http_requests_total{') && l.includes('handler="/api/v1/query"'))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

beforeAll(async () => {
  harness = await startControllerSandbox(
    (s) => {
      sb = s;
      const api = s.server.api;
      api.create(type('', 'namespaces'), undefined, example('namespace.yaml'));
      for (const f of ['istio-error-rate.yaml', 'istio-latency-p99.yaml'])
        api.create(type('sluice.dev', 'analysistemplates'), 'demo', testTemplate(f));
      for (const name of names) {
        exampleApp(api, name, (r) => {
          r.spec.strategy.canary.steps = [
            { setWeight: 20 },
            { analysis: { templates: [{ name: 'istio-error-rate' }] } },
            { setWeight: 50 },
          ];
          r.spec.strategy.canary.analysis = {
            templates: [{ name: 'istio-error-rate' }, { name: 'istio-latency-p99' }],
          };
        });
      }
    },
    { sandbox: { prometheus: true, rps: 0 }, controller: (s) => ({ prometheusUrl: s.prometheus, provider }) },
  );
  await eventually('all Healthy', () => rollouts().every((r) => r.status?.phase === 'Healthy'), 60_000);
}, 120_000);
afterAll(async () => harness.stop());

describe(`${N} canaries without traffic`, () => {
  it('pause as Inconclusive, never rolled back, sharing one query per template query per tick', async () => {
    const servedBefore = await queriesServed();
    const deployments = type('apps', 'deployments');
    for (const name of names) {
      const ref = { type: deployments, namespace: 'demo', name };
      sb.server.api.patch(ref, 'strategic', {
        spec: {
          template: { spec: { containers: [{ name: 'podinfo', image: 'ghcr.io/stefanprodan/podinfo:6.7.1' }] } },
        },
      });
    }
    await eventually(
      'all paused as inconclusive',
      () => {
        record();
        return rollouts().every((r) => r.status?.phase === 'Paused' && r.status?.reason === 'AnalysisInconclusive');
      },
      90_000,
    );
    for (const [name, phases] of seen)
      expect(
        [...phases].filter((p) => p.startsWith('RolledBack')),
        name,
      ).toEqual([]);
    expect(rollouts()[0].status.message).toMatch(/only 0 requests in the window \(minimum 20\)/);

    // Per tick (evaluation time): how many canaries were measured, how many queries were sent.
    const measuredAt = new Map<string, number>();
    for (const r of rollouts())
      for (const m of r.status.metrics)
        for (const x of m.measurements)
          if (m.name === 'background:istio-error-rate/error-rate')
            measuredAt.set(x.startedAt, (measuredAt.get(x.startedAt) ?? 0) + 1);
    const busiest = Math.max(...measuredAt.values());
    expect(busiest, 'a tick where every canary was measured').toBe(N);
    const perTick = new Map<number, number>();
    for (const q of provider.sent) perTick.set(q.at, (perTick.get(q.at) ?? 0) + 1);
    // error-rate query, latency query, and one sample query that both templates share
    const templateQueries = 3;
    for (const [at, count] of perTick)
      expect(count, `queries at ${new Date(at).toISOString()}`).toBeLessThanOrEqual(templateQueries);
    // Prometheus saw exactly what the controller sent (no hidden per-canary queries).
    expect((await queriesServed()) - servedBefore).toBe(provider.sent.length);
    expect(provider.sent.length).toBeLessThanOrEqual(perTick.size * templateQueries);
  }, 150_000);
});
