/**
 * Events to any system, end to end: a run's decisions arrive as CloudEvents 1.0 at a local
 * receiver — the Rollout's own webhook (signed with HMAC-SHA256 from its Secret) and the
 * controller-wide --event-webhook — exactly once per decision (no event lost, none repeated)
 * across a controller restart in the middle of the run, the outbox on Redis.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import type { Controller } from '../../src/controller/controller.js';
import { EventsChannel, SIGNATURE_HEADER, signature } from '../../src/notify/events/channel.js';
import { Notifier } from '../../src/notify/notifier.js';
import { RedisRunStore } from '../../src/notify/run-store.js';
import { RedisOutbox } from '../../src/queue/outbox.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually, root } from '../sandbox/helpers.js';
import {
  installPodinfo,
  newController,
  startControllerSandbox,
  type ControllerSandbox,
} from '../controller/harness.js';
import { testRedis, type TestRedis } from '../support/redis.js';

const exec = promisify(execFile);
const log = pino({ level: 'silent' });
const SECRET = 'hmac-key-of-the-team';
let redis: TestRedis;
let receiver: Server;
let receiverUrl: string;
let h: ControllerSandbox;
let sb: Sandbox;
let second: Controller | undefined;
const received: { path: string; body: any; signature?: string; contentType?: string }[] = [];
const rawBodies: string[] = [];

const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const status = (): any =>
  sb.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', 'podinfo')?.status ?? {};
const at = (path: string): any[] => received.filter((r) => r.path === path).map((r) => r.body);
const typesAt = (path: string): string[] => at(path).map((e) => (e.type as string).replace('dev.sluice.rollout.', ''));

/** A controller whose notifier delivers events through the outbox on the test's Redis. */
function reporting(s: Sandbox): { reporting: any } {
  const kube = kubeClients(loadKubeConfig(s.kubeconfig, 'sluice-controller/test'));
  const events = new EventsChannel({ kube, log, url: `${receiverUrl}/all` });
  const outbox = new RedisOutbox({ url: redis.url, log, backoffMs: 200, maxBackoffMs: 1000 });
  return {
    reporting: { github: undefined, notifier: new Notifier(new RedisRunStore(redis.url, log), outbox, [events], log) },
  };
}

beforeAll(async () => {
  redis = await testRedis();
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      rawBodies.push(body);
      const sig = req.headers[SIGNATURE_HEADER.toLowerCase()];
      received.push({
        path: req.url ?? '',
        body: JSON.parse(body),
        ...(typeof sig === 'string' ? { signature: sig } : {}),
        ...(req.headers['content-type'] === undefined ? {} : { contentType: req.headers['content-type'] }),
      });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  h = await startControllerSandbox(
    (s) => {
      sb = s;
      installPodinfo(s.server.api, [{ setWeight: 20 }, { pause: {} }, { setWeight: 60 }]);
      s.server.api.create(type('', 'secrets'), 'demo', {
        metadata: { name: 'events-hmac' },
        stringData: { secret: SECRET },
      });
      const r = structuredClone(s.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', 'podinfo'));
      (r as any).spec.notifications = { webhook: { url: `${receiverUrl}/team`, secretRef: { name: 'events-hmac' } } };
      s.server.api.update({ type: type('sluice.dev', 'rollouts'), namespace: 'demo', name: 'podinfo' }, r);
    },
    { controller: reporting },
  );
  await eventually('Healthy', () => status().phase === 'Healthy', 30_000);
}, 60_000);

afterAll(async () => {
  await second?.stop();
  await h.stop();
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  await redis.stop();
});

describe('CloudEvents', () => {
  it('delivers each decision of a run once to each webhook, across a controller restart', async () => {
    sb.server.api.patch({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, 'strategic', {
      spec: { template: { spec: { containers: [{ name: 'podinfo', image: 'ghcr.io/stefanprodan/podinfo:6.9.0' }] } } },
    });
    await eventually('at the gate', () => status().reason === 'WaitingForPromotion', 30_000);
    await eventually('the pause announced', () => typesAt('/team').includes('paused'), 15_000);
    // a restart in the middle of the run: a new controller, a new notifier, the same Redis
    await h.controller.stop();
    second = newController(sb, reporting(sb));
    await second.start();
    const { stdout } = await exec(
      process.execPath,
      [join(root, 'bin/sluice.js'), 'promote', 'podinfo', '-n', 'demo', '--kubeconfig', sb.kubeconfig, '--no-wait'],
      { timeout: 60_000 },
    );
    expect(stdout).toMatch(/promote/);
    await eventually('promoted', () => status().reason === 'Promoted', 60_000);
    await eventually(
      'the promotion announced to both',
      () => typesAt('/team').includes('promoted') && typesAt('/all').includes('promoted'),
      20_000,
    );
    const run = status().runStartedAt as string;
    for (const path of ['/team', '/all']) {
      const events = at(path);
      // exactly once: no id twice
      expect(new Set(events.map((e) => e.id)).size, path).toBe(events.length);
      expect(typesAt(path), path).toEqual(
        expect.arrayContaining(['started', 'weight.set', 'paused', 'command.received', 'promoted']),
      );
      expect(typesAt(path).filter((t) => t === 'started')).toHaveLength(1);
      expect(typesAt(path).filter((t) => t === 'promoted')).toHaveLength(1);
      for (const e of events)
        expect(e).toMatchObject({
          specversion: '1.0',
          source: '/apis/sluice.dev/v1alpha1/namespaces/demo/rollouts/podinfo',
          subject: status().stableRevision,
          datacontenttype: 'application/json',
          data: { namespace: 'demo', name: 'podinfo', run },
        });
    }
    expect(at('/team').find((e) => e.type === 'dev.sluice.rollout.command.received').data).toMatchObject({
      action: 'promote',
      accepted: true,
    });
    expect(at('/all').map((e) => e.id)).toEqual(at('/team').map((e) => e.id));
    // the Rollout's own webhook is signed with its Secret; the controller-wide one without a secret is not
    received.forEach((r, i) => {
      expect(r.contentType).toMatch(/^application\/cloudevents\+json/);
      if (r.path === '/team') expect(r.signature).toBe(signature(SECRET, rawBodies[i] ?? ''));
      else expect(r.signature).toBeUndefined();
    });
  }, 150_000);
});
