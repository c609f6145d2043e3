/**
 * The release of a Rollout's target, with what GitHub says about its commit (full SHA, pull
 * request). Lookups never hold up a pass: the first pass that needs one starts it and sees the
 * release as "looking up"; when GitHub answers, `onAnswer` asks for another pass. Answers are
 * kept; a failed lookup is tried again after 5 s, doubling to a minute, and the rollouts that
 * wait for it get a pass then (a short GitHub outage must not hold reports back for long, and a
 * run that ended meanwhile still gets its reports). What the Rollout's status already records
 * for the same commit (its full SHA and pull request, found before a restart) counts as an
 * answer: a restarted controller neither asks GitHub again for every rollout nor shows a
 * release that lost its pull request while it asks.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Release } from '../../api/schema/rollout-status.js';
import type { Rollout } from '../../api/schema/rollout.js';
import { releaseOf, resolveRelease, type Found, type ReleaseObservation } from '../release.js';
import { repoOf, type GitHubApi } from './api.js';

const RETRY_FIRST_MS = 5_000;
const RETRY_MAX_MS = 60_000;
const RECHECK_NO_PR_MS = 5 * 60_000;
const MAX_KEPT = 10_000;

type Entry =
  | { kind: 'pending' }
  | { kind: 'found'; found: Found; at: number }
  | { kind: 'failed'; error: string; at: number; attempts: number };

/** When a lookup that failed `attempts` times in a row is tried again. */
export function retryAfterMs(attempts: number): number {
  return Math.min(RETRY_MAX_MS, RETRY_FIRST_MS * 2 ** Math.max(0, attempts - 1));
}

function sourcesOf(rollout: Rollout, target: V1Deployment | undefined): Parameters<typeof releaseOf>[0] {
  const template = target?.spec?.template;
  return {
    rollout,
    templateAnnotations: template?.metadata?.annotations,
    images: (template?.spec?.containers ?? []).map((c) => c.image ?? ''),
  };
}

export class ReleaseLookup {
  private readonly entries = new Map<string, Entry>();
  /** The rollouts (namespace/name) waiting for each lookup. */
  private readonly waiting = new Map<string, Set<string>>();

  constructor(
    private readonly github: GitHubApi | undefined,
    /** Told which rollouts to pass again once GitHub answered. */
    private readonly onAnswer: (rollouts: string[]) => void,
    private readonly log: Logger,
    private readonly clock: () => number = Date.now,
    /** Runs `fn` after `ms` (a timer that does not keep the process alive). */
    private readonly schedule: (fn: () => void, ms: number) => void = (fn, ms) => void setTimeout(fn, ms).unref(),
  ) {}

  observe(rollout: Rollout, target: V1Deployment | undefined): ReleaseObservation {
    const src = sourcesOf(rollout, target);
    const own = releaseOf(src);
    if (this.github === undefined || 'problem' in own || own.release.commit === undefined)
      return resolveRelease(src, { configured: this.github !== undefined });
    this.remember(own.release.repository, own.release.commit, rollout.status?.release);
    const entry = this.entry(own.release.repository, own.release.commit, own.release.pullRequest !== undefined);
    if (entry.kind === 'pending') {
      const key = `${own.release.repository}@${own.release.commit}`;
      this.waiting.set(
        key,
        (this.waiting.get(key) ?? new Set()).add(`${rollout.metadata.namespace ?? ''}/${rollout.metadata.name}`),
      );
    }
    switch (entry.kind) {
      case 'pending':
        return resolveRelease(src, { configured: true });
      case 'found':
        return resolveRelease(src, { configured: true, found: entry.found });
      case 'failed':
        return resolveRelease(src, { configured: true, lookupError: entry.error });
    }
  }

  /**
   * Takes what the status recorded of repository@commit when nothing is known yet: a full SHA
   * and its pull request, found before. (A status without a pull request may have been written
   * while a lookup was under way: that one is looked up.)
   */
  private remember(repository: string, commit: string, recorded: Release | undefined): void {
    const key = `${repository}@${commit}`;
    if (
      this.entries.has(key) ||
      recorded?.repository !== repository ||
      recorded.pullRequest === undefined ||
      recorded.commit?.length !== 40 ||
      !recorded.commit.startsWith(commit)
    )
      return;
    this.keep(key, {
      kind: 'found',
      found: { sha: recorded.commit, pullRequest: recorded.pullRequest },
      at: this.clock(),
    });
  }

  /** What is known about repository@commit, starting a lookup when nothing (current) is. */
  private entry(repository: string, commit: string, hasPr: boolean): Entry {
    const key = `${repository}@${commit}`;
    const now = this.clock();
    const known = this.entries.get(key);
    const stale =
      known === undefined ||
      (known.kind === 'failed' && now - known.at >= retryAfterMs(known.attempts)) ||
      (known.kind === 'found' && !hasPr && known.found.pullRequest === undefined && now - known.at > RECHECK_NO_PR_MS);
    if (!stale) return known;
    // A full SHA with a known pull request needs no lookup at all.
    if (commit.length === 40 && hasPr) return { kind: 'found', found: { sha: commit }, at: now };
    if (known?.kind !== 'found') this.entries.set(key, { kind: 'pending' });
    void this.look(key, repository, commit, known?.kind === 'failed' ? known.attempts : 0);
    return known ?? { kind: 'pending' };
  }

  private async look(key: string, repository: string, commit: string, failedBefore: number): Promise<void> {
    const github = this.github;
    if (github === undefined) return;
    const r = repoOf(repository);
    try {
      const sha = commit.length === 40 ? commit : await github.commitSha(r, commit);
      const pullRequest = await github.pullRequestOf(r, sha);
      this.keep(key, {
        kind: 'found',
        found: { sha, ...(pullRequest === undefined ? {} : { pullRequest }) },
        at: this.clock(),
      });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      this.log.warn({ repository, commit, err: error }, 'GitHub lookup failed');
      const attempts = failedBefore + 1;
      this.keep(key, { kind: 'failed', error: error.slice(0, 200), at: this.clock(), attempts });
      const again = [...(this.waiting.get(key) ?? [])];
      this.schedule(() => this.onAnswer(again), retryAfterMs(attempts));
    }
    const waiting = [...(this.waiting.get(key) ?? [])];
    this.waiting.delete(key);
    this.onAnswer(waiting);
  }

  private keep(key: string, entry: Entry): void {
    this.entries.delete(key);
    this.entries.set(key, entry);
    const oldest = this.entries.keys().next().value;
    if (this.entries.size > MAX_KEPT && oldest !== undefined) this.entries.delete(oldest);
  }
}
