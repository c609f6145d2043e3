import { describe, expect, it } from 'vitest';
import { scanPlaceholders, substitute } from '../../src/api/placeholders.js';
import { checkTemplatedQuery, promqlSyntaxErrors } from '../../src/api/promql.js';

describe('scanPlaceholders', () => {
  it('finds placeholders and whether they stand in a string literal', () => {
    const q =
      'sum(rate(x{ns="{{ args.namespace }}", w=\'{{args.workload}}\'}[{{ args.interval }}])) > {{ args.limit }}';
    const scan = scanPlaceholders(q);
    expect(scan.placeholders.map((p) => [p.name, p.quote])).toEqual([
      ['namespace', '"'],
      ['workload', "'"],
      ['interval', undefined],
      ['limit', undefined],
    ]);
    expect(scan.malformed).toEqual([]);
  });

  it('does not end a string at an escaped quote, and skips comments', () => {
    const scan = scanPlaceholders('x{a="\\"{{ args.a }}"} # {{ args.ignored }}\n+ {{ args.b }}');
    expect(scan.placeholders.map((p) => [p.name, p.quote])).toEqual([
      ['a', '"'],
      ['b', undefined],
    ]);
  });

  it('reports malformed placeholders', () => {
    expect(scanPlaceholders('up{a="{{ namespace }}"}').malformed.map((m) => m.text)).toEqual(['{{ namespace }}']);
    expect(scanPlaceholders('up{a="{{ args.bad-name }}"}').malformed).toHaveLength(1);
  });

  it('substitutes and maps offsets back to the original text', () => {
    const text = 'a{{ args.x }}b{{ args.y }}c';
    const sub = substitute(text, scanPlaceholders(text).placeholders, (p) =>
      p.name === 'x' ? 'XXXXXXXXXXXXXXXXXXXX' : '',
    );
    expect(sub.text).toBe('aXXXXXXXXXXXXXXXXXXXXbc');
    expect(sub.toOriginal(0)).toBe(0);
    expect(sub.toOriginal(5)).toBe(1);
    expect(text[sub.toOriginal(21)]).toBe('b');
    expect(text[sub.toOriginal(22)]).toBe('c');
  });
});

describe('PromQL syntax', () => {
  it.each([
    'up',
    'sum by (le) (rate(istio_request_duration_milliseconds_bucket{reporter="destination"}[1m]))',
    'histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))',
    '(sum(rate(a[1m])) or on() vector(0)) / sum(rate(b[1m]))',
    'rate(x[5m] offset 1h)',
  ])('accepts %s', (q) => expect(promqlSyntaxErrors(q)).toBeUndefined());

  it.each([
    ['sum(rate(x[5m])', /ends too early/],
    ['rate(x[5m]) +', /ends too early/],
    ['foo bar', /column 5/],
    ['sum(x) by', /ends too early|unexpected/],
    ['', /empty/],
  ])('rejects %j', (q, why) => expect(promqlSyntaxErrors(q)?.message).toMatch(why));

  it('checks templated queries with a value of the right kind in each position', () => {
    expect(
      checkTemplatedQuery('sum(rate(x{ns="{{ args.namespace }}"}[{{ args.interval }}])) > {{ args.limit }}', {
        limit: '0.5',
      }),
    ).toBeUndefined();
    expect(checkTemplatedQuery('rate(x[5m] offset {{ args.shift }})')).toBeUndefined();
    expect(checkTemplatedQuery('{{ args.metric }}')).toBeUndefined();
  });

  it('points at the error in the original query', () => {
    const q = 'sum(rate(x{ns="{{ args.namespace }}"}[{{ args.interval }}])) ) ';
    const err = checkTemplatedQuery(q);
    expect(err?.offset).toBe(q.lastIndexOf(')'));
    expect(err?.message).toMatch(/column \d+ near "\) "/);
  });
});
