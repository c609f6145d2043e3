/**
 * The whole sandbox: workloads, the mesh routed by live VirtualServices, and Istio metrics
 * queried with real PromQL from a real Prometheus.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually, root } from './helpers.js';

const exec = promisify(execFile);
let sb: Sandbox;
let started = 0;

async function kubectl(...args: string[]): Promise<string> {
  const { stdout } = await exec('kubectl', args, {
    env: { ...process.env, KUBECONFIG: sb.kubeconfig },
    timeout: 30_000,
  });
  return stdout;
}

function apply(yaml: string): void {
  const api = sb.server.api;
  for (const doc of yaml
    .split(/^---$/m)
    .map((d) => parse(d))
    .filter((d) => d !== null)) {
    const [group, version] = String(doc.apiVersion).includes('/')
      ? String(doc.apiVersion).split('/')
      : ['', doc.apiVersion];
    const type = api.registry.all().find((t) => t.group === group && t.version === version && t.kind === doc.kind)!;
    api.create(type, doc.metadata.namespace, doc);
  }
}

function workload(
  ns: string,
  name: string,
  labels: Record<string, string>,
  env: Record<string, string>,
  replicas = 2,
): string {
  const envList = Object.entries(env)
    .map(([k, v]) => `{ name: ${k}, value: "${v}" }`)
    .join(', ');
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${ns} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: ${JSON.stringify(labels)} }
  template:
    metadata: { labels: ${JSON.stringify(labels)} }
    spec: { containers: [ { name: app, image: ghcr.io/stefanprodan/podinfo:6.7.0, ports: [ { name: http, containerPort: 9898 } ], env: [ ${envList} ] } ] }
---
apiVersion: v1
kind: Service
metadata: { name: ${name}, namespace: ${ns} }
spec: { selector: ${JSON.stringify(labels)}, ports: [ { name: http, port: 9898, targetPort: http } ] }
`;
}

function virtualService(ns: string, name: string, http: unknown[]): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: ${name}, namespace: ${ns} }
spec: ${JSON.stringify({ hosts: [name], http })}
`;
}

function namespace(name: string): void {
  apply(`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${name} }\n`);
}

/** A template's query with its args filled in (inside string literals, or as the range). */
function templateQuery(file: string, args: Record<string, string>, field: 'query' | 'sample' = 'query'): string {
  const t = parse(readFileSync(join(root, 'analysis-templates', file), 'utf8'));
  const metric = t.spec.metrics[0];
  const q = field === 'query' ? metric.query : metric.sample.query;
  return (q as string).replace(/\{\{\s*args\.(\w+)\s*\}\}/g, (_m, name: string) => args[name] ?? '');
}

