/**
 * The notifiers' shell: after each status write of a run, the run's snapshot (status, release,
 * timeline) is updated in the run store and each channel's messages for the change go to the
 * outbox, which delivers them on its own schedule — a slow or failing GitHub or Slack never
 * holds up a rollout.
 */
import type { Logger } from 'pino';
import type { Rollout } from '../api/schema/rollout.js';
import type { Outbox, OutboxMessage } from '../queue/outbox.js';
import { runKey, type RunSnapshot } from './run-report.js';
import type { RunStore } from './run-store.js';
import { newTimeline, observeRun } from './timeline.js';

/** The store's mark of an observation whose messages are being queued. */
const UNQUEUED = 'unqueued';

export interface Channel {
  name: string;
  /** The messages for the change from `prev` (undefined: first seen) to `snap`. */
  messages(prev: RunSnapshot | undefined, snap: RunSnapshot): { id: string; stream: string; payload: unknown }[];
  deliver(m: OutboxMessage): Promise<void>;
  /** Whether this channel has anything to say about the Rollout at all (default: yes). */
  wants?(rollout: Rollout): boolean;
}

/** The snapshot's optional parts, present only when known. */
function optional(rollout: Rollout, images: RunSnapshot['images']): Partial<RunSnapshot> {
  const s = rollout.status;
  const environment = rollout.spec.notifications?.github?.environment;
  const slack = rollout.spec.notifications?.slack;
  const webhook = rollout.spec.notifications?.webhook;
  return {
    ...(webhook === undefined ? {} : { webhook }),
    ...(s?.release === undefined ? {} : { release: s.release }),
    ...(environment === undefined ? {} : { environment }),
    ...(slack === undefined ? {} : { slack }),
    ...(images === undefined ? {} : { images }),
  };
}

export class Notifier {
  constructor(
    private readonly store: RunStore,
    private readonly outbox: Outbox,
    private readonly channels: Channel[],
    private readonly log: Logger,
  ) {}

  start(): Promise<void> {
    return this.outbox.start(async (m) => {
      const channel = this.channels.find((c) => c.name === m.channel);
      if (channel === undefined)
        this.log.warn({ id: m.id, channel: m.channel }, 'no notifier for this channel; dropped');
      else await channel.deliver(m);
    });
  }

  /** Queues a message of a channel directly (false when its id was queued before). */
  send(m: OutboxMessage): Promise<boolean> {
    return this.outbox.send(m);
  }

  /** A channel's problem with a rollout's messages (Slack channel_not_found...), if any. */
  async problem(channel: string, rollout: string): Promise<{ reason: string; message: string } | undefined> {
    const p = await this.store.state<{ reason: string; message: string }>(`problem:${channel}`, rollout);
    return p.reason === undefined ? undefined : { reason: p.reason, message: p.message ?? '' };
  }

  /**
   * The Rollout as just written (its new status), and the images it runs. The snapshot is saved
   * with a mark (one write) that is cleared once its messages are queued: a crash before they are
   * all queued leaves the mark, and `catchUp` queues them again (the outbox drops ids it has seen).
   */
  async observe(rollout: Rollout, extra: { images?: RunSnapshot['images'] } = {}, now = Date.now()): Promise<void> {
    const s = rollout.status;
    if (s?.runStartedAt === undefined || !this.concerns(rollout)) return;
    const namespace = rollout.metadata.namespace ?? 'default';
    const name = rollout.metadata.name;
    const key = runKey(namespace, name, s.runStartedAt);
    const prev = await this.store.snapshot(key);
    // A copy: channels compare the previous snapshot's timeline with the new one.
    const timeline =
      prev === undefined
        ? newTimeline(`${namespace}/${name}`, Date.parse(s.runStartedAt))
        : structuredClone(prev.timeline);
    observeRun(timeline, rollout, now);
    const snap: RunSnapshot = {
      key,
      namespace,
      name,
      steps: rollout.spec.strategy.canary.steps,
      status: s,
      ...optional(rollout, extra.images),
      timeline,
    };
    await this.store.saveSnapshot(snap, { channel: UNQUEUED, value: { from: prev ?? null } });
    await this.queue(prev, snap);
    await this.store.saveState(UNQUEUED, key, {});
  }

  /** Whether any channel has something to say about this Rollout (else its runs are not recorded). */
  private concerns(rollout: Rollout): boolean {
    return this.channels.some((c) => c.wants?.(rollout) ?? true);
  }

  private async queue(prev: RunSnapshot | undefined, snap: RunSnapshot): Promise<void> {
    for (const c of this.channels)
      for (const m of c.messages(prev, snap)) await this.outbox.send({ ...m, channel: c.name });
  }

  /**
   * After a restart: what a crash kept from the outbox — a status written but not observed, or
   * messages of an observation not all queued — is queued now. Nothing when all is in order.
   */
  async catchUp(rollout: Rollout, extra: { images?: RunSnapshot['images'] } = {}): Promise<void> {
    const s = rollout.status;
    if (s?.runStartedAt === undefined || !this.concerns(rollout)) return;
    const key = runKey(rollout.metadata.namespace ?? 'default', rollout.metadata.name, s.runStartedAt);
    const [snap, unqueued] = await Promise.all([
      this.store.snapshot(key),
      this.store.state<{ from: RunSnapshot | null }>(UNQUEUED, key),
    ]);
    if (snap !== undefined && unqueued.from !== undefined) {
      this.log.info({ run: key }, 'queueing the messages a crash interrupted');
      await this.queue(unqueued.from ?? undefined, snap);
      await this.store.saveState(UNQUEUED, key, {});
    }
    if ((snap?.status.sequence ?? -1) < (s.sequence ?? 0)) {
      this.log.info({ run: key, sequence: s.sequence }, 'observing a status written before a crash');
      await this.observe(rollout, extra);
    }
  }

  async close(): Promise<void> {
    await this.outbox.close();
    await this.store.close();
  }
}
