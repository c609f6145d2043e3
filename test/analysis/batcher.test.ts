import { describe, expect, it } from 'vitest';
import { QueryBatcher } from '../../src/analysis/batcher.js';
import { groupingOf } from '../../src/analysis/group.js';
import type { MetricProvider, QueryAnswer } from '../../src/analysis/provider.js';
import { renderQuery } from '../../src/analysis/render.js';
import type { QuerySpec } from '../../src/analysis/resolve.js';

const TEMPLATE = 'sum(rate(r{ns="{{ args.namespace }}", wl="{{ args.workload }}"}[1m]))';
const spec = (namespace: string, workload: string): QuerySpec => {
  const render = (n: string, w: string): string => {
    const r = renderQuery(TEMPLATE, { namespace: n, workload: w });
    if (!r.ok) throw new Error(r.error);
    return r.query;
  };
  return { text: render(namespace, workload), namespace, workload, grouping: groupingOf(render)! };
};

/** A backend with one series per workload (value = name length), that counts and can fail. */
class Fake implements MetricProvider {
  readonly queries: string[] = [];
  down = false;
  async instant(_t: unknown, query: string): Promise<QueryAnswer> {
    this.queries.push(query);
    await new Promise((r) => setTimeout(r, 5));
    if (this.down) return { ok: false, error: 'network_error' };
    const workloads = ['cart', 'cart-primary', 'pay'];
    return { ok: true, series: workloads.map((w) => ({ labels: { ns: 'shop', wl: w }, value: w.length })) };
  }
}

const target = { address: 'http://prom', timeoutMs: 1000 };
const AT = new Date('2026-11-26T12:00:00Z');

describe('the query batcher', () => {
  it('answers every canary of a tick from one query, even those that come late', async () => {
    const fake = new Fake();
    const b = new QueryBatcher(fake, 5);
    const first = await Promise.all([
      b.value(target, spec('shop', 'cart'), AT),
      b.value(target, spec('shop', 'cart-primary'), AT),
    ]);
    expect(first).toEqual([
      { kind: 'value', value: 4 },
      { kind: 'value', value: 12 },
    ]);
    expect(await b.value(target, spec('shop', 'pay'), AT)).toEqual({ kind: 'value', value: 3 });
    expect(await b.value(target, spec('shop', 'gone'), AT)).toEqual({ kind: 'empty' });
    expect(fake.queries).toEqual(['sum by (ns, wl) (rate(r{ns=~"shop", wl!=""}[1m]))']);
    await b.value(target, spec('shop', 'cart'), new Date(AT.getTime() + 30_000));
    expect(fake.queries).toHaveLength(2);
  });

  it('asks, at the next tick, for every namespace the query served at the last one, in one query', async () => {
    const fake = new Fake();
    const b = new QueryBatcher(fake, 1);
    const next = new Date(AT.getTime() + 30_000);
    const later = new Date(AT.getTime() + 60_000);
    await b.value(target, spec('shop', 'cart'), AT);
    await b.value(target, spec('blog', 'web'), AT); // a later pass of the same tick: a second query
    expect(fake.queries).toEqual([
      'sum by (ns, wl) (rate(r{ns=~"shop", wl!=""}[1m]))',
      'sum by (ns, wl) (rate(r{ns=~"blog", wl!=""}[1m]))',
    ]);
    await b.value(target, spec('shop', 'cart'), next);
    await b.value(target, spec('blog', 'web'), next); // answered by the first query of the tick
    expect(fake.queries.slice(2)).toEqual(['sum by (ns, wl) (rate(r{ns=~"blog|shop", wl!=""}[1m]))']);
    await b.value(target, spec('shop', 'cart'), later);
    await b.value(target, spec('blog', 'web'), later);
    expect(fake.queries).toHaveLength(4);
    // a namespace without canaries any more is asked for once more, then no longer
    await b.value(target, spec('shop', 'cart'), new Date(AT.getTime() + 90_000));
    await b.value(target, spec('shop', 'cart'), new Date(AT.getTime() + 120_000));
    expect(fake.queries.slice(4)).toEqual([
      'sum by (ns, wl) (rate(r{ns=~"blog|shop", wl!=""}[1m]))',
      'sum by (ns, wl) (rate(r{ns=~"shop", wl!=""}[1m]))',
    ]);
  });

  it('shares a query in flight, and does not keep failures', async () => {
    const fake = new Fake();
    fake.down = true;
    const b = new QueryBatcher(fake, 1);
    const early = b.value(target, spec('shop', 'cart'), AT);
    await new Promise((r) => setTimeout(r, 3)); // the query is on its way
    const late = b.value(target, spec('shop', 'pay'), AT);
    expect(await Promise.all([early, late])).toEqual([
      { kind: 'error', message: 'network_error' },
      { kind: 'error', message: 'network_error' },
    ]);
    expect(fake.queries).toHaveLength(1);
    fake.down = false;
    expect(await b.value(target, spec('shop', 'cart'), AT)).toEqual({ kind: 'value', value: 4 });
    expect(fake.queries).toHaveLength(2);
  });

  it('sends an ungroupable query once per text and tick, and refuses several series', async () => {
    const fake = new Fake();
    const b = new QueryBatcher(fake, 1);
    const q: QuerySpec = { text: 'sum(rate(r[1m])) by (wl)', namespace: 'shop', workload: 'cart' };
    expect(await Promise.all([b.value(target, q, AT), b.value(target, q, AT)])).toEqual([
      {
        kind: 'error',
        message: 'the query returned 3 series; it must return one number (aggregate it, e.g. with sum)',
      },
      {
        kind: 'error',
        message: 'the query returned 3 series; it must return one number (aggregate it, e.g. with sum)',
      },
    ]);
    expect(fake.queries).toHaveLength(1);
  });
});
