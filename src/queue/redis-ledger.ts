/** The ledger on Redis, for several replicas: one JSON value per rollout, kept for a day. */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Ledger, LedgerEntry } from '../controller/ledger.js';
import { redisConnection } from './bull-queue.js';

const TTL_S = 24 * 3600;

export class RedisLedger implements Ledger {
  private readonly redis: Redis;

  constructor(
    url: string,
    log: Logger,
    private readonly prefix = 'sluice:ledger:',
  ) {
    this.redis = redisConnection(url, log);
  }

  async get(key: string): Promise<LedgerEntry | undefined> {
    const raw = await this.redis.get(this.prefix + key);
    return raw === null ? undefined : (JSON.parse(raw) as LedgerEntry);
  }

  async set(key: string, entry: LedgerEntry): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(entry), 'EX', TTL_S);
  }

  close(): Promise<void> {
    this.redis.disconnect();
    return Promise.resolve();
  }
}
