/**
 * The reconcile queue, keyed by rollout (`namespace/name`): duplicates collapse, a key is never
 * handled twice at once, a request that arrives while its key is being handled causes exactly
 * one more pass, and timers ask for a pass later (the earliest pending one wins). In memory here;
 * `bull-queue.ts` keeps the same promises across replicas and restarts on Redis.
 */

export type Handler = (key: string) => Promise<void>;

export interface WorkQueue {
  /** A pass for `key` now, or in `delayMs` (a timer). */
  enqueue(key: string, delayMs?: number): void;
  start(handler: Handler): Promise<void>;
  /** Stops taking work, lets the passes in progress finish (up to `graceMs`). */
  close(graceMs?: number): Promise<void>;
  /** Whether work can be taken now (for /readyz). */
  readonly ready: boolean;
  /** What is waiting, for metrics. */
  depth(): Promise<number>;
}

export class MemoryQueue implements WorkQueue {
  private readonly dirty = new Set<string>();
  private readonly busy = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private handler: Handler | undefined;
  private closed = false;

  get ready(): boolean {
    return this.handler !== undefined && !this.closed;
  }

  start(handler: Handler): Promise<void> {
    this.handler = handler;
    for (const k of this.dirty) this.kick(k);
    return Promise.resolve();
  }

  enqueue(key: string, delayMs = 0): void {
    if (this.closed) return;
    if (delayMs > 0) {
      const at = Date.now() + delayMs;
      const pending = this.timers.get(key);
      if (pending !== undefined && pending.at <= at) return;
      clearTimeout(pending?.timer);
      this.timers.set(key, {
        at,
        timer: setTimeout(() => {
          this.timers.delete(key);
          this.enqueue(key);
        }, delayMs),
      });
      return;
    }
    this.dirty.add(key);
    this.kick(key);
  }

  private kick(key: string): void {
    if (this.handler !== undefined && !this.busy.has(key)) setImmediate(() => void this.work(key));
  }

  private async work(key: string): Promise<void> {
    const handler = this.handler;
    if (handler === undefined || this.closed || this.busy.has(key) || !this.dirty.has(key)) return;
    this.dirty.delete(key);
    const pass = handler(key).catch(() => undefined);
    this.busy.set(key, pass);
    await pass;
    this.busy.delete(key);
    if (this.dirty.has(key)) this.kick(key);
  }

  depth(): Promise<number> {
    return Promise.resolve(this.dirty.size + this.timers.size);
  }

  async close(graceMs = 30_000): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t.timer);
    this.timers.clear();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.busy.values()), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }
}
