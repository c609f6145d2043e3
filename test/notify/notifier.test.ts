/**
 * The notifier after a crash: a status written but never observed, or an observation whose
 * messages were not all queued, is made good by catchUp — once, with the ids the outbox knows.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../src/api/schema/rollout.js';
import { Notifier, type Channel } from '../../src/notify/notifier.js';
import type { RunSnapshot } from '../../src/notify/run-report.js';
import { MemoryRunStore } from '../../src/notify/run-store.js';
import type { Outbox, OutboxMessage } from '../../src/queue/outbox.js';

const log = pino({ level: 'silent' });
const RUN = '2026-11-26T10:00:00Z';

function rollout(sequence: number, reason: string, phase = 'Progressing'): Rollout {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'app', namespace: 'demo' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'app' },
      service: { name: 'app', port: 80 },
      strategy: { canary: { steps: [{ setWeight: 10 }] } },
    },
    status: { phase, reason, message: reason, sequence, runStartedAt: RUN, stableRevision: 'r1', canaryRevision: 'r2' },
  } as Rollout;
}

/** One message per new decision, with an id of its own. */
const decisions: Channel = {
  name: 'test',
  messages: (prev: RunSnapshot | undefined, snap: RunSnapshot) =>
    snap.timeline.decisions
      .slice(prev?.timeline.decisions.length ?? 0)
      .map((d) => ({ id: `${snap.key}|${d.reason}`, stream: snap.key, payload: d.reason })),
  deliver: () => Promise.resolve(),
};

/** An outbox that keeps what it was sent and can fail its sends after `failAfter` of them (a crash). */
class RecordingOutbox implements Outbox {
  readonly sent: OutboxMessage[] = [];
  private readonly seen = new Set<string>();
  failAfter = Infinity;
  send(m: OutboxMessage): Promise<boolean> {
    if (this.sent.length >= this.failAfter) return Promise.reject(new Error('killed'));
    if (this.seen.has(m.id)) return Promise.resolve(false);
    this.seen.add(m.id);
    this.sent.push(m);
    return Promise.resolve(true);
  }
  start(): Promise<void> {
    return Promise.resolve();
  }
  deadLetters(): Promise<never[]> {
    return Promise.resolve([]);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe('Notifier.catchUp', () => {
  it('observes a status that was written before a crash but never observed', async () => {
    const store = new MemoryRunStore();
    const outbox = new RecordingOutbox();
    const notifier = new Notifier(store, outbox, [decisions], log);
    await notifier.observe(rollout(1, 'NewRevision'));
    // the controller wrote sequence 2 (WeightSet) and was killed before observing it
    await notifier.catchUp(rollout(2, 'WeightSet'));
    await notifier.catchUp(rollout(2, 'WeightSet'));
    expect(outbox.sent.map((m) => m.payload)).toEqual(['NewRevision', 'WeightSet']);
  });

  it('queues again the messages of an observation a crash interrupted, without duplicates', async () => {
    const store = new MemoryRunStore();
    const outbox = new RecordingOutbox();
    const notifier = new Notifier(store, outbox, [decisions], log);
    await notifier.observe(rollout(1, 'NewRevision'));
    outbox.failAfter = 1; // the process dies while queueing
    await expect(notifier.observe(rollout(2, 'Promoted', 'Healthy'))).rejects.toThrow('killed');
    outbox.failAfter = Infinity;
    await notifier.catchUp(rollout(2, 'Promoted', 'Healthy'));
    await notifier.catchUp(rollout(2, 'Promoted', 'Healthy'));
    expect(outbox.sent.map((m) => m.payload)).toEqual(['NewRevision', 'Promoted']);
  });

  it('does nothing when every observation was queued', async () => {
    const store = new MemoryRunStore();
    const outbox = new RecordingOutbox();
    const notifier = new Notifier(store, outbox, [decisions], log);
    await notifier.observe(rollout(1, 'NewRevision'));
    await notifier.catchUp(rollout(1, 'NewRevision'));
    expect(outbox.sent).toHaveLength(1);
  });
});
