/**
 * Analysis end to end: the sandbox with real Prometheus scraping the mesh, the shipped templates
 * (at a 5 s interval), and releases whose pods make the mesh answer well or badly.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from '../sandbox/helpers.js';
import {
  INTERVAL_S,
  installAnalysedPodinfo,
  startControllerSandbox,
  testTemplate,
  type ControllerSandbox,
} from './harness.js';

const exec = promisify(execFile);
let sb: Sandbox;
let harness: ControllerSandbox;
const kubectl = async (...args: string[]): Promise<string> =>
  (await exec('kubectl', args, { env: { ...process.env, KUBECONFIG: sb.kubeconfig }, timeout: 30_000 })).stdout;
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const get = (group: string, resource: string, name: string): any =>
  sb.server.api.store.get(type(group, resource).storageKey, 'demo', name);
const status = (): any => get('sluice.dev', 'rollouts', 'podinfo')?.status ?? {};
const canaryWeight = (): number =>
  get('networking.istio.io', 'virtualservices', 'podinfo')?.spec.http[0].route[1].weight;
const release = (env: Record<string, string>): Promise<string> =>
  kubectl('set', 'env', 'deployment/podinfo', '-n', 'demo', ...Object.entries(env).map(([k, v]) => `${k}=${v}`));
const settled = (): boolean => ['Healthy', 'RolledBack'].includes(status().phase);

/** Waits for a condition of the rollout; on a timeout, shows its status (the why). */
async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  await eventually(what, check, timeoutMs).catch((e: unknown) => {
    const s = status();
    throw new Error(
      `${(e as Error).message}; the rollout is ${JSON.stringify({ phase: s.phase, reason: s.reason, message: s.message, metrics: s.metrics?.map((m: any) => [m.name, m.phase, m.measurements.at(-1)?.message]) })}`,
    );
  });
}

/** When the canary's traffic went to 0 after `since` (audit time of the VirtualService patch). */
function zeroedAt(since: number): number | undefined {
  const entry = sb.server.audit
    .since(since)
    .find((e) => e.resource === 'virtualservices' && e.verb === 'patch' && e.code < 300 && canaryWeight() === 0);
  return entry === undefined ? undefined : Date.parse(entry.time);
}

function firstFailing(prefix: string): number {
  const entry = status().metrics.find(
    (m: any) => m.name.startsWith(prefix) && m.measurements.some((x: any) => x.phase === 'Failed'),
  );
  return Date.parse(entry.measurements.find((x: any) => x.phase === 'Failed').startedAt);
}

beforeAll(async () => {
  harness = await startControllerSandbox(
    async (s) => {
      sb = s;
      const api = s.server.api;
      installAnalysedPodinfo(api, { SANDBOX_ERROR_RATE: '0.002', SANDBOX_P99_MS: '120' });
      await Promise.resolve();
    },
    { sandbox: { prometheus: true, rps: 100 }, controller: (s) => ({ prometheusUrl: s.prometheus }) },
  );
  await until('Healthy', () => status().phase === 'Healthy', 30_000);
}, 90_000);
afterAll(async () => harness.stop());

