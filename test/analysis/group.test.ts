import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { groupedQuery, groupingOf } from '../../src/analysis/group.js';
import { renderQuery } from '../../src/analysis/render.js';

const grouping = (query: string) =>
  groupingOf((namespace, workload) => {
    const r = renderQuery(query, { namespace, workload, interval: '1m', window: '1m' });
    return r.ok ? r.query : undefined;
  });
const shipped = (file: string): string[] => {
  const t = parse(readFileSync(new URL(`../../analysis-templates/${file}`, import.meta.url), 'utf8'));
  return t.spec.metrics.flatMap((m: any) => [m.query, m.sample?.query].filter(Boolean));
};
const NAMESPACES = ['shop', 'pay.v2', 'shop'];

describe('grouping queries for many canaries', () => {
  it('groups every query of the shipped templates', () => {
    for (const f of ['istio-error-rate.yaml', 'istio-latency-p99.yaml', 'istio-request-rate.yaml'])
      for (const q of shipped(f)) expect(grouping(q), `${f}: ${q}`).toBeDefined();
  });

  it('asks for every workload of the namespaces at once and keeps their labels through every aggregation', () => {
    const g = grouping(
      'histogram_quantile(0.99, sum by (le) (rate(lat_bucket{ns="{{ args.namespace }}", wl="{{ args.workload }}"}[{{ args.interval }}])))',
    )!;
    expect(g).toMatchObject({ namespaceLabel: 'ns', workloadLabel: 'wl' });
    expect(groupedQuery(g, NAMESPACES)).toBe(
      'histogram_quantile(0.99, sum by (le, ns, wl) (rate(lat_bucket{ns=~"pay\\\\.v2|shop", wl!=""}[1m])))',
    );
    const ratio = grouping(
      '(sum(rate(r{ns="{{ args.namespace }}", wl="{{ args.workload }}", code=~"5.."}[1m])) or sum(rate(r{ns="{{ args.namespace }}", wl="{{ args.workload }}"}[1m])) * 0) / on() sum(rate(r{ns="{{ args.namespace }}", wl="{{ args.workload }}"}[1m]))',
    )!;
    expect(groupedQuery(ratio, ['shop'])).toBe(
      '(sum by (ns, wl) (rate(r{ns=~"shop", wl!="", code=~"5.."}[1m])) or sum by (ns, wl) (rate(r{ns=~"shop", wl!=""}[1m])) * 0) / on(ns, wl) sum by (ns, wl) (rate(r{ns=~"shop", wl!=""}[1m]))',
    );
  });

  it('refuses what the rewrite would change the meaning of', () => {
    for (const q of [
      '(sum(rate(r{ns="{{ args.namespace }}", wl="{{ args.workload }}"}[1m])) or on() vector(0))',
      'sum without (pod) (rate(r{ns="{{ args.namespace }}", wl="{{ args.workload }}"}[1m]))',
      'sum(rate(r{ns="{{ args.namespace }}", wl="{{ args.workload }}"}[1m])) / sum(rate(r[1m]))',
      'sum(rate(r{wl="{{ args.workload }}"}[1m]))',
      'sum(rate(r{ns="{{ args.namespace }}", wl=~"{{ args.workload }}.*"}[1m]))',
      'scalar(sum(rate(r{ns="{{ args.namespace }}", wl="{{ args.workload }}"}[1m])))',
    ])
      expect(grouping(q), q).toBeUndefined();
  });
});
