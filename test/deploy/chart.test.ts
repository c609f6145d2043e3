/**
 * charts/sluice: values.schema.json accepts the default values and rejects wrong ones; the
 * chart renders (Helm's engine: test/support/helm.ts) the same kinds and names as deploy/, with
 * the same ClusterRole; its options render what they say; and kubectl applies its output to
 * the API emulator.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { root, startSandbox, type Sandbox } from '../sandbox/helpers.js';
import { helmTemplate } from '../support/helm.js';
import { find, kindsAndNames, kustomize, parseManifests, type Manifest } from './manifests.js';

const CHART = join(root, 'charts/sluice');
const defaults = parse(readFileSync(join(CHART, 'values.yaml'), 'utf8'));
const validate = new Ajv({ allErrors: true, strict: false }).compile(
  JSON.parse(readFileSync(join(CHART, 'values.schema.json'), 'utf8')),
);
const tmp = mkdtempSync(join(tmpdir(), 'sluice-chart-'));

function render(values: Record<string, unknown> = {}, includeCrds = false): Manifest[] {
  const file = join(tmp, `values-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(values));
  const r = helmTemplate(CHART, { valueFiles: [file], includeCrds, release: 'sluice', namespace: 'sluice-system' });
  if (!r.ok) throw new Error(r.error);
  return parseManifests(r.manifests);
}

/** The defaults with `path` set to `value`. */
function withValue(path: string, value: unknown): unknown {
  const v = structuredClone(defaults);
  const keys = path.split('.');
  let at = v;
  for (const k of keys.slice(0, -1)) at = at[k];
  at[keys.at(-1)!] = value;
  return v;
}

describe('values.schema.json', () => {
  it('accepts the default values', () => {
    expect(validate(defaults), JSON.stringify(validate.errors)).toBe(true);
  });

  it.each([
    ['replicaCount', 'two', 'must be integer'],
    ['replicaCount', 0, 'must be >= 1'],
    ['image.tag', 5, 'must be string'],
    ['image.pullPolicy', 'Sometimes', 'must be equal to one of the allowed values'],
    ['redis.bundled', 'yes', 'must be boolean'],
    ['redis.url', 'http://redis:6379', 'must match pattern'],
    ['prometheus.url', 'prometheus:9090', 'must match pattern'],
    ['webhook.port', 70000, 'must be <= 65535'],
    ['metrics.serviceMonitor.interval', 'often', 'must match pattern'],
    ['extraArgs', '--namespace shop', 'must be array'],
    ['extraArgs', [1], 'must be string'],
    ['resources.limits.memory', true, 'must be string,number'],
    ['logLevel', 'verbose', 'must be equal to one of the allowed values'],
    ['replicas', 2, 'must NOT have additional properties'],
  ])('rejects %s: %j (%s)', (path, value, message) => {
    expect(validate(withValue(path, value))).toBe(false);
    expect(validate.errors?.map((e) => e.message).join('; ')).toContain(message);
  });
});

