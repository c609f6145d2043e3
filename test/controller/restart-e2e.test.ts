/** A controller restarted during a 20 s pause (queue and timers on Redis) resumes at the due time. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/controller/controller.js';
import { BullQueue } from '../../src/queue/bull-queue.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from '../sandbox/helpers.js';
import { installPodinfo, newController, startControllerSandbox, type ControllerSandbox } from './harness.js';

const exec = promisify(execFile);
let sb: Sandbox;
let harness: ControllerSandbox;
let second: Controller | undefined;
const queue = (s: Sandbox): BullQueue =>
  new BullQueue({ url: s.redis!, name: 'restart', log: pino({ level: 'silent' }) });
const kubectl = async (...args: string[]): Promise<string> =>
  (await exec('kubectl', args, { env: { ...process.env, KUBECONFIG: sb.kubeconfig }, timeout: 30_000 })).stdout;
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const status = (): any =>
  sb.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', 'podinfo')?.status ?? {};
const canaryWeight = (): number =>
  (sb.server.api.store.get(type('networking.istio.io', 'virtualservices').storageKey, 'demo', 'podinfo') as any)?.spec
    .http[0].route[1].weight;

beforeAll(async () => {
  harness = await startControllerSandbox(
    (s) => {
      sb = s;
      installPodinfo(s.server.api, [
        { setWeight: 20 },
        { pause: { duration: '20s' } },
        { setWeight: 50 },
        { pause: {} },
      ]);
    },
    { sandbox: { redisUrl: undefined }, controller: (s) => ({ queue: queue(s) }) },
  );
  await eventually('Healthy', () => status().phase === 'Healthy', 30_000);
}, 90_000);
afterAll(async () => {
  await second?.stop();
  await harness.stop();
});

describe('a controller restart during a pause', () => {
  it('resumes the run at the time the pause ends, within 2 s', async () => {
    await kubectl('set', 'image', 'deployment/podinfo', '-n', 'demo', 'podinfo=ghcr.io/stefanprodan/podinfo:6.7.1');
    await eventually('the pause', () => status().reason === 'PauseStep', 20_000);
    const due = Date.parse(status().stepStartedAt) + 20_000;
    await new Promise((r) => setTimeout(r, 3000));
    await harness.controller.stop();
    await new Promise((r) => setTimeout(r, 6000));
    expect(status().currentStepIndex).toBe(1);
    second = newController(sb, { queue: queue(sb) });
    await second.start();
    const since = sb.server.audit.last;
    await eventually('the next step', () => canaryWeight() === 50, 30_000);
    const patched = sb.server.audit.since(since).find((e) => e.resource === 'virtualservices' && e.verb === 'patch');
    const late = Date.parse(patched!.time) - due;
    expect(late).toBeGreaterThanOrEqual(0);
    expect(late).toBeLessThan(2000);
  }, 90_000);
});
