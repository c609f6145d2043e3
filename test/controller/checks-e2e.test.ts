/**
 * Checks beyond PromQL, end to end on the sandbox with real Prometheus and no organic traffic
 * (`rps: 0`, a quiet service): the shipped load-test Job metric makes the canary measurable and it
 * is promoted; a smoke Job that exits 1 rolls the canary back naming the metric (and the load Job
 * still running is deleted); a web metric against a local HTTP server passes or fails by the
 * JSON it returns, its bearer token read from a Secret and never shown; a ClusterAnalysisTemplate
 * serves a Rollout that names it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually, root } from '../sandbox/helpers.js';
import { example, startControllerSandbox, type ControllerSandbox } from './harness.js';

const TOKEN = 's3cr3t-t0ken-value';
let h: ControllerSandbox;
let sb: Sandbox;
let web: Server;
let verdict: unknown = { ok: true };
const calls: { auth: string | undefined; url: string }[] = [];

const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const status = (): any =>
  sb.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', 'podinfo')?.status ?? {};
const jobs = (): any[] => sb.server.api.store.list(type('batch', 'jobs').storageKey, 'demo') as any[];
const finished = (j: any): string | undefined =>
  j.status?.conditions?.find((c: any) => ['Complete', 'Failed'].includes(c.type) && c.status === 'True')?.type;

function template(file: string, patch: (t: any) => void = () => undefined): any {
  const t = parse(readFileSync(`${root}/analysis-templates/${file}`, 'utf8'));
  t.metadata.namespace = 'demo';
  patch(t);
  return t;
}

/** The env of a Job metric's container: how the sandbox runs its pods. */
function jobEnv(t: any, env: Record<string, string>): void {
  t.spec.metrics[0].job.spec.template.spec.containers[0].env = Object.entries(env).map(([name, value]) => ({
    name,
    value,
  }));
}

function smokeExits(code: number): void {
  const t = structuredClone(
    sb.server.api.store.get(type('sluice.dev', 'analysistemplates').storageKey, 'demo', 'smoke-test'),
  ) as any;
  jobEnv(t, { SANDBOX_RUN_SECONDS: '1', SANDBOX_EXIT_CODE: String(code) });
  t.spec.metrics[0].job.spec.backoffLimit = 0;
  sb.server.api.update({ type: type('sluice.dev', 'analysistemplates'), namespace: 'demo', name: 'smoke-test' }, t);
}