async function promql(query: string): Promise<number | undefined> {
  const res = await fetch(`${sb.prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { status: string; data: { result: { value: [number, string] }[] } };
  if (body.status !== 'success') throw new Error(`query failed: ${JSON.stringify(body)}`);
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

beforeAll(async () => {
  sb = await startSandbox({ rps: 20, readyDelayMs: 200, redisUrl: false });
  // examples/podinfo as shipped, with the pods' behaviour set through their env.
  apply(readFileSync(join(root, 'examples/podinfo/namespace.yaml'), 'utf8'));
  const deployment = parse(readFileSync(join(root, 'examples/podinfo/deployment.yaml'), 'utf8'));
  deployment.spec.template.spec.containers[0].env = Object.entries({
    SANDBOX_ERROR_RATE: '0.05',
    SANDBOX_LATENCY_MS: '100',
    SANDBOX_P99_MS: '400',
  }).map(([name, value]) => ({ name, value }));
  apply(stringify(deployment));
  apply(readFileSync(join(root, 'examples/podinfo/service.yaml'), 'utf8'));
  apply(virtualService('demo', 'podinfo', [{ route: [{ destination: { host: 'podinfo' } }] }]));
  namespace('split');
  apply(workload('split', 'web-primary', { app: 'web', track: 'primary' }, {}));
  apply(workload('split', 'web-canary', { app: 'web', track: 'canary' }, {}));
  apply(
    virtualService('split', 'web', [
      {
        name: 'canary-header',
        match: [{ headers: { 'x-canary': { exact: 'yes' } } }],
        route: [{ destination: { host: 'web-canary' } }],
      },
      {
        name: 'split',
        route: [
          { destination: { host: 'web-primary' }, weight: 80 },
          { destination: { host: 'web-canary' }, weight: 20 },
        ],
      },
    ]),
  );
  namespace('broken');
  apply(workload('broken', 'sick', { app: 'sick' }, { SANDBOX_NOT_READY: 'true' }));
  apply(virtualService('broken', 'sick', [{ route: [{ destination: { host: 'sick' } }] }]));
  started = Date.now();
}, 60_000);
afterAll(async () => sb.stop());

describe('the sandbox', () => {
  it('measures what the pod env says through the shipped templates: 5% errors, P99 400 ms', async () => {
    const args = { namespace: 'demo', workload: 'podinfo', interval: '30s', window: '30s' };
    await eventually('30 s of traffic', () => Date.now() - started > 32_000, 60_000);
    const errorRate = await eventually(
      'an error rate',
      () => promql(templateQuery('istio-error-rate.yaml', args)),
      20_000,
    );
    // 600 requests at 5%: one standard deviation is 0.9 pp; these bounds are 3.3 of them
    expect(errorRate).toBeGreaterThan(0.02);
    expect(errorRate).toBeLessThan(0.08);
    const p99 = await eventually('a P99', () => promql(templateQuery('istio-latency-p99.yaml', args)), 20_000);
    expect(p99).toBeGreaterThan(250); // Istio's buckets around 400 ms are 250 and 500
    expect(p99).toBeLessThanOrEqual(500);
    const requests = await promql(templateQuery('istio-error-rate.yaml', args, 'sample'));
    expect(requests).toBeGreaterThan(20 * 30 * 0.7); // 20 rps over the 30 s window
  }, 120_000);

  it('splits 80/20 by VirtualService weight, measured through Prometheus', async () => {
    await eventually('30 s of traffic', () => Date.now() - started > 32_000, 60_000);
    const q = (w: string): string =>
      `sum(increase(istio_requests_total{reporter="destination",destination_workload_namespace="split",destination_workload="${w}"}[30s]))`;
    const canary = await eventually('canary traffic', () => promql(q('web-canary')), 20_000);
    const primary = await eventually('primary traffic', () => promql(q('web-primary')), 20_000);
    expect(canary / (canary + primary)).toBeGreaterThan(0.15);
    expect(canary / (canary + primary)).toBeLessThan(0.25);
  }, 120_000);

  it('routes by header match, first match wins', () => {
    for (let i = 0; i < 50; i++)
      expect(sb.meshSimulator.send({ host: 'web', namespace: 'split', headers: { 'x-canary': 'yes' } }).workload).toBe(
        'web-canary',
      );
    const plain = Array.from(
      { length: 200 },
      () => sb.meshSimulator.send({ host: 'web', namespace: 'split' }).workload,
    );
    expect(plain.filter((w) => w === 'web-primary').length).toBeGreaterThan(120);
  });

  it('applies weights changed with kubectl within a second', async () => {
    await kubectl(
      'patch',
      'virtualservices.networking.istio.io',
      'web',
      '-n',
      'split',
      '--type',
      'json',
      '-p',
      JSON.stringify([
        { op: 'replace', path: '/spec/http/1/route/0/weight', value: 0 },
        { op: 'replace', path: '/spec/http/1/route/1/weight', value: 100 },
      ]),
    );
    await eventually(
      'all traffic on the canary',
      () =>
        Array.from({ length: 50 }, () => sb.meshSimulator.send({ host: 'web', namespace: 'split' }).workload).every(
          (w) => w === 'web-canary',
        ),
      1000,
    );
  });

  it('answers 503 UH when no endpoint is ready, as Envoy does', async () => {
    const answer = sb.meshSimulator.send({ host: 'sick', namespace: 'broken' });
    expect(answer).toMatchObject({ code: 503, flags: 'UH' });
    const uh = await eventually(
      'UH in Prometheus',
      () =>
        promql(
          'sum(istio_requests_total{reporter="source",destination_service_namespace="broken",response_code="503",response_flags="UH"})',
        ),
      20_000,
    );
    expect(uh).toBeGreaterThan(0);
  }, 60_000);

  it('keeps Deployment status and endpoints true', async () => {
    const d = JSON.parse(await kubectl('get', 'deployment', 'podinfo', '-n', 'demo', '-o', 'json'));
    expect(d.status).toMatchObject({
      replicas: 1,
      readyReplicas: 1,
      availableReplicas: 1,
      updatedReplicas: 1,
      observedGeneration: 1,
    });
    const sick = JSON.parse(await kubectl('get', 'endpoints', 'sick', '-n', 'broken', '-o', 'json'));
    expect(sick.subsets[0].notReadyAddresses).toHaveLength(2);
    expect(sick.subsets[0].addresses).toBeUndefined();
  });
});

describe('sandbox lifecycle', () => {
  it('`sluice sandbox up` stops every child on SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-up-'));
    const proc = spawn(process.execPath, [join(root, 'bin/sluice.js'), 'sandbox', 'up', '--dir', dir, '--rps', '1'], {
      stdio: 'ignore',
    });
    await eventually('sandbox.json', () => existsSync(join(dir, 'sandbox.json')), 60_000);
    const children = (await exec('ps', ['-o', 'pid=', '--ppid', String(proc.pid)])).stdout
      .trim()
      .split(/\s+/)
      .map(Number);
    expect(children.length).toBe(2);
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill('SIGTERM');
    await exited;
    for (const pid of children) expect(() => process.kill(pid, 0)).toThrow();
  }, 90_000);

  it('stops every process it started', async () => {
    const other = await startSandbox({ rps: 1 });
    const pids = other.pids();
    expect(pids.length).toBe(2); // prometheus and redis-server
    expect(JSON.parse(readFileSync(join(other.dir, 'sandbox.json'), 'utf8'))).toMatchObject({
      apiServer: other.apiServer,
      prometheus: other.prometheus,
      redis: other.redis,
      mesh: other.mesh,
      kubeconfig: other.kubeconfig,
    });
    await other.stop();
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow();
  }, 60_000);
});
