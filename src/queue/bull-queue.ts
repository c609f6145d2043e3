/**
 * The reconcile queue on Redis with BullMQ, shared by every controller replica.
 *
 * - A pass is a `reconcile` job deduplicated by rollout key with `keepLastIfActive`: at most one
 *   waiting and one active job per rollout, never two active at once (on any replica), and a
 *   request that arrives while the rollout is being handled becomes one more pass afterwards.
 * - A timer is a delayed `timer` job; when it fires it asks for a pass. Timers live in Redis, so
 *   a pause due at t fires at t whichever replica is alive then. Timer ids are unique per due
 *   time; an extra pass is harmless (passes are idempotent), a lost one is not.
 * - Redis unreachable: ioredis reconnects with backoff, `ready` turns false, adds wait in the
 *   offline queue, and `onReconnect` lets the controller ask for a pass of everything.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Handler, WorkQueue } from './work-queue.js';

export interface BullQueueOptions {
  url: string;
  /** Passes in progress at once in this replica. */
  concurrency?: number;
  /** Queue name (several controllers on one Redis may use their own). */
  name?: string;
  log: Logger;
  /** Called when Redis is back after an outage. */
  onReconnect?: () => void;
  /** Told when a pass has waited `ms` in the queue, for metrics. */
  onLatency?: (ms: number) => void;
}

interface JobData {
  key: string;
}

/** How long a crashed replica's job stays locked before another replica takes it over. */
const LOCK_MS = 10_000;

export function redisConnection(url: string, log: Logger): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    retryStrategy: (times) => Math.min(200 * 2 ** Math.min(times, 5), 5000),
    lazyConnect: false,
  });
  redis.on('error', (err: Error) => log.warn({ err: err.message }, 'redis'));
  return redis;
}

export class BullQueue implements WorkQueue {
  private readonly connection: Redis;
  private readonly queue: Queue<JobData>;
  private worker: Worker<JobData> | undefined;
  private workerConnection: Redis | undefined;
  /** The earliest timer this replica has set per key, to avoid piling up identical ones. */
  private readonly timers = new Map<string, number>();
  private wasReady = false;

  constructor(private readonly opts: BullQueueOptions) {
    this.connection = redisConnection(opts.url, opts.log);
    this.connection.on('ready', () => {
      if (this.wasReady) opts.onReconnect?.();
      this.wasReady = true;
    });
    this.queue = new Queue<JobData>(opts.name ?? 'sluice-reconcile', { connection: this.connection });
    this.queue.on('error', (err) => opts.log.warn({ err: err.message }, 'queue'));
  }

  get ready(): boolean {
    return this.connection.status === 'ready' && this.worker?.isRunning() === true;
  }

  enqueue(key: string, delayMs = 0): void {
    const added =
      delayMs > 0
        ? this.timer(key, delayMs)
        : this.queue.add(
            'reconcile',
            { key },
            { deduplication: { id: key, keepLastIfActive: true }, removeOnComplete: true, removeOnFail: true },
          );
    void Promise.resolve(added).catch((err: unknown) =>
      this.opts.log.warn({ rollout: key, err: (err as Error).message }, 'enqueue failed'),
    );
  }

  private async timer(key: string, delayMs: number): Promise<void> {
    const at = Date.now() + delayMs;
    const mine = this.timers.get(key);
    if (mine !== undefined && mine > Date.now() && mine <= at) return;
    this.timers.set(key, at);
    await this.queue.add(
      'timer',
      { key },
      { jobId: `timer-${key}-${String(at)}`, delay: delayMs, removeOnComplete: true, removeOnFail: true },
    );
  }

  start(handler: Handler): Promise<void> {
    this.workerConnection = redisConnection(this.opts.url, this.opts.log);
    this.worker = new Worker<JobData>(
      this.queue.name,
      async (job: Job<JobData>) => {
        if (job.name === 'timer') {
          if ((this.timers.get(job.data.key) ?? 0) <= Date.now()) this.timers.delete(job.data.key);
          this.enqueue(job.data.key);
          return;
        }
        this.opts.onLatency?.(Date.now() - job.timestamp);
        await handler(job.data.key);
      },
      {
        connection: this.workerConnection,
        concurrency: this.opts.concurrency ?? 10,
        lockDuration: LOCK_MS,
        stalledInterval: LOCK_MS / 2,
        maxStalledCount: 1000,
      },
    );
    this.worker.on('error', (err) => this.opts.log.warn({ err: err.message }, 'worker'));
    return this.worker.waitUntilReady().then(() => undefined);
  }

  async depth(): Promise<number> {
    const counts = await this.queue.getJobCounts('waiting', 'delayed', 'prioritized');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  }

  /** Stops taking jobs, waits for the current ones (at most `graceMs`), and disconnects. */
  async close(graceMs = 30_000): Promise<void> {
    const worker = this.worker;
    if (worker !== undefined) {
      let timer: NodeJS.Timeout | undefined;
      const graceful = worker.close();
      const late = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((r) => (timer = setTimeout(() => r(true), graceMs))),
      ]);
      clearTimeout(timer);
      // Past the grace period the pass is abandoned: its lock runs out and another replica takes it.
      if (late)
        this.opts.log.warn(
          { graceMs },
          'passes still running at the end of the grace period; leaving them to another replica',
        );
    }
    await this.queue.close();
    this.connection.disconnect();
    this.workerConnection?.disconnect();
  }
}
