/**
 * Per-run state of the notifiers, shared by replicas: the run's snapshot (what every message is
 * rendered from) and each channel's delivery state (GitHub deployment and comment ids, Slack
 * message ts). On Redis with --redis-url (kept a week), else in memory.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { redisConnection } from '../queue/bull-queue.js';
import type { RunSnapshot } from './run-report.js';

export interface RunStore {
  snapshot(run: string): Promise<RunSnapshot | undefined>;
  /** Saves the snapshot, and with it (in one write) a channel's state for the run when given. */
  saveSnapshot(s: RunSnapshot, state?: { channel: string; value: object }): Promise<void>;
  /** A channel's own state for a run. */
  state<T extends object>(channel: string, run: string): Promise<Partial<T>>;
  saveState(channel: string, run: string, state: object): Promise<void>;
  close(): Promise<void>;
}

export class MemoryRunStore implements RunStore {
  private readonly snapshots = new Map<string, string>();
  private readonly states = new Map<string, string>();

  snapshot(run: string): Promise<RunSnapshot | undefined> {
    const raw = this.snapshots.get(run);
    return Promise.resolve(raw === undefined ? undefined : (JSON.parse(raw) as RunSnapshot));
  }

  saveSnapshot(s: RunSnapshot, state?: { channel: string; value: object }): Promise<void> {
    if (state !== undefined) this.states.set(`${state.channel}|${s.key}`, JSON.stringify(state.value));
    this.snapshots.delete(s.key);
    this.snapshots.set(s.key, JSON.stringify(s));
    // Runs finish; keep the latest thousand.
    const oldest = this.snapshots.keys().next().value;
    if (this.snapshots.size > 1000 && oldest !== undefined) this.snapshots.delete(oldest);
    return Promise.resolve();
  }

  state<T extends object>(channel: string, run: string): Promise<Partial<T>> {
    return Promise.resolve(JSON.parse(this.states.get(`${channel}|${run}`) ?? '{}') as Partial<T>);
  }

  saveState(channel: string, run: string, state: object): Promise<void> {
    this.states.set(`${channel}|${run}`, JSON.stringify(state));
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

const WEEK_S = 7 * 24 * 3600;

export class RedisRunStore implements RunStore {
  private readonly redis: Redis;

  constructor(
    url: string,
    log: Logger,
    private readonly prefix = 'sluice:runs:',
  ) {
    this.redis = redisConnection(url, log);
  }

  async snapshot(run: string): Promise<RunSnapshot | undefined> {
    const raw = await this.redis.get(`${this.prefix}snapshot:${run}`);
    return raw === null ? undefined : (JSON.parse(raw) as RunSnapshot);
  }

  async saveSnapshot(s: RunSnapshot, state?: { channel: string; value: object }): Promise<void> {
    const tx = this.redis.multi().set(`${this.prefix}snapshot:${s.key}`, JSON.stringify(s), 'EX', WEEK_S);
    if (state !== undefined)
      tx.set(`${this.prefix}${state.channel}:${s.key}`, JSON.stringify(state.value), 'EX', WEEK_S);
    const results = await tx.exec();
    const failed = results?.find(([err]) => err !== null)?.[0];
    if (results === null || failed !== undefined)
      throw failed ?? new Error('run store: the snapshot transaction was aborted');
  }

  async state<T extends object>(channel: string, run: string): Promise<Partial<T>> {
    return JSON.parse((await this.redis.get(`${this.prefix}${channel}:${run}`)) ?? '{}') as Partial<T>;
  }

  async saveState(channel: string, run: string, state: object): Promise<void> {
    await this.redis.set(`${this.prefix}${channel}:${run}`, JSON.stringify(state), 'EX', WEEK_S);
  }

  close(): Promise<void> {
    this.redis.disconnect();
    return Promise.resolve();
  }
}
