/**
 * ChatOps end to end: `sluice controller` (queue, outbox and run store on the sandbox's Redis)
 * with --webhook-listen, GitHub credentials pointing at the fake GitHub, and signed
 * issue_comment deliveries built from @octokit/webhooks-examples.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/sandbox/processes/child.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { startSandbox } from '../../src/sandbox/sandbox.js';
import { eventually, root } from '../sandbox/helpers.js';
import { installPodinfo } from '../controller/harness.js';
import { FakeGitHub } from '../support/fake-github.js';
import { commentPayload, SECRET, signed } from './fixtures.js';
import { parse } from 'yaml';
import { readFileSync } from 'node:fs';
import { CRD_FILES } from '../../src/api/crd.js';

const SHA = 'e'.repeat(40);
const fake = new FakeGitHub();
let sb: Sandbox;
let controller: ChildProcess;
let hook = '';
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);
const rollout = (): any => sb.server.api.store.get(type('sluice.dev', 'rollouts').storageKey, 'demo', 'podinfo');
const status = (): any => rollout()?.status ?? {};
const repliesTo = (user: string): string[] =>
  fake.comments
    .filter((c) => c.issue === 12 && c.body.startsWith(`<!-- sluice:reply -->\n@${user} `))
    .map((c) => c.body);

async function comment(
  body: string,
  user: string,
  extra: Parameters<typeof commentPayload>[0] = { body },
): Promise<{ status: number; headers: Record<string, string>; raw: string }> {
  const { payload, commentId } = commentPayload({ ...extra, body, user });
  fake.foreignComments.add(commentId);
  const { raw, headers } = await signed(payload);
  const res = await fetch(hook, { method: 'POST', headers, body: raw });
  return { status: res.status, headers, raw };
}

beforeAll(async () => {
  fake.addRepo('example-org/podinfo', { commits: [SHA], pulls: { 12: [SHA] } });
  fake.permissions.set('alice', 'write');
  fake.permissions.set('bob', 'read');
  await fake.start();
  sb = await startSandbox({ prometheus: false, readyDelayMs: 100 });
  const api = sb.server.api;
  for (const f of CRD_FILES)
    api.create(
      type('apiextensions.k8s.io', 'customresourcedefinitions'),
      undefined,
      parse(readFileSync(join(root, 'crds', f), 'utf8')),
    );
  installPodinfo(api, [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: { duration: '120s' } }], (d) => {
    d.spec.template.metadata.annotations = {
      'sluice.dev/github-repository': 'example-org/podinfo',
      'sluice.dev/commit': SHA,
      'sluice.dev/pull-request': '12',
    };
  });
  const port = await freePort();
  hook = `http://127.0.0.1:${port}/webhooks/github`;
  const out = openSync(join(sb.dir, 'controller.log'), 'a');
  controller = spawn(
    process.execPath,
    [
      join(root, 'bin/sluice.js'),
      'controller',
      '--kubeconfig',
      sb.kubeconfig,
      '--redis-url',
      sb.redis!,
      '--listen',
      '127.0.0.1:0',
      '--webhook-listen',
      `127.0.0.1:${port}`,
      '--github-api-url',
      fake.url,
    ],
    {
      stdio: ['ignore', out, out],
      env: {
        ...process.env,
        SLUICE_GITHUB_TOKEN: 'test-token',
        SLUICE_GITHUB_WEBHOOK_SECRET: SECRET,
        SLUICE_LOG_LEVEL: 'debug',
      },
    },
  );
  await eventually('Healthy', () => status().phase === 'Healthy', 30_000);
  await eventually(
    'webhook up',
    async () => (await fetch(hook, { method: 'POST', body: '{}' }).catch(() => undefined))?.status === 401,
    10_000,
  );
  sb.server.api.patch({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, 'strategic', {
    spec: { template: { spec: { containers: [{ name: 'podinfo', image: 'ghcr.io/stefanprodan/podinfo:6.7.1' }] } } },
  });
  await eventually('at the gate', () => status().reason === 'WaitingForPromotion', 30_000);
}, 120_000);
afterAll(async () => {
  controller.kill('SIGKILL');
  await sb.stop();
  await fake.stop();
});

describe('ChatOps on the pull request', () => {
  it('refuses a read-only user with a reply and changes nothing', async () => {
    const r = await comment('/sluice promote', 'bob');
    expect(r.status).toBe(202);
    await eventually('a reply to bob', () => repliesTo('bob').length === 1, 15_000);
    expect(repliesTo('bob')[0]).toContain(
      'not permitted: `/sluice promote` needs write permission on example-org/podinfo',
    );
    expect(status().reason).toBe('WaitingForPromotion');
    expect(status().commands ?? []).toEqual([]);
    expect(fake.reactions.some((x) => x.content === 'eyes')).toBe(true);
  }, 30_000);

  it('answers a bad signature with 401, a 2 MiB body with 413, a comment on an issue with 2xx, and changes nothing', async () => {
    const { payload } = commentPayload({ body: '/sluice promote', user: 'alice' });
    const { raw, headers } = await signed(payload, 'wrong-secret');
    expect((await fetch(hook, { method: 'POST', headers, body: raw })).status).toBe(401);
    const big = await signed({ ...payload, padding: 'x'.repeat(2 * 1024 * 1024) });
    expect((await fetch(hook, { method: 'POST', headers: big.headers, body: big.raw })).status).toBe(413);
    expect((await comment('/sluice promote', 'alice', { body: '', onPullRequest: false })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 1500));
    expect(status().reason).toBe('WaitingForPromotion');
    expect(status().commands ?? []).toEqual([]);
  }, 30_000);

  it('lets a writer promote past the gate; a replay of that delivery is ignored', async () => {
    const r = await comment('/sluice promote', 'alice');
    expect(r.status).toBe(202);
    await eventually('past the gate', () => status().canaryWeight === 50 && status().reason === 'PauseStep', 15_000);
    expect(status().commands).toEqual([
      expect.objectContaining({ action: 'promote', user: 'alice', source: 'github', handledAt: expect.any(String) }),
    ]);
    await eventually(
      'a reply to alice',
      () => repliesTo('alice').some((b) => b.includes('`/sluice promote` for `demo/podinfo`: ')),
      15_000,
    );
    const replay = await fetch(hook, { method: 'POST', headers: r.headers, body: r.raw });
    expect(replay.status).toBe(200);
    await new Promise((res) => setTimeout(res, 1000));
    expect(status().commands).toHaveLength(1);
  }, 40_000);

  it('aborts a running canary within 2 s, with an Event naming the user and the comment', async () => {
    const sent = Date.now();
    await comment('/sluice abort error budget spent', 'alice');
    await eventually('rolled back', () => status().phase === 'RolledBack', 10_000);
    expect(Date.now() - sent).toBeLessThan(2000);
    expect(status().reason).toBe('Aborted');
    const events = sb.server.api.store.list(type('events.k8s.io', 'events').storageKey, 'demo') as any[]; // stored in core/v1 form
    const chat = events.filter((e) => e.reason === 'ChatOpsCommand');
    expect(chat.map((e) => e.message)).toContainEqual(
      expect.stringMatching(
        /^alice commented "\/sluice abort error budget spent" on https:\/\/github\.com\/example-org\/podinfo\/pull\/12#issuecomment-\d+$/,
      ),
    );
    await eventually(
      'a reply with the outcome',
      () => repliesTo('alice').some((b) => b.includes('`/sluice abort` for `demo/podinfo`')),
      15_000,
    );
    expect(fake.invalid()).toEqual([]);
  }, 30_000);
});
