/**
 * What the last pass of a rollout wrote, shared by the replicas (in memory for one replica, on
 * Redis for several): the status sequence it wrote, the status echo to ignore, and the objects
 * its actions changed (with the versions they had before). A pass on a replica whose caches have not caught up with that
 * write waits for them instead of acting on a stale view — which would repeat or undo a step.
 */
import type { RolloutStatus } from '../api/schema/rollout-status.js';

export interface LedgerEntry {
  /** `status.sequence` of the last status write. */
  sequence: number;
  /** The Rollout (generation and status) as that write left it. */
  echo: string;
  /** Until when the caches are waited for. */
  until: number;
  /** `Kind/namespace/name` -> the resourceVersion before the last actions wrote it ('' when they created it). */
  expect: Record<string, string>;
  /**
   * Written before a pass acts: the status it will write, and the Rollout resourceVersion it
   * planned on. A pass that acted and stopped before its status write (a crash, a failed write)
   * leaves it; the next pass on the same Rollout writes that status instead of planning on the
   * old one, which would undo what was done (a weight set back, a step taken twice). `basis`:
   * the generation and status (commands aside: one recorded meanwhile is kept) planned on.
   */
  pending?: { basis: string; status: RolloutStatus };
}

export interface Ledger {
  get(key: string): Promise<LedgerEntry | undefined>;
  set(key: string, entry: LedgerEntry): Promise<void>;
  close(): Promise<void>;
}

export class MemoryLedger implements Ledger {
  private readonly entries = new Map<string, LedgerEntry>();

  get(key: string): Promise<LedgerEntry | undefined> {
    return Promise.resolve(this.entries.get(key));
  }

  set(key: string, entry: LedgerEntry): Promise<void> {
    this.entries.set(key, entry);
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