describe('analysis against real Prometheus', () => {
  it('promotes a good release (0.2% errors, P99 120 ms) and shows what it measured', async () => {
    await release({ SANDBOX_ERROR_RATE: '0.002', SANDBOX_P99_MS: '121' });
    await until('promoted', () => status().reason === 'Promoted', 90_000);
    const step = status().metrics.filter((m: any) => m.name.startsWith('step[1]:'));
    expect(step.map((m: any) => [m.name, m.phase])).toEqual([
      ['step[1]:istio-error-rate/error-rate', 'Successful'],
      ['step[1]:istio-latency-p99/latency-p99', 'Successful'],
    ]);
    // (a single measurement may be noisy — one slow request in a hundred — and failureLimit absorbs it)
    const p99 = step[1].measurements.find((m: any) => m.phase === 'Successful');
    expect(p99.value).toBeGreaterThan(0);
    expect(p99.value).toBeLessThanOrEqual(300);
    expect(p99.message).toMatch(/^istio-latency-p99\/latency-p99: [\d.]+ ms <= 300 ms$/);
  }, 120_000);

  it('rolls back an error-rate regression (5%) naming the check and value, within (failureLimit + 1) x interval + 2 s', async () => {
    const since = sb.server.audit.last;
    await release({ SANDBOX_ERROR_RATE: '0.05', SANDBOX_P99_MS: '120' });
    await until('rolled back', () => status().phase === 'RolledBack', 30_000);
    expect(status().reason).toBe('AnalysisFailed');
    expect(status().message).toMatch(/istio-error-rate\/error-rate: 0\.\d+ > 0\.01/); // a 5% rate measured over a short window
    const zero = await eventually('weight 0', () => zeroedAt(since), 5000);
    const failureLimit = 1;
    expect(zero - firstFailing('background:istio-error-rate')).toBeLessThanOrEqual(
      (failureLimit + 1) * INTERVAL_S * 1000 + 2000,
    );
  }, 120_000);

  it('rolls back a latency-only regression (P99 900 ms) naming the P99 check', async () => {
    await release({ SANDBOX_ERROR_RATE: '0.001', SANDBOX_P99_MS: '900' });
    await until(
      'rolled back',
      () =>
        status().phase === 'RolledBack' &&
        status().rolledBackRevision === status().canaryRevision &&
        /latency/.test(status().message),
      90_000,
    );
    expect(status().message).toMatch(/istio-latency-p99\/latency-p99: [\d.]+ ms > 300 ms/);
  }, 120_000);

  it('rolls back at once past a fail-fast bound, within one interval + 2 s', async () => {
    const t = testTemplate('istio-error-rate.yaml', (x) => {
      x.spec.metrics[0].failureLimit = 3;
      x.spec.metrics[0].failFast = { max: '0.05' };
    });
    const current = get('sluice.dev', 'analysistemplates', 'istio-error-rate');
    sb.server.api.update(
      { type: type('sluice.dev', 'analysistemplates'), namespace: 'demo', name: 'istio-error-rate' },
      { ...t, metadata: { ...t.metadata, resourceVersion: current.metadata.resourceVersion } },
    );
    const since = sb.server.audit.last;
    await release({ SANDBOX_ERROR_RATE: '0.3', SANDBOX_P99_MS: '120' });
    await until('rolled back', () => status().phase === 'RolledBack' && /fail-fast/.test(status().message), 60_000);
    const zero = await eventually('weight 0', () => zeroedAt(since), 5000);
    expect(zero - firstFailing('background:istio-error-rate')).toBeLessThanOrEqual(INTERVAL_S * 1000 + 2000);
  }, 90_000);

  it('holds while Prometheus is down (no weight increase, no promotion), and completes once it is back', async () => {
    await release({ SANDBOX_ERROR_RATE: '0.001', SANDBOX_P99_MS: '100' });
    await until('analysing at 50%', () => status().reason === 'AnalysisRunning' && canaryWeight() === 50, 60_000);
    await sb.prometheusServer!.stop();
    try {
      await eventually('blind', () => ['WaitingForMetrics', 'MetricsUnavailable'].includes(status().reason), 30_000);
      // Two more intervals blind: still at 50%, never promoted.
      const until = Date.now() + 2 * INTERVAL_S * 1000;
      await eventually(
        'two intervals',
        () => {
          expect(canaryWeight()).toBe(50);
          expect(['Promoting', 'Healthy']).not.toContain(status().phase);
          return Date.now() > until;
        },
        3 * INTERVAL_S * 1000,
      );
      expect(status().message).toMatch(/Prometheus at http:\/\/127\.0\.0\.1:\d+: network_error/);
    } finally {
      await sb.prometheusServer!.start();
    }
    await until('promoted', () => status().reason === 'Promoted', 90_000);
  }, 150_000);

  it('is settled after every scenario', () => {
    expect(settled()).toBe(true);
  });
});
