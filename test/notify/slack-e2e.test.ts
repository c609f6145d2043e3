/**
 * Slack reporting end to end: the sandbox with real Prometheus, the controller posting through
 * @slack/web-api to a fake Slack that speaks Slack's request format. One root message per run,
 * updated in place, with a thread of decisions; 429 bursts delay, never duplicate; an unknown
 * channel is a condition and an Event, and the rollout completes.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Notifier } from '../../src/notify/notifier.js';
import { MemoryRunStore } from '../../src/notify/run-store.js';
import { SlackChannel } from '../../src/notify/slack/channel.js';
import { slackWebApi } from '../../src/notify/slack/web-api.js';
import { MemoryOutbox } from '../../src/queue/memory-outbox.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { installAnalysedPodinfo, startControllerSandbox, type ControllerSandbox } from '../controller/harness.js';
import { eventually } from '../sandbox/helpers.js';
import { FakeSlack } from '../support/fake-slack.js';

const fake = new FakeSlack();
let sb: Sandbox;
let harness: ControllerSandbox | undefined;
const log =
  process.env['SLUICE_TEST_LOG'] === undefined
    ? pino({ level: 'silent' })
    : pino({ level: 'debug' }, pino.destination(process.env['SLUICE_TEST_LOG']));
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const rollout = (): any => sb.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', 'podinfo');
const status = (): any => rollout()?.status ?? {};
let image = 1;

/** Releases a new image with this error rate; resolves with the run's start (runStartedAt). */
async function release(errorRate: string): Promise<string> {
  const before = status().runStartedAt;
  sb.server.api.patch({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, 'strategic', {
    spec: {
      template: {
        spec: {
          containers: [
            {
              name: 'podinfo',
              image: `ghcr.io/stefanprodan/podinfo:6.8.${image++}`,
              env: [{ name: 'SANDBOX_ERROR_RATE', value: errorRate }],
            },
          ],
        },
      },
    },
  });
  return eventually(
    'a new run',
    () => (status().runStartedAt !== before ? (status().runStartedAt as string) : undefined),
    20_000,
  );
}

beforeAll(async () => {
  await fake.start();
  harness = await startControllerSandbox(
    (s) => {
      sb = s;
      installAnalysedPodinfo(s.server.api, { SANDBOX_ERROR_RATE: '0.001', SANDBOX_P99_MS: '100' });
    },
    {
      sandbox: { prometheus: true, rps: 100 },
      controller: (s) => {
        const store = new MemoryRunStore();
        const outbox = new MemoryOutbox({ log, backoffMs: 200, maxBackoffMs: 2000, maxAttempts: 1000 });
        const slack = new SlackChannel(slackWebApi('xoxb-test-token', { slackApiUrl: fake.url, log }), store, log, {
          coalesceMs: 1000,
          onProblem: (k) => harness?.controller.enqueue(k),
        });
        return {
          prometheusUrl: s.prometheus,
          reporting: { github: undefined, notifier: new Notifier(store, outbox, [slack], log), slack: {} },
        };
      },
    },
  );
  await eventually('Healthy', () => status().phase === 'Healthy', 30_000);
}, 90_000);
afterAll(async () => {
  await harness?.stop();
  await fake.stop();
});

function threadReasons(ts: string): string[] {
  return fake.thread(ts).map((m) => /\*(\w+)\*/.exec(m.text)?.[1] ?? m.text);
}

describe('Slack reporting', () => {
  it('posts one message for a good run, updates it in place, and threads its decisions', async () => {
    const count = fake.roots().length;
    await release('0.001');
    await eventually('promoted', () => status().reason === 'Promoted', 90_000);
    await eventually(
      'the final state in Slack',
      () =>
        /Promoted/.test(fake.roots()[count]?.text ?? '') && threadReasons(fake.roots()[count]!.ts).includes('Promoted'),
      20_000,
    );
    expect(fake.roots()).toHaveLength(count + 1);
    const root = fake.roots()[count]!;
    expect(root.channel).toBe('C0DEPLOYS');
    expect(root.updates).toBeGreaterThan(0);
    expect(JSON.stringify(root.blocks)).toContain('ghcr.io/stefanprodan/podinfo:6.8.1');
    expect(threadReasons(root.ts)).toEqual(
      expect.arrayContaining(['NewRevision', 'WeightSet', 'AnalysisRunning', 'Promoting', 'Promoted']),
    );
    expect(status().conditions.find((c: any) => c.type === 'SlackReporting')).toMatchObject({ status: 'True' });
    expect(fake.invalid()).toEqual([]);
  }, 150_000);

  it('posts one message for a bad run, with the failing check and the rollback in its thread', async () => {
    const count = fake.roots().length;
    await release('0.2');
    // Under a loaded machine the mesh sends fewer requests and thin windows are not judged: allow up to 100 s (the progress deadline is 120 s).
    await eventually('rolled back', () => status().phase === 'RolledBack', 100_000);
    await eventually(
      'the rollback in Slack',
      () => threadReasons(fake.roots()[count]?.ts ?? '-').includes('AnalysisFailed'),
      20_000,
    );
    expect(fake.roots()).toHaveLength(count + 1);
    const texts = fake.thread(fake.roots()[count]!.ts).map((m) => m.text);
    expect(texts.some((t) => /^:warning: \*error-rate\* failed: error-rate [\d.]+ &gt; 0\.01/.test(t))).toBe(true);
    expect(/Rolled back/.test(fake.roots()[count]!.text)).toBe(true);
  }, 150_000);

  it('delivers everything after a burst of 429s, nothing twice', async () => {
    const count = fake.roots().length;
    fake.rateLimitFor(8000);
    await release('0.001');
    await eventually('promoted', () => status().reason === 'Promoted', 90_000);
    await eventually(
      'delivered',
      () =>
        threadReasons(fake.roots()[count]?.ts ?? '-').includes('Promoted') &&
        /Promoted/.test(fake.roots()[count]?.text ?? ''),
      60_000,
    );
    expect(fake.requests.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    expect(fake.roots()).toHaveLength(count + 1);
    const texts = fake.thread(fake.roots()[count]!.ts).map((m) => m.text);
    expect(new Set(texts).size).toBe(texts.length);
  }, 150_000);

  it('says why when the channel does not exist, once, and completes the rollout', async () => {
    const current = rollout();
    sb.server.api.patch({ type: type('sluice.dev', 'rollouts'), namespace: 'demo', name: 'podinfo' }, 'merge', {
      metadata: { resourceVersion: current.metadata.resourceVersion },
      spec: { notifications: { slack: { channel: '#nope' } } },
    });
    await release('0.001');
    await eventually(
      'the condition',
      () => status().conditions?.find((c: any) => c.type === 'SlackReporting')?.reason === 'channel_not_found',
      30_000,
    );
    await eventually('promoted anyway', () => status().reason === 'Promoted', 90_000);
    expect(status().conditions.find((c: any) => c.type === 'SlackReporting')).toMatchObject({
      status: 'False',
      message: expect.stringContaining('Slack answered channel_not_found for #nope'),
    });
    const events = (sb.server.api.store.list(type('events.k8s.io', 'events').storageKey, 'demo') as any[]).filter(
      (e) => e.reason === 'NotificationFailed',
    );
    expect(events).toHaveLength(1);
  }, 150_000);
});
