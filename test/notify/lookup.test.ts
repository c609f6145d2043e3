/** A failed GitHub lookup is tried again after 5 s, doubling to a minute, and the waiting rollouts get a pass then. */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../src/api/schema/rollout.js';
import type { GitHubApi } from '../../src/notify/github/api.js';
import { ReleaseLookup, retryAfterMs } from '../../src/notify/github/lookup.js';

const SHA = 'a'.repeat(40);
const rollout = {
  metadata: {
    name: 'app',
    namespace: 'demo',
    annotations: { 'sluice.dev/github-repository': 'org/app', 'sluice.dev/commit': SHA },
  },
  spec: { targetRef: { name: 'app' } },
} as unknown as Rollout;
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ReleaseLookup', () => {
  it('waits 5, 10, 20, 40 s, then a minute between attempts', () => {
    expect([1, 2, 3, 4, 5, 6, 10].map(retryAfterMs)).toEqual([5000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000]);
  });

  it('retries a failed lookup when its time comes and passes the waiting rollout again', async () => {
    let now = 0;
    let failures = 2;
    let calls = 0;
    const github = {
      pullRequestOf: () => (calls++, failures-- > 0 ? Promise.reject(new Error('HTTP 502')) : Promise.resolve(7)),
    } as unknown as GitHubApi;
    const passes: string[][] = [];
    const timers: { at: number; fn: () => void }[] = [];
    const lookup = new ReleaseLookup(
      github,
      (keys) => passes.push(keys),
      pino({ level: 'silent' }),
      () => now,
      (fn, ms) => timers.push({ at: now + ms, fn }),
    );
    expect(lookup.observe(rollout, undefined).condition.reason).toBe('LookingUp');
    await settle();
    expect(lookup.observe(rollout, undefined).condition.reason).toBe('LookupFailed');
    expect(timers.map((t) => t.at)).toEqual([5000]);
    now = 4999;
    lookup.observe(rollout, undefined);
    expect(calls).toBe(1);
    now = 5000;
    timers[0]!.fn();
    expect(passes.at(-1)).toEqual(['demo/app']);
    lookup.observe(rollout, undefined);
    await settle();
    expect(calls).toBe(2);
    expect(timers.map((t) => t.at)).toEqual([5000, 15_000]);
    now = 15_000;
    lookup.observe(rollout, undefined);
    await settle();
    expect(lookup.observe(rollout, undefined).release?.pullRequest).toBe(7);
    expect(calls).toBe(3);
  });

  it('takes the full SHA and pull request the status recorded before a restart, without asking GitHub', async () => {
    let calls = 0;
    const github = {
      commitSha: () => (calls++, Promise.resolve(SHA)),
      pullRequestOf: () => (calls++, Promise.resolve(9)),
    } as unknown as GitHubApi;
    const lookup = new ReleaseLookup(github, () => undefined, pino({ level: 'silent' }));
    const short = {
      ...rollout,
      metadata: {
        ...rollout.metadata,
        annotations: { ...rollout.metadata.annotations, 'sluice.dev/commit': SHA.slice(0, 7) },
      },
    } as Rollout;
    const recorded = {
      ...short,
      status: { release: { repository: 'org/app', source: 'annotations', commit: SHA, pullRequest: 7 } },
    } as unknown as Rollout;
    const seen = lookup.observe(recorded, undefined);
    expect([seen.condition.reason, seen.release?.commit, seen.release?.pullRequest]).toEqual(['Reporting', SHA, 7]);
    await settle();
    expect(calls).toBe(0);
    // What the status recorded of another commit or repository is not taken.
    const other = {
      ...short,
      metadata: {
        ...short.metadata,
        annotations: { ...short.metadata.annotations, 'sluice.dev/commit': 'b'.repeat(7) },
      },
    } as Rollout;
    expect(lookup.observe({ ...other, status: recorded.status }, undefined).condition.reason).toBe('LookingUp');
    const elsewhere = {
      ...recorded,
      status: { release: { ...recorded.status?.release, repository: 'org/other' } },
    } as unknown as Rollout;
    expect(
      new ReleaseLookup(github, () => undefined, pino({ level: 'silent' })).observe(elsewhere, undefined).condition
        .reason,
    ).toBe('LookingUp');
    // A status without a pull request may have been written while a lookup was under way.
    const noPr = {
      ...recorded,
      status: { release: { ...recorded.status?.release, pullRequest: undefined } },
    } as unknown as Rollout;
    expect(
      new ReleaseLookup(github, () => undefined, pino({ level: 'silent' })).observe(noPr, undefined).condition.reason,
    ).toBe('LookingUp');
  });
});