describe('charts/sluice', () => {
  let sb: Sandbox;
  beforeAll(async () => {
    sb = await startSandbox();
  });
  afterAll(async () => sb.close());

  it('declares the same kinds and names as deploy/ (the namespace aside: helm install --create-namespace makes it)', () => {
    const chart = render({}, true);
    // the cluster templates are a second kustomization in deploy/ (its CRDs must exist first); the chart's crds/ come first
    expect(kindsAndNames(chart)).toEqual(
      [...kindsAndNames(kustomize('deploy/')), ...kindsAndNames(kustomize('deploy/cluster-analysis-templates/'))]
        .filter((n) => n !== 'Namespace/sluice-system')
        .sort(),
    );
    expect(kindsAndNames(render({ clusterAnalysisTemplates: { enabled: false } }))).not.toContain(
      'ClusterAnalysisTemplate/istio-error-rate',
    );
    for (const m of chart)
      if (
        !['CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'ClusterAnalysisTemplate'].includes(m.kind)
      )
        expect(m.metadata.namespace, `${m.kind}/${m.metadata.name}`).toBe('sluice-system');
  });

  it('grants the same ClusterRole rules as deploy/', () => {
    expect(find(render(), 'ClusterRole', 'sluice')['rules']).toEqual(
      find(kustomize('deploy/'), 'ClusterRole', 'sluice')['rules'],
    );
  });

  it('renders the controller as deploy/ does, its settings from values', () => {
    const pod = find(
      render({
        replicaCount: 3,
        extraArgs: ['--namespace', 'shop'],
        slack: { channel: '#deploys' },
        image: { tag: '9.9.9' },
      }),
      'Deployment',
      'sluice',
    )['spec'];
    expect(pod.replicas).toBe(3);
    const c = pod.template.spec.containers[0];
    expect(c.image).toBe('ghcr.io/sluice-dev/sluice:9.9.9');
    expect(c.args).toEqual(['--namespace', 'shop']);
    const env = Object.fromEntries(
      (c.env as { name: string; value?: string; valueFrom?: unknown }[]).map((e) => [e.name, e.value ?? e.valueFrom]),
    );
    expect(env).toMatchObject({
      SLUICE_REDIS_URL: 'redis://sluice-redis:6379/0',
      SLUICE_PROMETHEUS_URL: 'http://prometheus.istio-system:9090',
      SLUICE_SCRAPE_INTERVAL: '15s',
      SLUICE_SLACK_CHANNEL: '#deploys',
      SLUICE_GITHUB_TOKEN: { secretKeyRef: { name: 'sluice-github', key: 'token', optional: true } },
    });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(pod.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
  });

  it('renders the optional objects when asked: ServiceMonitor, webhook Ingress, dashboards ConfigMap; no Redis with an external one', () => {
    const all = render({
      metrics: { serviceMonitor: { enabled: true } },
      webhook: { ingress: { enabled: true, host: 'sluice.example.com', className: 'nginx' } },
      dashboards: { enabled: true },
      redis: { bundled: false, url: 'rediss://redis.internal:6380/0' },
    });
    expect(kindsAndNames(all)).toEqual(
      expect.arrayContaining(['ServiceMonitor/sluice', 'Ingress/sluice-webhook', 'ConfigMap/sluice-dashboards']),
    );
    expect(kindsAndNames(all).filter((n) => n.includes('redis'))).toEqual([]);
    const ingress = find(all, 'Ingress', 'sluice-webhook')['spec'];
    expect(ingress.rules[0]).toMatchObject({
      host: 'sluice.example.com',
      http: { paths: [{ path: '/webhooks/github', backend: { service: { name: 'sluice-webhook' } } }] },
    });
    const dashboard = JSON.parse(find(all, 'ConfigMap', 'sluice-dashboards')['data']['sluice.json']);
    expect(dashboard).toEqual(JSON.parse(readFileSync(join(CHART, 'dashboards/sluice.json'), 'utf8')));
    const env = find(all, 'Deployment', 'sluice')['spec'].template.spec.containers[0].env as {
      name: string;
      value?: string;
    }[];
    expect(env.find((e) => e.name === 'SLUICE_REDIS_URL')?.value).toBe('rediss://redis.internal:6380/0');
  });

  it('refuses several replicas without Redis, naming the value to set', () => {
    expect(() => render({ redis: { bundled: false } })).toThrow(
      /redis.url is required when redis.bundled is false and replicaCount > 1/,
    );
    expect(kindsAndNames(render({ redis: { bundled: false }, replicaCount: 1 }))).not.toContain(
      'Deployment/sluice-redis',
    );
  });

  it('applies to the API emulator with kubectl', async () => {
    const file = join(tmp, 'chart.yaml');
    // as helm install does: the CRDs of crds/ first (the templates hold ClusterAnalysisTemplates)
    const r = helmTemplate(CHART, { includeCrds: false, release: 'sluice', namespace: 'sluice-system' });
    if (!r.ok) throw new Error(r.error);
    writeFileSync(file, r.manifests);
    await sb.k('apply', '-f', join(CHART, 'crds'));
    // helm install --create-namespace
    writeFileSync(
      join(tmp, 'namespace.yaml'),
      stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'sluice-system' } }),
    );
    await sb.k('apply', '-f', join(tmp, 'namespace.yaml'));
    const out = await sb.k('apply', '-f', file);
    expect(out.trim().split('\n')).toHaveLength(parseManifests(r.manifests).length);
    expect(out).toMatch(/deployment.apps\/sluice created/);
  });
});
