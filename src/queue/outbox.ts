/**
 * The notification outbox (GitHub, Slack): messages are kept in Redis in order per stream (one
 * rollout run), delivered by one drain at a time per stream (a BullMQ job deduplicated with
 * keepLastIfActive), retried with exponential backoff while keeping their order, and moved to a
 * dead-letter list after `maxAttempts`. A message id is an idempotency key: sending it again is
 * a no-op, and a delivered id is never delivered again (even if a drain is retried).
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redisConnection } from './bull-queue.js';

export interface OutboxMessage {
  /** Idempotency key. */
  id: string;
  /** Messages of one stream (a rollout run) are delivered in the order they were sent. */
  stream: string;
  /** Where it goes, e.g. github or slack (the deliverer decides what it means). */
  channel: string;
  payload: unknown;
  /**
   * Set by the outbox when an earlier attempt at this message may have reached its receiver (the
   * process died or the attempt failed after sending): a receiver without idempotency keys
   * checks before sending again.
   */
  redelivery?: boolean;
}

export interface DeadLetter extends OutboxMessage {
  error: string;
  attempts: number;
  at: string;
}

/** Delivers one message; throws to have it retried. */
export type Deliver = (m: OutboxMessage) => Promise<void>;

export interface OutboxOptions {
  url: string;
  log: Logger;
  name?: string;
  /** Deliveries of a message before it is dead-lettered (default 30: about 25 minutes with the default backoff). */
  maxAttempts?: number;
  /** First retry delay, doubled each time up to maxBackoffMs (default 1 s to 60 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** Pushes the message unless its id was seen (kept a week). */
const ENQUEUE = `
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[2]) then
  redis.call('RPUSH', KEYS[2], ARGV[1])
  return 1
end
return 0`;

/** Pops the head only if it is still this message; optionally moves it to the dead letters. */
const POP_HEAD = `
if redis.call('LINDEX', KEYS[1], 0) == ARGV[1] then
  redis.call('LPOP', KEYS[1])
  if ARGV[2] ~= '' then redis.call('RPUSH', KEYS[2], ARGV[2]) end
  return 1
end
return 0`;

const WEEK_S = 7 * 24 * 3600;

/** Where notifications wait to be delivered: on Redis (RedisOutbox) or in memory (MemoryOutbox, one replica). */
export interface Outbox {
  /** Queues a message; false when its id was queued before. */
  send(m: OutboxMessage): Promise<boolean>;
  start(deliver: Deliver): Promise<void>;
  deadLetters(): Promise<DeadLetter[]>;
  close(): Promise<void>;
}

export class RedisOutbox implements Outbox {
  private readonly redis: Redis;
  private readonly queue: Queue<{ stream: string }>;
  private worker: Worker<{ stream: string }> | undefined;
  private workerConnection: Redis | undefined;
  private readonly prefix: string;

  constructor(private readonly opts: OutboxOptions) {
    this.redis = redisConnection(opts.url, opts.log);
    const name = opts.name ?? 'sluice-outbox';
    this.prefix = `sluice:${name}:`;
    this.queue = new Queue(name, { connection: this.redis });
    this.queue.on('error', (err) => opts.log.warn({ err: err.message }, 'outbox queue'));
  }

  private key(kind: string, id = ''): string {
    return `${this.prefix}${kind}${id === '' ? '' : `:${id}`}`;
  }

  /** Queues a message; false when its id was queued before. */
  async send(m: OutboxMessage): Promise<boolean> {
    const added =
      (await this.redis.eval(
        ENQUEUE,
        2,
        this.key('seen', m.id),
        this.key('stream', m.stream),
        JSON.stringify(m),
        String(WEEK_S),
      )) === 1;
    if (added) await this.drainLater(m.stream);
    return added;
  }

  private async drainLater(stream: string): Promise<void> {
    const attempts = this.opts.maxAttempts ?? 30;
    await this.queue.add(
      'drain',
      { stream },
      {
        deduplication: { id: stream, keepLastIfActive: true },
        attempts,
        backoff: { type: 'capped' },
        removeOnComplete: true,
        removeOnFail: true,
      },
    );
  }

  start(deliver: Deliver): Promise<void> {
    this.workerConnection = redisConnection(this.opts.url, this.opts.log);
    const base = this.opts.backoffMs ?? 1000;
    const cap = this.opts.maxBackoffMs ?? 60_000;
    this.worker = new Worker(this.queue.name, (job: Job<{ stream: string }>) => this.drain(job, deliver), {
      connection: this.workerConnection,
      concurrency: 10,
      // a crashed replica's drains are taken over after this long (BullMQ's default of 30 s,
      // checked every 30 s, held reports back up to a minute after a crash)
      lockDuration: 10_000,
      stalledInterval: 5_000,
      // BullMQ fails a job that stalled more than once — a drain whose worker was killed twice —
      // and a failed drain is removed: its stream's messages would wait for the next send
      maxStalledCount: 1000,
      settings: { backoffStrategy: (attemptsMade: number) => Math.min(cap, base * 2 ** Math.max(0, attemptsMade - 1)) },
    });
    this.worker.on('error', (err) => this.opts.log.warn({ err: err.message }, 'outbox worker'));
    return this.worker.waitUntilReady().then(() => this.resume());
  }

  /** A drain for every stream with messages waiting: none is stranded by a drain job lost to a crash. */
  private async resume(): Promise<void> {
    const prefix = `${this.key('stream')}:`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      cursor = next;
      for (const k of keys) await this.drainLater(k.slice(prefix.length));
    } while (cursor !== '0');
  }

  /** Delivers the stream's messages in order; a failure retries the drain later (same order). */
  private async drain(job: Job<{ stream: string }>, deliver: Deliver): Promise<void> {
    const list = this.key('stream', job.data.stream);
    for (;;) {
      const raw = await this.redis.lindex(list, 0);
      if (raw === null) return;
      const m = JSON.parse(raw) as OutboxMessage;
      if ((await this.redis.exists(this.key('sent', m.id))) === 0) {
        // Marked before the attempt: a crash after the receiver took it and before `sent` is set
        // makes the next attempt a redelivery.
        const first = (await this.redis.set(this.key('attempt', m.id), '1', 'EX', WEEK_S, 'NX')) === 'OK';
        try {
          await deliver(first ? m : { ...m, redelivery: true });
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          const last = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
          this.opts.log.warn(
            { id: m.id, stream: m.stream, attempt: job.attemptsMade + 1, err: message },
            last ? 'outbox message dead-lettered' : 'outbox delivery failed; retrying',
          );
          if (!last) throw e;
          const dead: DeadLetter = {
            ...m,
            error: message,
            attempts: job.attemptsMade + 1,
            at: new Date().toISOString(),
          };
          await this.redis.eval(POP_HEAD, 2, list, this.key('dead'), raw, JSON.stringify(dead));
          continue;
        }
        await this.redis.set(this.key('sent', m.id), '1', 'EX', WEEK_S);
      }
      await this.redis.eval(POP_HEAD, 2, list, this.key('dead'), raw, '');
    }
  }

  /** Messages that could not be delivered, oldest first. */
  async deadLetters(): Promise<DeadLetter[]> {
    return (await this.redis.lrange(this.key('dead'), 0, -1)).map((raw) => JSON.parse(raw) as DeadLetter);
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    this.redis.disconnect();
    this.workerConnection?.disconnect();
  }
}
