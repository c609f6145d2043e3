/**
 * Promotion windows end to end, with real Prometheus: a release made 20 s before its window
 * opens waits and then advances within 2 s of the opening; a canary failing during a freeze is
 * rolled back anyway.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { installAnalysedPodinfo, startControllerSandbox, type ControllerSandbox } from '../controller/harness.js';
import { eventually } from '../sandbox/helpers.js';

let sb: Sandbox;
let harness: ControllerSandbox;
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const rollout = (): any => sb.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', 'podinfo');
const status = (): any => rollout()?.status ?? {};
const canaryWeight = (): number =>
  (sb.server.api.store.get(type('networking.istio.io', 'virtualservices').storageKey, 'demo', 'podinfo') as any)?.spec
    .http[0].route[1].weight;
const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function schedule(s: unknown): void {
  sb.server.api.patch({ type: type('sluice.dev', 'rollouts'), namespace: 'demo', name: 'podinfo' }, 'merge', {
    metadata: { resourceVersion: rollout().metadata.resourceVersion },
    spec: { schedule: s },
  });
}

function release(errorRate: string, image: string): void {
  sb.server.api.patch({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, 'strategic', {
    spec: {
      template: {
        spec: { containers: [{ name: 'podinfo', image, env: [{ name: 'SANDBOX_ERROR_RATE', value: errorRate }] }] },
      },
    },
  });
}

beforeAll(async () => {
  harness = await startControllerSandbox(
    (s) => {
      sb = s;
      installAnalysedPodinfo(s.server.api, { SANDBOX_ERROR_RATE: '0.001', SANDBOX_P99_MS: '100' });
    },
    { sandbox: { prometheus: true, rps: 100 }, controller: (s) => ({ prometheusUrl: s.prometheus }) },
  );
  await eventually('Healthy', () => status().phase === 'Healthy', 30_000);
}, 90_000);
afterAll(() => harness.stop());

describe('promotion windows', () => {
  it('holds a release until its window opens 20 s later, then advances within 2 s', async () => {
    const opens = Math.ceil((Date.now() + 20_000) / 1000) * 1000;
    schedule({ allow: [{ name: 'soon', start: iso(opens), end: iso(opens + 3_600_000) }] });
    const since = sb.server.audit.last;
    release('0.001', 'ghcr.io/stefanprodan/podinfo:6.9.1');
    await eventually('waiting for the window', () => status().reason === 'OutsideWindow', 15_000);
    expect(status()).toMatchObject({ phase: 'Paused', nextWindow: iso(opens) });
    expect(status().message).toMatch(/outside the allowed windows; waiting for window, opens \w{3} \d\d:\d\d UTC/);
    expect(canaryWeight()).toBe(0);
    await eventually('the first weight', () => canaryWeight() === 50, 30_000);
    const written = sb.server.audit
      .since(since)
      .find((e) => e.resource === 'virtualservices' && e.verb === 'patch' && e.code < 300);
    expect(Date.parse(written!.time) - opens).toBeGreaterThanOrEqual(0);
    expect(Date.parse(written!.time) - opens).toBeLessThan(2000);
    await eventually('promoted', () => status().reason === 'Promoted', 90_000);
  }, 150_000);

  it('rolls a failing canary back during a freeze', async () => {
    schedule(null);
    release('0.2', 'ghcr.io/stefanprodan/podinfo:6.9.2');
    await eventually('canary traffic', () => canaryWeight() === 50, 30_000);
    schedule({ deny: [{ name: 'freeze', start: iso(Date.now() - 60_000), end: iso(Date.now() + 3_600_000) }] });
    await eventually('rolled back', () => status().phase === 'RolledBack', 60_000);
    expect(status().reason).toBe('AnalysisFailed');
    expect(canaryWeight()).toBe(0);
  }, 120_000);
});
