/**
 * Redis restarted mid-run, losing everything it held (no persistence): the controller does not
 * crash, says it is not ready meanwhile, and every run completes once Redis is back (the state
 * of record is the Rollout status; a resync asks for a pass of every rollout).
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Controller } from '../../src/controller/controller.js';
import { BullQueue } from '../../src/queue/bull-queue.js';
import { RedisLedger } from '../../src/queue/redis-ledger.js';
import { testRedis, type TestRedis } from '../support/redis.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually } from '../sandbox/helpers.js';
import { example, exampleApp, startControllerSandbox, type ControllerSandbox } from './harness.js';

const names = ['web-a', 'web-b', 'web-c', 'web-d', 'web-e'];
const log = pino({ level: 'silent' });
let sb: Sandbox;
let harness: ControllerSandbox;
let redis: TestRedis;
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const rollouts = (): any[] =>
  names.map((n) => sb.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', n));

beforeAll(async () => {
  redis = await testRedis();
  const url = redis.url;
  const ref: { controller?: Controller } = {};
  harness = await startControllerSandbox(
    (s) => {
      sb = s;
      const api = s.server.api;
      api.create(type('', 'namespaces'), undefined, example('namespace.yaml'));
      for (const name of names) {
        exampleApp(api, name, (r) => {
          r.spec.strategy.canary.steps = [
            { setWeight: 20 },
            { pause: { duration: '4s' } },
            { setWeight: 50 },
            { pause: { duration: '4s' } },
          ];
          delete r.spec.strategy.canary.analysis;
        });
      }
    },
    {
      controller: () => ({
        queue: new BullQueue({ url, log, name: 'redis-restart', onReconnect: () => ref.controller?.resync() }),
        ledger: new RedisLedger(url, log),
      }),
    },
  );
  ref.controller = harness.controller;
  await eventually('all Healthy', () => rollouts().every((r) => r.status?.phase === 'Healthy'), 30_000);
}, 90_000);
afterAll(async () => {
  await harness.stop();
  await redis.stop();
});

describe('Redis restarted mid-run', () => {
  it('every run completes', async () => {
    const deployments = type('apps', 'deployments');
    for (const name of names)
      sb.server.api.patch({ type: deployments, namespace: 'demo', name }, 'strategic', {
        spec: {
          template: { spec: { containers: [{ name: 'podinfo', image: 'ghcr.io/stefanprodan/podinfo:6.7.1' }] } },
        },
      });
    await eventually('runs under way', () => rollouts().every((r) => r.status?.reason === 'PauseStep'), 20_000);
    await redis.stop();
    await eventually('not ready while Redis is away', () => !harness.controller.isReady, 10_000);
    await new Promise((r) => setTimeout(r, 3000));
    await redis.start();
    await eventually('ready again', () => harness.controller.isReady, 20_000);
    await eventually('all promoted', () => rollouts().every((r) => r.status?.reason === 'Promoted'), 60_000);
    expect(rollouts().map((r) => r.status.canaryWeight)).toEqual(names.map(() => 0));
  }, 120_000);
});
