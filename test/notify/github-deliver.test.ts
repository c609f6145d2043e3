/** GitHub statuses have no idempotency key: a redelivered status already in place is not posted again. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { GitHubApi } from '../../src/notify/github/api.js';
import { GitHubDelivery } from '../../src/notify/github/deliver.js';
import { MemoryRunStore } from '../../src/notify/run-store.js';
import { newTimeline } from '../../src/notify/timeline.js';

const SHA = 'e'.repeat(40);
const run = 'demo/app@t';

async function setup(latest: {
  commit?: string;
  deployment?: string;
}): Promise<{ delivery: GitHubDelivery; posted: string[] }> {
  const posted: string[] = [];
  const api = {
    findDeployment: () => Promise.resolve(7),
    latestCommitStatus: () => Promise.resolve(latest.commit),
    latestDeploymentStatus: () => Promise.resolve(latest.deployment),
    setCommitStatus: (_r: unknown, _sha: string, s: { state: string }) => (
      posted.push(`status ${s.state}`),
      Promise.resolve()
    ),
    setDeploymentStatus: (_r: unknown, _id: number, s: { state: string }) => (
      posted.push(`deployment-status ${s.state}`),
      Promise.resolve()
    ),
  } as unknown as GitHubApi;
  const store = new MemoryRunStore();
  await store.saveSnapshot({
    key: run,
    namespace: 'demo',
    name: 'app',
    steps: [],
    status: { phase: 'RolledBack' },
    release: { repository: 'org/app', commit: SHA, pullRequest: 3, source: 'annotations' },
    timeline: newTimeline('demo/app', 1),
  });
  return { delivery: new GitHubDelivery(api, store, pino({ level: 'silent' }), { cluster: 'c' }), posted };
}

const message = (payload: object, redelivery?: boolean): Parameters<GitHubDelivery['deliver']>[0] => ({
  id: 'x',
  stream: 's',
  channel: 'github',
  payload: { run, description: 'd', ...payload },
  ...(redelivery === undefined ? {} : { redelivery }),
});

describe('GitHub delivery of statuses', () => {
  it('posts a status on a first delivery without reading, and on a redelivery only when the newest differs', async () => {
    const { delivery, posted } = await setup({ commit: 'failure', deployment: 'failure' });
    await delivery.deliver(message({ kind: 'status', state: 'failure' }));
    await delivery.deliver(message({ kind: 'status', state: 'failure' }, true));
    await delivery.deliver(message({ kind: 'deployment-status', state: 'failure' }, true));
    await delivery.deliver(message({ kind: 'status', state: 'pending' }, true));
    await delivery.deliver(message({ kind: 'deployment-status', state: 'in_progress' }, true));
    expect(posted).toEqual(['status failure', 'status pending', 'deployment-status in_progress']);
  });
});
