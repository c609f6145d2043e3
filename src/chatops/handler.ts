/**
 * Carries out a queued PR comment command: an "eyes" reaction at once; the pull request mapped
 * to its rollouts through status.release; the commenter's right checked (write permission on
 * the repository, or the Rollout's approvers); the command recorded on the Rollout's status
 * exactly as `sluice promote|abort|...` does (never spec), with an Event naming who, what and
 * the comment; then a reply with the outcome. Refusals say why. A retried job never records its
 * command twice (its id comes from the comment id).
 */
import type { Logger } from 'pino';
import type { Rollout } from '../api/schema/rollout.js';
import type { Command as RolloutCommand } from '../api/schema/rollout-status.js';
import type { Kube } from '../kube/client.js';
import { recordCommand, recordRolloutEvent } from '../kube/rollout-writes.js';
import { PermanentGitHubError, repoOf, type GitHubApi, type Repo } from '../notify/github/api.js';
import { HELP, parseComment, targetOf, type Verb } from './parse.js';
import type { CommentJob } from './webhook.js';
import type { Channel } from '../notify/notifier.js';

export interface ChatOpsDeps {
  api: GitHubApi;
  kube: Kube;
  /** The Rollouts as the controller's informer holds them. */
  rollouts(): readonly Rollout[];
  log: Logger;
  /** How long to wait for the controller to act before replying (default 10 s). */
  waitMs?: number;
}

const WRITERS = new Set(['admin', 'maintain', 'write']);
export const REPLY_MARKER = '<!-- sluice:reply -->';

const keyOf = (r: Rollout): string => `${r.metadata.namespace ?? 'default'}/${r.metadata.name}`;

/** The rollouts whose current release is this pull request. */
export function rolloutsOfPullRequest(
  rollouts: readonly Rollout[],
  repository: string,
  pullRequest: number,
): Rollout[] {
  return rollouts.filter(
    (r) =>
      r.status?.release?.pullRequest === pullRequest &&
      r.status.release.repository.toLowerCase() === repository.toLowerCase(),
  );
}

function statusText(r: Rollout): string {
  const s = r.status;
  const steps = r.spec.strategy.canary.steps.length;
  const step = s?.currentStepIndex === undefined ? '' : `, step ${Math.min(s.currentStepIndex + 1, steps)}/${steps}`;
  const now = `**${s?.phase ?? 'Pending'}**, canary at ${s?.canaryWeight ?? 0}%${step}`;
  return `\`${keyOf(r)}\`: ${now} — ${s?.reason ?? ''}: ${s?.message ?? ''}`;
}

export class ChatOps {
  constructor(private readonly deps: ChatOpsDeps) {}

