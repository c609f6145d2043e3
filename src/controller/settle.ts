/**
 * "Is my view stale?" — one place for it. After a pass writes, the caches of every replica lag
 * behind for a while; the ledger (shared by replicas) says what the last pass wrote. From it:
 * whether a change of a Rollout is only the echo of Sluice's own status write (no new pass), and
 * whether a replica's caches show the last write yet (else the pass waits: a stale view would
 * repeat or undo a step). Past the settle window a pass goes ahead anyway (a write that failed
 * never shows up). The fresh reads that confirm an acting plan are in fresh.ts.
 */
import type { Rollout } from '../api/schema/rollout.js';
import type { RolloutStatus } from '../api/schema/rollout-status.js';
import { canonicalJson } from '../rollout/revision.js';
import type { Ledger } from './ledger.js';

/** What identifies a Rollout's own status echo: its generation (spec) and status, whatever the key order the API server keeps. */
export const echoOf = (r: Rollout): string => canonicalJson([r.metadata.generation, r.status]);

/** What a plan was made on: the spec generation and the status, its commands aside. */
function basisOf(r: Rollout): string {
  const { commands: _commands, ...status } = r.status ?? {};
  return canonicalJson([r.metadata.generation, status]);
}

export interface SettleOptions {
  ledger: Ledger;
  /** How long the caches are waited for after a pass that acted. */
  settleMs: number;
  /** The resourceVersion the caches hold for `Kind/namespace/name`. */
  cachedVersion: (object: string) => string | undefined;
  /** A pass for the key after `delayMs`. */
  enqueue: (key: string, delayMs: number) => void;
}

export class Settle {
  constructor(private readonly opts: SettleOptions) {}

  /** Whether this change of the Rollout is only the echo of the last status write (true: no pass needed). */
  async isEcho(k: string, r: Rollout): Promise<boolean> {
    const led = await this.opts.ledger.get(k);
    return led !== undefined && Date.now() < led.until && led.echo === echoOf(r);
  }

  /**
   * Whether this replica's caches show the last write to the rollout (by any replica): its
   * status sequence and, for a while after, the objects its actions wrote.
   */
  async caughtUp(k: string, rollout: Rollout): Promise<boolean> {
    const led = await this.opts.ledger.get(k);
    if (led === undefined || Date.now() >= led.until) return true;
    const seen = ([object, before]: [string, string]): boolean => {
      const now = this.opts.cachedVersion(object);
      return before === '' ? now !== undefined : now !== before;
    };
    return (rollout.status?.sequence ?? 0) >= led.sequence && Object.entries(led.expect).every(seen);
  }

  /**
   * Writes the ledger entry of a pass: the Rollout as its status write leaves it, and the objects
   * its actions changed. Objects written by earlier passes stay expected until their window ends:
   * a pass that only writes status must not make others forget them.
   */
  async record(k: string, written: Rollout, expect: Record<string, string>, acted: boolean): Promise<void> {
    const { ledger, settleMs } = this.opts;
    const now = Date.now();
    const previous = await ledger.get(k);
    const open = previous !== undefined && now < previous.until;
    await ledger.set(k, {
      sequence: written.status?.sequence ?? 0,
      echo: echoOf(written),
      until: acted || !open ? now + settleMs : previous.until,
      expect: { ...(open ? previous.expect : {}), ...expect },
      ...(previous?.pending === undefined ? {} : { pending: previous.pending }),
    });
    if (acted) this.opts.enqueue(k, settleMs);
  }

  /** Before a pass acts: the status it will write (with its sequence), planned on `rollout`. */
  async intend(k: string, rollout: Rollout, status: RolloutStatus): Promise<void> {
    const previous = await this.opts.ledger.get(k);
    const base = previous ?? { sequence: rollout.status?.sequence ?? 0, echo: echoOf(rollout), until: 0, expect: {} };
    await this.opts.ledger.set(k, { ...base, pending: { basis: basisOf(rollout), status } });
  }

  /** The pass's status is written (or its actions failed): nothing is left for another pass to complete. */
  async settled(k: string): Promise<void> {
    const entry = await this.opts.ledger.get(k);
    if (entry?.pending === undefined) return;
    const { pending: _done, ...rest } = entry;
    await this.opts.ledger.set(k, rest);
  }

  /**
   * The status a pass that acted on this Rollout (same generation and status, commands aside)
   * meant to write and did not: to be written before anything is planned on the old status. A
   * command recorded meanwhile is kept in it (unhandled: the next pass handles it).
   */
  async unwritten(k: string, rollout: Rollout): Promise<RolloutStatus | undefined> {
    const p = (await this.opts.ledger.get(k))?.pending;
    if (p === undefined || p.basis !== basisOf(rollout)) return undefined;
    // the Rollout's list is the one kept (bounded: the writer of a command drops the oldest);
    // the pass's outcome of each command it handled goes over it
    const planned = new Map((p.status.commands ?? []).map((c) => [c.id, c]));
    const now = rollout.status?.commands;
    return now === undefined ? p.status : { ...p.status, commands: now.map((c) => planned.get(c.id) ?? c) };
  }
}
