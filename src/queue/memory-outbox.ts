/**
 * The outbox of a single replica without Redis: the same contract as RedisOutbox (order per
 * stream, one delivery at a time per stream, idempotent ids, backoff without reordering, dead
 * letters) kept in memory, so it is lost with the process.
 */
import type { Logger } from 'pino';
import type { DeadLetter, Deliver, Outbox, OutboxMessage } from './outbox.js';

export class MemoryOutbox implements Outbox {
  private readonly streams = new Map<string, OutboxMessage[]>();
  private readonly seen = new Set<string>();
  private readonly draining = new Set<string>();
  private readonly dead: DeadLetter[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private deliver: Deliver | undefined;
  private closed = false;

  constructor(
    private readonly opts: { log: Logger; maxAttempts?: number; backoffMs?: number; maxBackoffMs?: number },
  ) {}

  send(m: OutboxMessage): Promise<boolean> {
    if (this.seen.has(m.id)) return Promise.resolve(false);
    this.seen.add(m.id);
    const list = this.streams.get(m.stream) ?? [];
    list.push(m);
    this.streams.set(m.stream, list);
    this.kick(m.stream, 0);
    return Promise.resolve(true);
  }

  start(deliver: Deliver): Promise<void> {
    this.deliver = deliver;
    for (const stream of this.streams.keys()) this.kick(stream, 0);
    return Promise.resolve();
  }

  private kick(stream: string, attempt: number): void {
    if (this.deliver === undefined || this.closed || this.draining.has(stream)) return;
    this.draining.add(stream);
    void this.drain(stream, attempt);
  }

  private async drain(stream: string, attempt: number): Promise<void> {
    const list = this.streams.get(stream) ?? [];
    const deliver = this.deliver;
    while (list.length > 0 && deliver !== undefined && !this.closed) {
      const m = list[0] as OutboxMessage;
      try {
        // A retry may follow an attempt that reached the receiver before it failed.
        await deliver(attempt === 0 ? m : { ...m, redelivery: true });
      } catch (e) {
        const error = e instanceof Error ? e.message : String(e);
        if (attempt + 1 < (this.opts.maxAttempts ?? 30)) {
          this.opts.log.warn(
            { id: m.id, stream, attempt: attempt + 1, err: error },
            'outbox delivery failed; retrying',
          );
          this.draining.delete(stream);
          const delay = Math.min(this.opts.maxBackoffMs ?? 60_000, (this.opts.backoffMs ?? 1000) * 2 ** attempt);
          const timer = setTimeout(() => {
            this.timers.delete(timer);
            this.kick(stream, attempt + 1);
          }, delay);
          this.timers.add(timer);
          return;
        }
        this.opts.log.warn({ id: m.id, stream, err: error }, 'outbox message dead-lettered');
        this.dead.push({ ...m, error, attempts: attempt + 1, at: new Date().toISOString() });
      }
      list.shift();
      attempt = 0;
    }
    if (list.length === 0) this.streams.delete(stream);
    this.draining.delete(stream);
  }

  deadLetters(): Promise<DeadLetter[]> {
    return Promise.resolve([...this.dead]);
  }

  close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    return Promise.resolve();
  }
}
