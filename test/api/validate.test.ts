import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { classify, validateAnalysisTemplate, validateRollout } from '../../src/api/validate-object.js';
import { formatPath, type Problem } from '../../src/api/problem.js';
import type { TemplateCatalog } from '../../src/api/semantics/references.js';
import type { AnalysisTemplate } from '../../src/api/schema/analysis-template.js';

const root = new URL('../../', import.meta.url);
type Obj = Record<string, any>;
const load = (path: string): Obj => parse(readFileSync(new URL(path, root), 'utf8')) as Obj;
const templates = ['istio-error-rate', 'istio-latency-p99', 'istio-request-rate'].map(
  (n) => load(`analysis-templates/${n}.yaml`) as AnalysisTemplate,
);
const catalog: TemplateCatalog = {
  find: (ref) => templates.find((t) => t.metadata.name === ref.name),
  missingHint: 'create it',
};
const show = (ps: Problem[]): string[] => ps.map((p) => `${p.severity} ${formatPath(p.path)}: ${p.message}`);

describe('valid Rollouts pass', () => {
  it.each<[string, (r: Obj) => void]>([
    ['the example as it is', () => undefined],
    [
      'Istio routing settings',
      (r) => {
        r.spec.service = {
          name: 'podinfo',
          port: 9898,
          targetPort: 'http',
          hosts: ['podinfo.example.com', '*.internal.example.com'],
          gateways: ['istio-system/public', 'mesh'],
          match: [{ headers: { 'x-canary': { exact: 'yes' } }, uri: { prefix: '/api' } }],
          retries: { attempts: 2, perTryTimeout: '2s', retryOn: '5xx' },
          timeout: '10s',
          headers: { request: { set: { 'x-sluice': 'on' }, remove: ['x-debug'] } },
          trafficPolicy: {
            connectionPool: { http: { http2MaxRequests: 100 } },
            outlierDetection: { consecutive5xxErrors: 5, interval: '30s' },
            tls: { mode: 'ISTIO_MUTUAL' },
            loadBalancer: { simple: 'LEAST_REQUEST' },
          },
        };
      },
    ],
    [
      'windows',
      (r) => {
        r.spec.schedule = {
          timeZone: 'Europe/Berlin',
          allow: [{ name: 'office-hours', cron: '0 9 * * 1-5', duration: '8h' }],
          deny: [
            { name: 'friday', cron: '0 0 16 * * 5', duration: '64h', timeZone: 'America/New_York' },
            { start: '2026-12-24T00:00:00Z', end: '2027-01-02T00:00:00+01:00' },
          ],
        };
      },
    ],
    ['a manual gate at the end', (r) => r.spec.strategy.canary.steps.push({ setWeight: 100 }, { pause: {} })],
    ['no background analysis', (r) => delete r.spec.strategy.canary.analysis],
  ])('%s', (_name, mutate) => {
    const r = load('examples/podinfo/rollout.yaml');
    mutate(r);
    expect(show(validateRollout(r, catalog))).toEqual([]);
  });

  it('warns when an adopted VirtualService makes service routing fields moot', () => {
    const r = load('examples/podinfo/rollout.yaml');
    r.spec.virtualServiceRef = { name: 'shop', routes: ['primary'] };
    expect(show(validateRollout(r, catalog))).toEqual([
      'warning spec.service.retries: is ignored with spec.virtualServiceRef: the adopted VirtualService keeps its own routing; only weights are edited',
    ]);
  });

  it('warns about an analysis step before any traffic', () => {
    const r = load('examples/podinfo/rollout.yaml');
    r.spec.strategy.canary.steps.unshift({ analysis: { templates: [{ name: 'istio-request-rate' }] } });
    expect(show(validateRollout(r, catalog))).toEqual([
      expect.stringMatching(/^warning spec\.strategy\.canary\.steps\[0\]\.analysis: runs before any setWeight/),
    ]);
  });

  it('skips reference checks without a catalog (schema and semantics still apply)', () => {
    const r = load('examples/podinfo/rollout.yaml');
    r.spec.strategy.canary.analysis.templates = [{ name: 'elsewhere' }];
    expect(validateRollout(r)).toEqual([]);
  });
});

describe('valid AnalysisTemplates pass', () => {
  it.each(templates.map((t) => [t.metadata.name, t] as const))('%s', (_name, t) => {
    expect(show(validateAnalysisTemplate(t))).toEqual([]);
  });

  it('a comparative template', () => {
    const t = {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'AnalysisTemplate',
      metadata: { name: 'vs-primary' },
      spec: {
        args: [{ name: 'ratio', value: '1.2' }],
        metrics: [
          {
            name: 'p99',
            query:
              'histogram_quantile(0.99, sum by (le) (rate(x_bucket{w="{{ args.workload }}"}[{{ args.interval }}])))',
            compare: { maxRatio: '{{ args.ratio }}' },
            failFast: { max: '5000' },
          },
        ],
      },
    };
    expect(show(validateAnalysisTemplate(t))).toEqual([]);
  });

  it('warns about an unused arg', () => {
    const t = load('analysis-templates/istio-request-rate.yaml');
    t.spec.args.push({ name: 'unused', value: '1' });
    expect(show(validateAnalysisTemplate(t))).toEqual([
      'warning spec.args[1].name: arg "unused" is declared but no query or threshold uses it',
    ]);
  });
});

describe('classify', () => {
  it.each<[unknown, string]>([
    [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout' }, 'sluice'],
    [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'AnalysisTemplate' }, 'sluice'],
    [{ apiVersion: 'apps/v1', kind: 'Deployment' }, 'foreign'],
    [{ apiVersion: 'v1', kind: 'Service' }, 'foreign'],
    [{ apiVersion: 'argoproj.io/v1alpha1', kind: 'Rollout' }, 'foreign'],
    [{ apiVersion: 'sluice.dev/v2', kind: 'Rollout' }, 'invalid'],
    [{ kind: 'Rollout' }, 'invalid'],
    [{ apiVersion: 7, kind: 'Rollout' }, 'invalid'],
    ['text', 'invalid'],
    [42, 'invalid'],
    [null, 'invalid'],
    [[], 'invalid'],
  ])('%j is %s', (obj, type) => expect(classify(obj).type).toBe(type));
});
