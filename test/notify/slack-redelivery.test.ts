/**
 * Slack takes no idempotency key: a message an attempt that died may have posted is looked for
 * (by the outbox id in its metadata) before it is posted again — the root message after a crash
 * between its post and the saving of its ts, a thread reply on a redelivery.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxMessage } from '../../src/queue/outbox.js';
import { MemoryRunStore } from '../../src/notify/run-store.js';
import type { RunSnapshot } from '../../src/notify/run-report.js';
import { SlackChannel, type SlackApi } from '../../src/notify/slack/channel.js';
import { slackWebApi } from '../../src/notify/slack/web-api.js';
import { newTimeline } from '../../src/notify/timeline.js';
import { FakeSlack } from '../support/fake-slack.js';

const log = pino({ level: 'silent' });
const fake = new FakeSlack();
beforeAll(async () => fake.start());
afterAll(() => fake.stop());

const snapshot = (name: string, channel: string): RunSnapshot => ({
  key: `demo/${name}@t`,
  namespace: 'demo',
  name,
  steps: [{ setWeight: 10 }],
  status: { phase: 'Progressing', reason: 'WeightSet', canaryWeight: 10, currentStepIndex: 0, runStartedAt: 't' },
  slack: { channel },
  timeline: newTimeline(`demo/${name}`, 1),
});
const reply = (snap: RunSnapshot, text: string, redelivery?: boolean): OutboxMessage => ({
  id: `${snap.key}|slack|reply|${text}`,
  stream: `slack|${snap.key}`,
  channel: 'slack',
  payload: { kind: 'reply', run: snap.key, text },
  ...(redelivery === undefined ? {} : { redelivery }),
});

describe('Slack redeliveries', () => {
  it('does not post a thread reply again when a redelivery finds it in the thread', async () => {
    const store = new MemoryRunStore();
    const channel = new SlackChannel(slackWebApi('xoxb-test-token', { slackApiUrl: fake.url, log }), store, log);
    const snap = snapshot('replies', 'C0DEPLOYS');
    await store.saveSnapshot(snap);
    await channel.deliver(reply(snap, 'first'));
    await channel.deliver(reply(snap, 'first', true));
    await channel.deliver(reply(snap, 'second', true));
    const root = fake.roots().find((m) => m.text.startsWith('demo/replies'));
    expect(fake.thread(root?.ts ?? '-').map((m) => m.text)).toEqual(['first', 'second']);
    expect(fake.invalid()).toEqual([]);
  });

  it('finds a root message posted by an attempt that died before saving its ts', async () => {
    const store = new MemoryRunStore();
    const api = slackWebApi('xoxb-test-token', { slackApiUrl: fake.url, log });
    let die = true;
    const dying: SlackApi = {
      ...api,
      postMessage: async (m) => {
        const posted = await api.postMessage(m);
        if (die && m.thread_ts === undefined) throw new Error('killed after Slack took the root');
        return posted;
      },
    };
    const channel = new SlackChannel(dying, store, log);
    // a first run tells the controller the id of #deploys
    const known = snapshot('known', '#deploys');
    await store.saveSnapshot(known);
    die = false;
    await channel.deliver(reply(known, 'hello'));
    die = true;
    const snap = snapshot('root', '#deploys');
    await store.saveSnapshot(snap);
    await expect(channel.deliver(reply(snap, 'one'))).rejects.toThrow(/killed/);
    die = false;
    await channel.deliver(reply(snap, 'one', true));
    const roots = fake.roots().filter((m) => m.text.startsWith('demo/root'));
    expect(roots).toHaveLength(1);
    expect(fake.thread(roots[0]?.ts ?? '-').map((m) => m.text)).toEqual(['one']);
  });
});
