/** The Octokit client against the fake GitHub: App authentication, permanent failures, and the run store on Redis. */
import { generateKeyPairSync } from 'node:crypto';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PermanentGitHubError } from '../../src/notify/github/api.js';
import { octokitApi } from '../../src/notify/github/octokit.js';
import { RedisRunStore } from '../../src/notify/run-store.js';
import { newTimeline } from '../../src/notify/timeline.js';
import { FakeGitHub } from '../support/fake-github.js';
import { testRedis, type TestRedis } from '../support/redis.js';

const log = pino({ level: 'silent' });
const fake = new FakeGitHub();
const SHA = 'd'.repeat(40);

beforeAll(async () => {
  fake.addRepo('org/app', { commits: [SHA], pulls: { 5: [SHA] } });
  await fake.start();
});
afterAll(() => fake.stop());

describe('GitHub client', () => {
  it('authenticates as a GitHub App installation and uses the installation token', async () => {
    const { privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const api = octokitApi({ auth: { appId: '123', privateKey, installationId: 77 }, baseUrl: fake.url, log });
    await api.setCommitStatus({ owner: 'org', repo: 'app' }, SHA, {
      state: 'pending',
      context: 'sluice/demo/app',
      description: 'Canary at 10%',
    });
    expect(await api.pullRequestOf({ owner: 'org', repo: 'app' }, SHA)).toBe(5);
    const tokenRequest = fake.requests.find((r) => r.operationId === 'apps/create-installation-access-token');
    expect(tokenRequest?.path).toBe('/app/installations/77/access_tokens');
    expect(tokenRequest?.authorization).toMatch(/^bearer [\w-]+\.[\w-]+\.[\w-]+$/i);
    expect(fake.requests.find((r) => r.operationId === 'repos/create-commit-status')?.authorization).toBe(
      'token ghs_installation77',
    );
    expect(fake.invalid()).toEqual([]);
  });

  it('reads the newest commit status of a context and the newest deployment status (to check a redelivery)', async () => {
    const api = octokitApi({ auth: { token: 't' }, baseUrl: fake.url, log });
    const r = { owner: 'org', repo: 'app' };
    expect(await api.latestCommitStatus(r, SHA, 'sluice/demo/other')).toBeUndefined();
    await api.setCommitStatus(r, SHA, { state: 'pending', context: 'sluice/demo/other', description: 'Canary at 10%' });
    await api.setCommitStatus(r, SHA, { state: 'failure', context: 'sluice/demo/other', description: 'Rolled back' });
    await api.setCommitStatus(r, SHA, { state: 'pending', context: 'sluice/demo/third', description: 'Canary at 10%' });
    expect(await api.latestCommitStatus(r, SHA, 'sluice/demo/other')).toBe('failure');
    const id = await api.createDeployment(r, {
      sha: SHA,
      environment: 'kubernetes/demo',
      description: 'x',
      run: 'demo/other@t',
    });
    expect(await api.latestDeploymentStatus(r, id)).toBeUndefined();
    await api.setDeploymentStatus(r, id, { state: 'in_progress', description: 'x', environment: 'kubernetes/demo' });
    await api.setDeploymentStatus(r, id, { state: 'success', description: 'x', environment: 'kubernetes/demo' });
    expect(await api.latestDeploymentStatus(r, id)).toBe('success');
    expect(fake.invalid()).toEqual([]);
  });

  it('turns failures retrying cannot fix into permanent errors, and completes short commits', async () => {
    const api = octokitApi({ auth: { token: 't' }, baseUrl: fake.url, log });
    await expect(api.createComment({ owner: 'org', repo: 'missing' }, 1, 'x')).rejects.toBeInstanceOf(
      PermanentGitHubError,
    );
    expect(await api.commitSha({ owner: 'org', repo: 'app' }, 'ddddddd')).toBe(SHA);
  });
});

describe('run store on Redis', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await testRedis(false);
  });
  afterAll(() => redis.stop());
  it('keeps snapshots and channel state between instances (replicas, restarts)', async () => {
    const a = new RedisRunStore(redis.url, log, 'test:runs:');
    const snap = {
      key: 'demo/app@t',
      namespace: 'demo',
      name: 'app',
      steps: [],
      status: { phase: 'Progressing' as const },
      timeline: newTimeline('demo/app', 1),
    };
    await a.saveSnapshot(snap);
    await a.saveState('github', snap.key, { commentId: 9 });
    const b = new RedisRunStore(redis.url, log, 'test:runs:');
    expect(await b.snapshot(snap.key)).toEqual(snap);
    expect(await b.state('github', snap.key)).toEqual({ commentId: 9 });
    expect(await b.state('slack', snap.key)).toEqual({});
    // A snapshot saved with a state writes both.
    await a.saveSnapshot(
      { ...snap, status: { phase: 'Paused' as const } },
      { channel: 'unqueued', value: { from: null } },
    );
    expect((await b.snapshot(snap.key))?.status.phase).toBe('Paused');
    expect(await b.state('unqueued', snap.key)).toEqual({ from: null });
    await a.close();
    await b.close();
  });
});
