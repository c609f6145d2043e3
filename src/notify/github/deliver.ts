/**
 * Delivers GitHub messages from the outbox. Everything is rendered from the run's latest
 * snapshot, so a delayed message carries the latest state. The comment is found again by its
 * hidden marker when its id is not known (a restart, a lost state), so it is never posted twice,
 * and edits are coalesced to at most one per `coalesceMs` per run. A failure GitHub will keep
 * giving (no access, no such repository) is logged and dropped; others are retried by the outbox.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { OutboxMessage } from '../../queue/outbox.js';
import { commentMarker, renderComment } from '../render-markdown.js';
import type { RunSnapshot } from '../run-report.js';
import type { RunStore } from '../run-store.js';
import { PermanentGitHubError, repoOf, type GitHubApi, type Repo } from './api.js';
import { githubMessages, type GitHubPayload } from './messages.js';
import type { Channel } from '../notifier.js';

interface GitHubRunState {
  deploymentId: number;
  commentId: number;
  commentHash: string;
  commentAt: number;
}

export interface GitHubDeliveryOptions {
  /** Names the environment of GitHub deployments: `<cluster>/<namespace>`. */
  cluster: string;
  coalesceMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const CHANNEL = 'github';

export function statusContext(snap: Pick<RunSnapshot, 'namespace' | 'name'>): string {
  return `sluice/${snap.namespace}/${snap.name}`;
}

export class GitHubDelivery {
  constructor(
    private readonly api: GitHubApi,
    private readonly store: RunStore,
    private readonly log: Logger,
    private readonly opts: GitHubDeliveryOptions,
  ) {}

  async deliver(m: OutboxMessage): Promise<void> {
    const p = m.payload as GitHubPayload;
    const snap = await this.store.snapshot(p.run);
    if (snap?.release === undefined) return; // nothing to report on (the run is gone or has no release)
    try {
      await this.send(p, snap, repoOf(snap.release.repository), m.redelivery === true);
    } catch (e) {
      if (!(e instanceof PermanentGitHubError)) throw e;
      this.log.warn(
        { run: p.run, kind: p.kind, status: e.status, err: e.message },
        'GitHub refused a report; not retrying',
      );
    }
  }

  private environment(snap: RunSnapshot): string {
    return snap.environment ?? `${this.opts.cluster}/${snap.namespace}`;
  }

  /**
   * Statuses have no idempotency key in GitHub's API: on a redelivery (an earlier attempt may
   * have got through) the newest status is read first, and one already in that state is not
   * posted again.
   */
  private async send(p: GitHubPayload, snap: RunSnapshot, r: Repo, redelivery: boolean): Promise<void> {
    switch (p.kind) {
      case 'status': {
        const context = statusContext(snap);
        if (redelivery && (await this.api.latestCommitStatus(r, fullSha(snap), context)) === p.state) return;
        await this.api.setCommitStatus(r, fullSha(snap), { state: p.state, context, description: p.description });
        return;
      }
      case 'deployment':
        await this.deployment(snap, r);
        return;
      case 'deployment-status': {
        const id = await this.deployment(snap, r);
        if (redelivery && (await this.api.latestDeploymentStatus(r, id)) === p.state) return;
        await this.api.setDeploymentStatus(r, id, {
          state: p.state,
          description: p.description,
          environment: this.environment(snap),
        });
        return;
      }
      case 'comment':
        await this.comment(snap, r);
        return;
    }
  }

  /** The run's GitHub deployment, made once (found again by its payload after a lost state). */
  private async deployment(snap: RunSnapshot, r: Repo): Promise<number> {
    const state = await this.store.state<GitHubRunState>(CHANNEL, snap.key);
    if (state.deploymentId !== undefined) return state.deploymentId;
    const sha = fullSha(snap);
    const environment = this.environment(snap);
    const id =
      (await this.api.findDeployment(r, sha, environment, snap.key)) ??
      (await this.api.createDeployment(r, {
        sha,
        environment,
        description: `Sluice canary of ${snap.namespace}/${snap.name}`,
        run: snap.key,
      }));
    await this.store.saveState(CHANNEL, snap.key, {
      ...(await this.store.state<GitHubRunState>(CHANNEL, snap.key)),
      deploymentId: id,
    });
    return id;
  }

  private async comment(first: RunSnapshot, r: Repo): Promise<void> {
    const pr = first.release?.pullRequest;
    if (pr === undefined) return; // no pull request (yet): a later update posts it
    let state = await this.store.state<GitHubRunState>(CHANNEL, first.key);
    const wait = (state.commentAt ?? 0) + (this.opts.coalesceMs ?? 3000) - Date.now();
    if (wait > 0)
      await (this.opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))))(wait);
    const snap = (await this.store.snapshot(first.key)) ?? first;
    const body = renderComment(snap);
    const hash = createHash('sha256').update(body).digest('hex');
    state = await this.store.state<GitHubRunState>(CHANNEL, first.key);
    if (state.commentHash === hash) return;
    const marker = commentMarker(snap.namespace, snap.name);
    let id = state.commentId ?? (await this.api.findComment(r, pr, marker));
    if (id === undefined) id = await this.api.createComment(r, pr, body);
    else await this.api.updateComment(r, id, body);
    await this.store.saveState(CHANNEL, snap.key, {
      ...state,
      commentId: id,
      commentHash: hash,
      commentAt: Date.now(),
    });
  }
}

/** Commit statuses and deployments need the full SHA, which the lookup fills in shortly. */
function fullSha(snap: RunSnapshot): string {
  const sha = snap.release?.commit;
  if (sha?.length !== 40)
    throw new Error(`the commit of ${snap.namespace}/${snap.name} is not resolved to a full SHA yet`);
  return sha;
}

/** The GitHub channel of the notifier. */
export function githubChannel(delivery: GitHubDelivery): Channel {
  return { name: CHANNEL, messages: githubMessages, deliver: (m) => delivery.deliver(m) };
}
