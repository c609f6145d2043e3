/** The BullMQ work queue against a real Redis server of its own (restartable). */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BullQueue } from '../../src/queue/bull-queue.js';
import { testRedis, type TestRedis } from '../support/redis.js';
import { eventually } from '../sandbox/helpers.js';

const log = pino({ level: 'silent' });
let redis: TestRedis;
let n = 0;
const queue = (extra: Partial<ConstructorParameters<typeof BullQueue>[0]> = {}): BullQueue =>
  new BullQueue({ url: redis.url, name: `q${n}`, log, concurrency: 5, ...extra });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  redis = await testRedis(false);
});
afterAll(async () => redis.stop());

describe('the BullMQ work queue', () => {
  it('collapses duplicates, and a request during a pass gives exactly one more pass', async () => {
    n++;
    const q = queue();
    const passes: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    await q.start(async (k) => {
      passes.push(k);
      if (passes.length === 1) await gate;
    });
    q.enqueue('demo/a');
    await eventually('first pass running', () => passes.length === 1, 5000);
    for (let i = 0; i < 20; i++) q.enqueue('demo/a');
    await sleep(300);
    release();
    await eventually('a second pass', () => passes.length === 2, 5000);
    await sleep(500);
    expect(passes).toEqual(['demo/a', 'demo/a']);
    await q.close();
  });

  it('never runs one rollout on two replicas at once, while different rollouts run in parallel', async () => {
    n++;
    const replicas = [queue(), queue(), queue()];
    const active = new Map<string, number>();
    let overlap = 0;
    let parallel = 0;
    let passes = 0;
    for (const r of replicas) {
      await r.start(async (k) => {
        active.set(k, (active.get(k) ?? 0) + 1);
        if ((active.get(k) ?? 0) > 1) overlap++;
        parallel = Math.max(
          parallel,
          [...active.values()].reduce((a, b) => a + b, 0),
        );
        await sleep(20);
        active.set(k, (active.get(k) ?? 0) - 1);
        passes++;
      });
    }
    for (let round = 0; round < 20; round++) {
      for (const r of replicas) for (const k of ['demo/a', 'demo/b', 'demo/c']) r.enqueue(k);
      await sleep(15);
    }
    await eventually(
      'the queue to drain',
      async () => (await replicas[0]!.depth()) === 0 && [...active.values()].every((v) => v === 0),
      10_000,
    );
    expect(overlap).toBe(0);
    expect(parallel).toBeGreaterThan(1);
    expect(passes).toBeLessThan(3 * 20 * 3);
    await Promise.all(replicas.map((r) => r.close()));
  });

  it('keeps timers in Redis: a timer set before a restart fires at its time after it', async () => {
    n++;
    const before = queue();
    await before.start(() => Promise.resolve());
    const due = Date.now() + 3000;
    before.enqueue('demo/paused', 3000);
    await sleep(200);
    await before.close();
    const after = queue();
    let firedAt = 0;
    await after.start((k) => {
      if (k === 'demo/paused') firedAt = Date.now();
      return Promise.resolve();
    });
    await eventually('the timer', () => firedAt > 0, 10_000);
    expect(Math.abs(firedAt - due)).toBeLessThan(1000);
    await after.close();
  });

  it('survives Redis going away: not ready meanwhile, then work resumes and a resync is asked for', async () => {
    n++;
    let reconnects = 0;
    const q = queue({ onReconnect: () => reconnects++ });
    const passes: string[] = [];
    await q.start((k) => {
      passes.push(k);
      return Promise.resolve();
    });
    await eventually('ready', () => q.ready, 5000);
    await redis.stop();
    await eventually('not ready', () => !q.ready, 10_000);
    q.enqueue('demo/during-outage');
    await redis.start();
    await eventually('ready again', () => q.ready, 20_000);
    await eventually('the pass asked for during the outage', () => passes.includes('demo/during-outage'), 10_000);
    expect(reconnects).toBeGreaterThan(0);
    await q.close();
  }, 60_000);

  it('closes within its grace period even when a pass hangs', async () => {
    n++;
    const q = queue();
    let started = false;
    await q.start(async () => {
      started = true;
      await sleep(60_000);
    });
    q.enqueue('demo/slow');
    await eventually('started', () => started, 5000);
    const t = Date.now();
    await q.close(500);
    expect(Date.now() - t).toBeLessThan(3000);
  });
});