let image = 0;
function release(): void {
  image++;
  sb.server.api.patch({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, 'strategic', {
    spec: {
      template: { spec: { containers: [{ name: 'podinfo', image: `ghcr.io/stefanprodan/podinfo:6.8.${image}` }] } },
    },
  });
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  await eventually(what, check, timeoutMs).catch((e: unknown) => {
    const s = status();
    throw new Error(
      `${(e as Error).message}; the rollout is ${JSON.stringify({ phase: s.phase, reason: s.reason, message: s.message, metrics: s.metrics?.map((m: any) => [m.name, m.phase, m.measurements.at(-1)?.message]) })}`,
    );
  });
}

/** Releases, waits for the run to end, and expects `phase` (else says what the metrics measured). */
async function expectVerdict(phase: 'Healthy' | 'RolledBack'): Promise<void> {
  const revision = (): string | undefined => status().canaryRevision;
  const before = revision();
  release();
  await until('a new run', () => revision() !== before, 30_000);
  await until('a verdict', () => ['Healthy', 'RolledBack'].includes(status().phase), 120_000);
  const s = status();
  const measured = s.metrics?.map((m: any) => [m.name, m.phase, m.measurements.map((x: any) => x.message)]);
  expect(s.phase, `${s.message as string} ${JSON.stringify(measured)}`).toBe(phase);
}

beforeAll(async () => {
  web = createServer((req, res) => {
    calls.push({ auth: req.headers.authorization, url: req.url ?? '' });
    if (req.headers.authorization !== `Bearer ${TOKEN}`) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(verdict));
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  const webUrl = `http://127.0.0.1:${(web.address() as AddressInfo).port}/verdict`;
  h = await startControllerSandbox(
    (s) => {
      sb = s;
      const api = s.server.api;
      api.create(type('', 'namespaces'), undefined, example('namespace.yaml'));
      api.create(type('apps', 'deployments'), 'demo', example('deployment.yaml'));
      api.create(type('', 'services'), 'demo', example('service.yaml'));
      api.create(type('', 'secrets'), 'demo', {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'web-check-token', namespace: 'demo' },
        stringData: { authorization: `Bearer ${TOKEN}` },
      });
      const templates = type('sluice.dev', 'analysistemplates');
      api.create(
        templates,
        'demo',
        template('istio-request-rate.yaml', (t) => (t.spec.metrics[0].interval = '5s')),
      );
      api.create(
        templates,
        'demo',
        template('load-test.yaml', (t) =>
          jobEnv(t, { SANDBOX_RUN_SECONDS: '30', SANDBOX_LOAD_TARGET: 'podinfo:9898', SANDBOX_LOAD_RPS: '60' }),
        ),
      );
      api.create(
        templates,
        'demo',
        template('smoke-test.yaml', (t) => jobEnv(t, { SANDBOX_RUN_SECONDS: '1', SANDBOX_EXIT_CODE: '0' })),
      );
      api.create(
        templates,
        'demo',
        template('web-check.yaml', (t) => (t.spec.metrics[0].interval = '2s')),
      );
      const r = example('rollout.yaml');
      delete r.spec.strategy.canary.analysis;
      r.spec.strategy.canary.steps = [
        { setWeight: 50 },
        {
          analysis: {
            templates: [
              { name: 'load-test' },
              { name: 'istio-request-rate' },
              { name: 'smoke-test' },
              { name: 'web-check' },
            ],
            args: [
              { name: 'minRequests', value: '40' },
              { name: 'url', value: webUrl },
            ],
          },
        },
      ];
      r.spec.progressDeadlineSeconds = 120;
      api.create(type('sluice.dev', 'rollouts'), 'demo', r);
    },
    { sandbox: { prometheus: true, rps: 0 }, controller: (s) => ({ prometheusUrl: s.prometheus }) },
  );
  await until('Healthy', () => status().phase === 'Healthy', 30_000);
}, 90_000);

afterAll(async () => {
  await h.stop();
  await new Promise<void>((resolve) => web.close(() => resolve()));
});

describe('checks beyond PromQL', () => {
  it('promotes a quiet service thanks to the load-test Job, every check of the step measured', async () => {
    await expectVerdict('Healthy');
    const runJobs = jobs();
    expect(runJobs.length).toBeGreaterThanOrEqual(2);
    for (const j of runJobs) {
      expect(j.metadata.ownerReferences[0]).toMatchObject({ kind: 'Rollout', name: 'podinfo' });
      expect(j.metadata.labels['sluice.dev/rollout']).toBe('podinfo');
      expect(j.spec.ttlSecondsAfterFinished).toBe(3600);
    }
    expect(runJobs.map(finished).sort()).toEqual(['Complete', 'Complete']);
    // the canary's traffic came only from the Job: the request-rate guard saw enough of it
    const rate = status().metrics.find((m: any) => m.name.includes('istio-request-rate/'));
    expect(rate).toMatchObject({ phase: 'Successful', inconclusive: 0 });
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.every((c) => c.url.includes('service=podinfo&namespace=demo'))).toBe(true);
  }, 150_000);

  it('rolls back when the smoke Job exits 1, naming the metric, and deletes the load Job still running', async () => {
    smokeExits(1);
    const before = new Set(jobs().map((j) => j.metadata.name));
    const since = sb.server.audit.last;
    await expectVerdict('RolledBack');
    expect(status().message).toMatch(/smoke-test\/smoke: Job \S+ failed \(BackoffLimitExceeded/);
    const ran = (): any[] => jobs().filter((j) => !before.has(j.metadata.name));
    // the load Job of this run was still running (30 s): it is gone, and nothing of the run runs on
    await until('no Job of the run left running', () => ran().every((j) => finished(j) !== undefined), 15_000);
    expect(ran().map(finished)).toEqual(['Failed']);
    const deleted = sb.server.audit
      .since(since)
      .filter((e) => e.resource === 'jobs' && e.verb === 'delete' && e.code < 300);
    expect(deleted).toHaveLength(1);
    smokeExits(0);
  }, 150_000);

  it('a web check passes or fails by the JSON it returns; its token never shows', async () => {
    verdict = { ok: false };
    await expectVerdict('RolledBack');
    expect(status().message).toMatch(/web-check\/verdict: 0 < 1/);
    const shown = JSON.stringify(status());
    expect(shown).not.toContain(TOKEN);
    expect(calls.at(-1)?.auth).toBe(`Bearer ${TOKEN}`);
    verdict = { ok: true };
    await expectVerdict('Healthy');
  }, 300_000);

  it('measures with a ClusterAnalysisTemplate named by kind, the namespaced one gone', async () => {
    const api = sb.server.api;
    const cluster = template('cluster/istio-request-rate.yaml', (t) => {
      delete t.metadata.namespace;
      t.spec.metrics[0].interval = '5s';
    });
    expect(cluster.kind).toBe('ClusterAnalysisTemplate');
    api.create(type('sluice.dev', 'clusteranalysistemplates'), undefined, cluster);
    api.delete({ type: type('sluice.dev', 'analysistemplates'), namespace: 'demo', name: 'istio-request-rate' });
    const r = structuredClone(api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', 'podinfo')) as any;
    r.spec.strategy.canary.steps[1].analysis.templates = [
      { name: 'load-test' },
      { name: 'istio-request-rate', kind: 'ClusterAnalysisTemplate' },
    ];
    r.spec.strategy.canary.steps[1].analysis.args = [{ name: 'minRequests', value: '40' }];
    api.update({ type: type('sluice.dev', 'rollouts'), namespace: 'demo', name: 'podinfo' }, r);
    await expectVerdict('Healthy');
    expect(status().metrics.find((m: any) => m.name === 'step[1]:istio-request-rate/request-rate')).toMatchObject({
      phase: 'Successful',
    });
  }, 150_000);
});
