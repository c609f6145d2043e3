import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ChatOps } from '../../src/chatops/handler.js';
import type { GitHubApi } from '../../src/notify/github/api.js';

const log = pino({ level: 'silent' });
const rollout = (name: string, approvers: string[] = []): any => ({
  metadata: { name, namespace: 'demo', resourceVersion: '1' },
  spec: {
    strategy: { canary: { steps: [{ setWeight: 10 }, { pause: {} }] } },
    notifications: { github: { repository: 'org/app', approvers } },
  },
  status: {
    phase: 'Paused',
    reason: 'WaitingForPromotion',
    canaryWeight: 10,
    currentStepIndex: 1,
    release: { repository: 'org/app', pullRequest: 7, source: 'annotations' },
  },
});

function world(permissions: Record<string, string>, rollouts: any[]) {
  const writes: string[] = [];
  const replies: string[] = [];
  const api = {
    react: () => Promise.resolve(),
    permission: (_r: unknown, user: string) => Promise.resolve(permissions[user] ?? 'none'),
    createComment: (_r: unknown, _pr: number, body: string) => (replies.push(body), Promise.resolve(1)),
  } as unknown as GitHubApi;
  const kube = {
    custom: {
      getNamespacedCustomObject: ({ name }: { name: string }) =>
        Promise.resolve(rollouts.find((r) => r.metadata.name === name)),
      patchNamespacedCustomObjectStatus: ({ name, body }: { name: string; body: any }) => (
        writes.push(`${name}:${JSON.stringify(body.status.commands.at(-1))}`),
        Promise.resolve({})
      ),
    },
    events: { createNamespacedEvent: () => (writes.push('event'), Promise.resolve({})) },
  } as any;
  const chatops = new ChatOps({ api, kube, rollouts: () => rollouts, log, waitMs: 0 });
  return { chatops, writes, replies };
}

const job = (body: string, user: string) => ({
  delivery: 'd1',
  repository: 'org/app',
  pullRequest: 7,
  commentId: 1,
  commentUrl: 'https://github.com/org/app/pull/7#issuecomment-1',
  body,
  user,
  createdAt: Date.now(),
});

describe('ChatOps handler', () => {
  it('records the command of a writer, or of a listed approver, and nothing for anyone else', async () => {
    const w = world({ alice: 'write', bob: 'read' }, [rollout('app', ['carol'])]);
    await w.chatops.handle(job('/sluice promote', 'bob'));
    expect(w.writes).toEqual([]);
    expect(w.replies[0]).toContain('@bob not permitted');
    await w.chatops.handle(job('/sluice promote', 'carol'));
    await w.chatops.handle({ ...job('/sluice abort too slow', 'alice'), delivery: 'd2', commentId: 2 });
    expect(w.writes.filter((x) => x !== 'event').map((x) => JSON.parse(x.slice(4)))).toEqual([
      expect.objectContaining({ id: 'gh-1', action: 'promote', user: 'carol', source: 'github' }),
      expect.objectContaining({ id: 'gh-2', action: 'abort', user: 'alice', reason: 'too slow' }),
    ]);
  });

  it('asks which rollout when the pull request drives several, and explains unknown commands', async () => {
    const w = world({ alice: 'admin' }, [rollout('app'), rollout('worker')]);
    await w.chatops.handle(job('/sluice pause', 'alice'));
    await w.chatops.handle(job('/sluice deploy now', 'alice'));
    expect(w.writes).toEqual([]);
    expect(w.replies[0]).toContain('several rollouts: `demo/app`, `demo/worker`');
    expect(w.replies[1]).toContain('`deploy` is not a Sluice command');
  });

  it('never changes anything for a user without permission, whatever the comment says', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }),
        fc.constantFrom('promote', 'abort', 'retry', 'pause', 'resume', 'status', 'help', ''),
        async (text, verb) => {
          const w = world({ mallory: 'read' }, [rollout('app'), rollout('worker')]);
          await w.chatops.handle(job(`/sluice ${verb} ${text}`, 'mallory'));
          expect(w.writes).toEqual([]);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
