import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { promDuration, resolveAnalysis, windowMs } from '../../src/analysis/resolve.js';
import type { AnalysisTemplate } from '../../src/api/schema/analysis-template.js';
import type { Rollout } from '../../src/api/schema/rollout.js';

const root = new URL('../..', import.meta.url).pathname;
const load = (path: string): unknown => parse(readFileSync(`${root}/${path}`, 'utf8'));

function templates(patch: (t: AnalysisTemplate) => void = () => undefined) {
  const all = ['istio-error-rate', 'istio-latency-p99', 'istio-request-rate'].map((n) => {
    const t = load(`analysis-templates/${n}.yaml`) as AnalysisTemplate;
    patch(t);
    return t;
  });
  return { template: (_ns: string, ref: { name: string }) => all.find((t) => t.metadata.name === ref.name) };
}

const rollout = (): Rollout => load('examples/podinfo/rollout.yaml') as Rollout;

describe('the measurement window', () => {
  it('is the interval, widened to four scrapes', () => {
    expect(windowMs(30_000, 1_000)).toBe(30_000);
    expect(windowMs(30_000, 15_000)).toBe(60_000);
    expect(windowMs(30_000, 30_000)).toBe(120_000);
    expect(promDuration(60_000)).toBe('60s');
    expect(promDuration(1_500)).toBe('1500ms');
  });

  it("fills {{ args.window }} of the shipped templates from the controller's scrape interval, the Rollout's, then the template's", () => {
    const errorRate = (r: Rollout, scrapeIntervalMs: number, source = templates()) => {
      const { metrics, errors } = resolveAnalysis(r, source, { scrapeIntervalMs });
      expect(errors).toEqual([]);
      return metrics.find((m) => m.key === 'step[2]:istio-error-rate/error-rate')!;
    };
    const at15 = errorRate(rollout(), 15_000);
    expect(at15).toMatchObject({ intervalMs: 30_000, windowMs: 60_000 });
    const queries = at15.source.kind === 'query' ? at15.source.queries : undefined;
    expect(queries?.canary.text).toContain('[60s]');
    expect(queries?.canary.text).not.toContain('[30s]');
    expect(queries?.sample?.text).toContain('[60s]');
    // a fast-scraping Prometheus keeps the interval as the window
    expect(errorRate(rollout(), 1_000)).toMatchObject({ windowMs: 30_000 });
    // the Rollout says its Prometheus scrapes every 30 s
    const r = rollout();
    r.spec.prometheus = { scrapeInterval: '30s' };
    expect(errorRate(r, 1_000)).toMatchObject({ windowMs: 120_000 });
    // ... and the template's word wins over the Rollout's
    const fast = templates((t) => (t.spec.prometheus = { scrapeInterval: '5s' }));
    expect(errorRate(r, 1_000, fast)).toMatchObject({ windowMs: 30_000 });
  });
});
