import { parser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { regexEscape, renderQuery, stringEscape } from '../../src/analysis/render.js';

const selectors = (q: string): string[] => {
  const out: string[] = [];
  parser.parse(q).iterate({
    enter: (n) => {
      if (n.name === 'VectorSelector') out.push(q.slice(n.from, n.to));
    },
  });
  return out;
};

describe('rendering args into queries', () => {
  const q =
    'sum(rate(http_requests_total{namespace="{{ args.namespace }}", route="{{ args.route }}"}[{{ args.interval }}]))';

  it('puts plain values in place', () => {
    expect(renderQuery(q, { namespace: 'shop', route: '/cart', interval: '30s' })).toEqual({
      ok: true,
      query: 'sum(rate(http_requests_total{namespace="shop", route="/cart"}[30s]))',
    });
  });

  it('cannot be made to change the query: an injection attempt stays inside its string', () => {
    const r = renderQuery(q, { namespace: 'shop', route: 'x"} or vector(1) #', interval: '30s' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.query).toBe('sum(rate(http_requests_total{namespace="shop", route="x\\"} or vector(1) #"}[30s]))');
    expect(selectors(r.query)).toHaveLength(1);
    expect(r.query).not.toMatch(/\bor vector\(1\)\s*$/);
    for (const attempt of ["x'} or vector(1)", 'a\\', 'a\\"} or vector(1) #', 'line\nbreak']) {
      const res = renderQuery(q, { namespace: 'shop', route: attempt, interval: '30s' });
      expect(res.ok && selectors(res.query).length === 1, attempt).toBe(true);
    }
  });

  it('refuses values it cannot make safe, naming the arg', () => {
    expect(renderQuery(q, { namespace: 'shop', route: 'a\u0000b', interval: '30s' })).toEqual({
      ok: false,
      error: expect.stringMatching(/arg "route" cannot be put in a string/),
    });
    expect(renderQuery(q, { namespace: 'shop', route: '/', interval: '1m] or vector(1)' })).toEqual({
      ok: false,
      error: expect.stringMatching(/arg "interval" is used outside a string .* must be a number or a duration/),
    });
    expect(renderQuery('sum(x{a=`{{ args.v }}`})', { v: 'a`b' })).toEqual({
      ok: false,
      error: expect.stringMatching(/raw \(backtick\) string/),
    });
    expect(renderQuery(q, { namespace: 'shop', interval: '30s' })).toEqual({
      ok: false,
      error: expect.stringMatching(/arg "route" has no value/),
    });
    expect(renderQuery('x > {{ args.limit }}', { limit: '0.5 or vector(1)' }).ok).toBe(false);
    expect(renderQuery('x > {{ args.limit }}', { limit: '1e-3' })).toEqual({ ok: true, query: 'x > 1e-3' });
  });

  it('escapes built-in names used in a regex matcher as regex too', () => {
    expect(renderQuery('up{pod=~"{{ args.workload }}-.*"}', { workload: 'web.v2' })).toEqual({
      ok: true,
      query: 'up{pod=~"web\\\\.v2-.*"}',
    });
    expect(regexEscape('a.b|c')).toBe('a\\.b\\|c');
    expect(stringEscape('say "hi"', "'")).toBe('say "hi"');
    expect(stringEscape("it's", "'")).toBe("it\\'s");
    expect(stringEscape('\ud800', '"')).toBeUndefined();
  });
});