  async handle(job: CommentJob): Promise<void> {
    const r = repoOf(job.repository);
    await this.deps.api
      .react(r, job.commentId, 'eyes')
      .catch((e: unknown) =>
        this.deps.log.warn({ delivery: job.delivery, err: (e as Error).message }, 'reaction failed'),
      );
    const reply = (text: string): Promise<number> =>
      this.deps.api.createComment(r, job.pullRequest, `${REPLY_MARKER}\n@${job.user} ${text}`);
    const parsed = parseComment(job.body);
    if (parsed.kind === 'none') return;
    if (parsed.kind === 'unknown') {
      await reply(`\`${parsed.word.slice(0, 40)}\` is not a Sluice command.\n\n${HELP}`);
      return;
    }
    if (parsed.verb === 'help') {
      await reply(HELP);
      return;
    }
    const mine = rolloutsOfPullRequest(this.deps.rollouts(), job.repository, job.pullRequest);
    const target = targetOf(parsed.args, mine.map(keyOf));
    switch (target.kind) {
      case 'none':
        await reply(
          `no rollout runs a release of this pull request (Sluice knows a release's pull request from its \`sluice.dev/pull-request\` annotation or from the commit), so there is nothing to ${parsed.verb}.`,
        );
        return;
      case 'ambiguous':
        await reply(
          `this pull request drives several rollouts: ${target.candidates.map((c) => `\`${c}\``).join(', ')}. Name one, e.g. \`/sluice ${parsed.verb} ${target.candidates[0]?.split('/')[1] ?? ''}\`.`,
        );
        return;
      case 'not-found':
        await reply(
          `\`${target.name}\` is not one of this pull request's rollouts: ${target.candidates.map((c) => `\`${c}\``).join(', ')}.`,
        );
        return;
      case 'one':
        break;
    }
    const rollout = mine.find((x) => keyOf(x) === target.rollout);
    if (rollout === undefined) return;
    if (parsed.verb === 'status') {
      await reply(statusText(rollout));
      return;
    }
    if (!(await this.permitted(r, job.user, rollout))) {
      this.deps.log.info(
        { delivery: job.delivery, user: job.user, rollout: target.rollout },
        'ChatOps command refused: no permission',
      );
      await reply(
        `not permitted: \`/sluice ${parsed.verb}\` needs write permission on ${job.repository}, or a place in the Rollout's \`spec.notifications.github.approvers\`. Nothing was changed.`,
      );
      return;
    }
    await this.command(job, rollout, parsed.verb, target.reason, reply);
  }

  private async permitted(r: Repo, user: string, rollout: Rollout): Promise<boolean> {
    if ((rollout.spec.notifications?.github?.approvers ?? []).some((a) => a.toLowerCase() === user.toLowerCase()))
      return true;
    return WRITERS.has(await this.deps.api.permission(r, user));
  }

  private async command(
    job: CommentJob,
    rollout: Rollout,
    verb: Exclude<Verb, 'status' | 'help'>,
    reason: string | undefined,
    reply: (t: string) => Promise<number>,
  ): Promise<void> {
    const id = `gh-${job.commentId}`;
    const ref = { namespace: rollout.metadata.namespace ?? 'default', name: rollout.metadata.name };
    if (!(rollout.status?.commands ?? []).some((c) => c.id === id)) {
      const command: RolloutCommand = {
        id,
        action: verb,
        user: job.user,
        source: 'github',
        at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        ...(reason === undefined ? {} : { reason }),
      };
      await recordCommand(this.deps.kube, ref, command);
      const comment = `/sluice ${[verb, reason].filter((w) => w !== undefined).join(' ')}`;
      const where = job.commentUrl || `${job.repository}#${job.pullRequest}`;
      await recordRolloutEvent(this.deps.kube, rollout, {
        type: 'Normal',
        reason: 'ChatOpsCommand',
        message: `${job.user} commented "${comment}" on ${where}`,
      }).catch((e: unknown) => this.deps.log.warn({ err: (e as Error).message }, 'event not recorded'));
    }
    const handled = await this.outcome(keyOf(rollout), id);
    if (handled === undefined)
      await reply(`\`/sluice ${verb}\` for \`${keyOf(rollout)}\` is recorded; the controller acts on it shortly.`);
    else await reply(`\`/sluice ${verb}\` for \`${keyOf(rollout)}\`: ${handled}`);
  }

  /** The controller's outcome of a command, once it has handled it. */
  private async outcome(rollout: string, id: string): Promise<string | undefined> {
    const deadline = Date.now() + (this.deps.waitMs ?? 10_000);
    for (;;) {
      const c = this.deps
        .rollouts()
        .find((r) => keyOf(r) === rollout)
        ?.status?.commands?.find((x) => x.id === id);
      if (c?.handledAt !== undefined) return c.outcome ?? 'done.';
      if (Date.now() > deadline) return undefined;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Failures GitHub will keep giving are logged, not retried. */
export async function handleJob(chatops: ChatOps, job: CommentJob, log: Logger): Promise<void> {
  try {
    await chatops.handle(job);
  } catch (e) {
    if (!(e instanceof PermanentGitHubError)) throw e;
    log.warn({ delivery: job.delivery, err: e.message }, 'ChatOps reply refused by GitHub; not retrying');
  }
}

/** The ChatOps channel of the notifier's outbox: queued comment commands, in order per pull request. */
export function chatopsChannel(chatops: ChatOps, log: Logger): Channel {
  return { name: 'chatops', messages: () => [], deliver: (m) => handleJob(chatops, m.payload as CommentJob, log) };
}
