/** The outbox against a real Redis server of its own, with persistence so that it can restart. */
import { Queue } from 'bullmq';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisOutbox, type Outbox, type OutboxMessage } from '../../src/queue/outbox.js';
import { testRedis, type TestRedis } from '../support/redis.js';
import { eventually } from '../sandbox/helpers.js';

const log = pino({ level: 'silent' });
let redis: TestRedis;
let n = 0;
const outbox = (extra: { maxAttempts?: number; backoffMs?: number } = {}): Outbox =>
  new RedisOutbox({ url: redis.url, log, name: `outbox${++n}`, backoffMs: 50, ...extra });
const msg = (id: string, stream = 'demo/podinfo/run-1'): OutboxMessage => ({
  id,
  stream,
  channel: 'slack',
  payload: { text: id },
});
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  redis = await testRedis(true);
});
afterAll(async () => redis.stop());

describe('the outbox', () => {
  it('delivers a stream in order, once per id', async () => {
    const o = outbox();
    const got: string[] = [];
    await o.start((m) => {
      got.push(m.id);
      return sleep(5);
    });
    expect(await o.send(msg('a'))).toBe(true);
    expect(await o.send(msg('b'))).toBe(true);
    expect(await o.send(msg('a'))).toBe(false);
    expect(await o.send(msg('c'))).toBe(true);
    await eventually('all delivered', () => got.length === 3, 5000);
    await sleep(200);
    expect(got).toEqual(['a', 'b', 'c']);
    await o.close();
  });

  it('delivers the messages of a stream whose drain job was lost (a crash), once a worker starts', async () => {
    const name = `outbox${++n}`;
    const first = new RedisOutbox({ url: redis.url, log, name, backoffMs: 50 });
    await first.send(msg('x', 'stranded'));
    await first.send(msg('y', 'stranded'));
    await first.close();
    // the drain job is gone, as when BullMQ fails a job whose worker died
    const queue = new Queue(name, { connection: { url: redis.url } });
    await queue.obliterate({ force: true });
    await queue.close();
    const second = new RedisOutbox({ url: redis.url, log, name, backoffMs: 50 });
    const got: string[] = [];
    await second.start((m) => (got.push(m.id), Promise.resolve()));
    await eventually('the stranded stream delivered', () => got.length === 2, 5000);
    expect(got).toEqual(['x', 'y']);
    await second.close();
  });

  it('marks a message as a redelivery when an earlier attempt may have reached the receiver', async () => {
    const o = outbox();
    const got: [string, boolean][] = [];
    let failOnce = true;
    await o.start((m) => {
      got.push([m.id, m.redelivery === true]);
      if (m.id === 'sent-then-failed' && failOnce) {
        failOnce = false;
        return Promise.reject(new Error('timed out after the receiver took it'));
      }
      return Promise.resolve();
    });
    await o.send(msg('sent-then-failed', 'redelivered'));
    await o.send(msg('next', 'redelivered'));
    await eventually('both delivered', () => got.length === 3, 5000);
    expect(got).toEqual([
      ['sent-then-failed', false],
      ['sent-then-failed', true],
      ['next', false],
    ]);
    await o.close();
  });

  it('retries with backoff without reordering, and dead-letters what keeps failing', async () => {
    const o = outbox({ maxAttempts: 3 });
    const got: string[] = [];
    const tries = new Map<string, number>();
    await o.start((m) => {
      tries.set(m.id, (tries.get(m.id) ?? 0) + 1);
      if (m.id === 'flaky' && (tries.get(m.id) ?? 0) < 3) return Promise.reject(new Error('503 from Slack'));
      if (m.id === 'broken') return Promise.reject(new Error('channel_not_found'));
      got.push(m.id);
      return Promise.resolve();
    });
    for (const id of ['flaky', 'after-flaky']) await o.send(msg(id));
    await o.send(msg('broken', 'demo/other/run-1'));
    await o.send(msg('after-broken', 'demo/other/run-1'));
    await eventually('delivered', () => got.length === 3, 10_000);
    expect(got.filter((id) => id !== 'after-broken')).toEqual(['flaky', 'after-flaky']);
    expect(got).toContain('after-broken');
    expect(tries.get('flaky')).toBe(3);
    const dead = await o.deadLetters();
    expect(dead).toMatchObject([{ id: 'broken', error: 'channel_not_found', attempts: 3 }]);
    await o.close();
  });

  it('loses nothing and sends nothing twice across a Redis restart', async () => {
    const o = outbox();
    const got: string[] = [];
    await o.start(async (m) => {
      await sleep(20);
      got.push(m.id);
    });
    const ids = Array.from({ length: 40 }, (_, i) => `m${String(i).padStart(2, '0')}`);
    for (const id of ids.slice(0, 20)) await o.send(msg(id));
    await redis.stop();
    await redis.start();
    for (const id of ids.slice(20)) await o.send(msg(id));
    for (const id of ids.slice(0, 5)) await o.send(msg(id)); // replays of early ones
    await eventually('all delivered', () => new Set(got).size === ids.length, 30_000);
    await sleep(500);
    expect(got).toEqual(ids);
    await o.close();
  }, 60_000);
});
