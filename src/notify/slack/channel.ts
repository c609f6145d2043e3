/**
 * The Slack channel of the notifier: one root message per run (chat.postMessage), updated in
 * place (chat.update, coalesced, rendered from the latest snapshot), and a thread reply per
 * decision, failing check and handled command. The message `ts` is kept in the run store, so a
 * restarted controller edits the same message. Slack's platform errors that retrying cannot fix
 * (channel_not_found, not_in_channel, invalid_auth...) are recorded as the rollout's Slack
 * problem — a condition and an Event, once — and the rollout goes on.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { OutboxMessage } from '../../queue/outbox.js';
import type { Channel } from '../notifier.js';
import type { RunSnapshot } from '../run-report.js';
import type { RunStore } from '../run-store.js';
import { decisionCount } from '../timeline.js';
import {
  commandReplies,
  decisionReply,
  failingReply,
  newlyFailing,
  rootMessage,
  shown,
  type SlackContext,
} from './render.js';

/** What Sluice needs of Slack's Web API (the @slack/web-api client in production). */
export interface SlackApi {
  /** `id` goes into the message's metadata, so that a message posted by an attempt that died can be found. */
  postMessage(m: {
    channel: string;
    text: string;
    blocks?: unknown[];
    thread_ts?: string;
    id?: string;
  }): Promise<{ channel: string; ts: string }>;
  update(m: { channel: string; ts: string; text: string; blocks: unknown[] }): Promise<void>;
  /**
   * The ts of the message posted with `id` in a channel (by id) since `oldest`, or in the thread
   * of `thread_ts`; undefined when there is none. Needs a history scope (channels:history,
   * groups:history): without one it throws SlackPlatformError missing_scope.
   */
  findPosted(q: { channel: string; id: string; thread_ts?: string; oldest?: string }): Promise<string | undefined>;
}

/** A Slack answer `ok: false` with this error. */
export class SlackPlatformError extends Error {
  constructor(readonly code: string) {
    super(`Slack answered ${code}`);
    this.name = 'SlackPlatformError';
  }
}

const PERMANENT: Record<string, string> = {
  channel_not_found:
    'the channel does not exist or the bot cannot see it: check spec.notifications.slack.channel (a name like #deploys, or an id)',
  not_in_channel: 'the bot is not a member of the channel: invite it (/invite @your-bot)',
  is_archived: 'the channel is archived',
  invalid_auth: 'the Slack token is not valid: check --slack-token or SLUICE_SLACK_TOKEN',
  not_authed: 'no Slack token was sent',
  account_inactive: 'the Slack token belongs to a deactivated user or app',
  token_revoked: 'the Slack token was revoked',
  missing_scope: 'the Slack token lacks the chat:write scope',
  restricted_action: 'the workspace does not allow the bot to post there',
};

type Payload =
  { kind: 'root'; run: string } | { kind: 'update'; run: string } | { kind: 'reply'; run: string; text: string };

interface SlackRunState {
  channel: string;
  ts: string;
  hash: string;
  at: number;
  /** When posting the root was attempted (set before the post: a crash may follow it). */
  rootAttemptAt?: number;
}

/** Store key of a channel name's id (conversations.* take ids only). */
const CHANNEL_IDS = 'slack-channel-id';
const isChannelId = (c: string): boolean => /^[CGD][A-Z0-9]{6,}$/.test(c);

export interface SlackOptions {
  defaultChannel?: string;
  coalesceMs?: number;
  githubWebUrl?: string;
  /** Told when a rollout's Slack problem appears or goes away (the controller passes it again). */
  onProblem?: (rollout: string) => void;
}

const CHANNEL = 'slack';

export class SlackChannel implements Channel {
  readonly name = CHANNEL;
  private noHistoryLogged = false;

  constructor(
    private readonly api: SlackApi,
    private readonly store: RunStore,
    private readonly log: Logger,
    private readonly opts: SlackOptions = {},
  ) {}

  private channelOf(snap: RunSnapshot): string | undefined {
    return snap.slack?.channel ?? this.opts.defaultChannel;
  }

  messages(prev: RunSnapshot | undefined, snap: RunSnapshot): { id: string; stream: string; payload: unknown }[] {
    if (this.channelOf(snap) === undefined) return [];
    const run = snap.key;
    const stream = `slack|${run}`;
    const out: { id: string; stream: string; payload: Payload }[] = [];
    const add = (id: string, payload: Payload): void => void out.push({ id: `${run}|slack|${id}`, stream, payload });
    if (prev === undefined) add('root', { kind: 'root', run });
    const view = this.view(snap);
    // By status write, not by view alone: a view seen before (a pause, a resume, the same pause
    // again) must be sent again, and the outbox drops ids it has seen.
    if (prev === undefined || this.view(prev) !== view)
      add(`update|${snap.status.sequence ?? 0}|${view}`, { kind: 'update', run });
    // by position in the whole run: the timeline keeps only the latest 500 decisions
    const dropped = snap.timeline.dropped?.decisions ?? 0;
    const seen = prev === undefined ? 0 : decisionCount(prev.timeline);
    snap.timeline.decisions.forEach((d, i) => {
      if (dropped + i >= seen && shown(d.reason, snap.slack?.severity))
        add(`reply|decision|${dropped + i}|${d.reason}`, { kind: 'reply', run, text: decisionReply(d) });
    });
    for (const m of newlyFailing(prev?.status, snap.status))
      if (shown('AnalysisInconclusive', snap.slack?.severity))
        add(`reply|failing|${m.name}|${m.failed}`, { kind: 'reply', run, text: failingReply(m) });
    for (const c of commandReplies(prev?.status, snap.status))
      add(`reply|command|${c.id}`, { kind: 'reply', run, text: c.text });
    return out;
  }

  private view(snap: RunSnapshot): string {
    return createHash('sha256')
      .update(JSON.stringify(rootMessage(snap, this.context(snap))))
      .digest('hex')
      .slice(0, 16);
  }

  private context(snap: RunSnapshot): SlackContext {
    return {
      ...(snap.images === undefined ? {} : { images: snap.images }),
      ...(snap.slack?.dashboardUrl === undefined ? {} : { dashboardUrl: snap.slack.dashboardUrl }),
      ...(this.opts.githubWebUrl === undefined ? {} : { githubWebUrl: this.opts.githubWebUrl }),
    };
  }

  async deliver(m: OutboxMessage): Promise<void> {
    const p = m.payload as Payload;
    const snap = await this.store.snapshot(p.run);
    const channel = snap === undefined ? undefined : this.channelOf(snap);
    if (snap === undefined || channel === undefined) return;
    const rollout = `${snap.namespace}/${snap.name}`;
    try {
      const root = await this.root(snap, channel, rollout);
      if (p.kind === 'update') await this.update(snap, root);
      // Slack takes no idempotency key: a reply an earlier attempt may have posted is looked for first.
      const again =
        p.kind === 'reply' &&
        m.redelivery === true &&
        (await this.posted(rollout, { channel: root.channel, id: m.id, thread_ts: root.ts })) !== undefined;
      if (p.kind === 'reply' && !again)
        await this.api.postMessage({ channel: root.channel, thread_ts: root.ts, text: p.text, id: m.id });
      await this.setProblem(rollout, undefined);
    } catch (e) {
      if (!(e instanceof SlackPlatformError) || PERMANENT[e.code] === undefined) throw e;
      this.log.warn({ rollout, channel, error: e.code }, 'Slack refused a message; not retrying');
      await this.setProblem(rollout, {
        reason: e.code,
        message: `Slack answered ${e.code} for ${channel}: ${PERMANENT[e.code] ?? ''}.`,
      });
    }
  }

  private async setProblem(rollout: string, problem: { reason: string; message: string } | undefined): Promise<void> {
    const key = `problem:${CHANNEL}`;
    const now = await this.store.state<{ reason: string }>(key, rollout);
    if (now.reason === problem?.reason) return;
    await this.store.saveState(key, rollout, problem ?? {});
    this.opts.onProblem?.(rollout);
  }

  /**
   * The run's root message, posted once. An attempt is marked before the post; after one that
   * may have got through (a crash before its ts was saved) the channel is searched for it first.
   */
  private async root(snap: RunSnapshot, channel: string, rollout: string): Promise<SlackRunState> {
    const state = await this.store.state<SlackRunState>(CHANNEL, snap.key);
    if (state.ts !== undefined && state.channel !== undefined)
      return { channel: state.channel, ts: state.ts, hash: state.hash ?? '', at: state.at ?? 0 };
    const id = `${snap.key}|${CHANNEL}|root`;
    const channelId = isChannelId(channel)
      ? channel
      : (await this.store.state<{ id: string }>(CHANNEL_IDS, channel)).id;
    const earlier =
      state.rootAttemptAt === undefined || channelId === undefined
        ? undefined
        : await this.posted(rollout, {
            channel: channelId,
            id,
            oldest: String(Math.floor(state.rootAttemptAt / 1000) - 60),
          });
    if (earlier !== undefined && channelId !== undefined) {
      const found = { channel: channelId, ts: earlier, hash: '', at: 0 };
      await this.store.saveState(CHANNEL, snap.key, found);
      return found;
    }
    await this.store.saveState(CHANNEL, snap.key, { rootAttemptAt: Date.now() });
    const message = rootMessage(snap, this.context(snap));
    const posted = await this.api.postMessage({ channel, ...message, id });
    const saved = {
      channel: posted.channel,
      ts: posted.ts,
      hash: createHash('sha256').update(JSON.stringify(message)).digest('hex'),
      at: Date.now(),
    };
    await this.store.saveState(CHANNEL, snap.key, saved);
    if (channelId === undefined && posted.channel !== channel)
      await this.store.saveState(CHANNEL_IDS, channel, { id: posted.channel });
    return saved;
  }

  /** The ts of a message an earlier attempt posted, if the token may read history; else undefined (it is posted again). */
  private async posted(
    rollout: string,
    q: { channel: string; id: string; thread_ts?: string; oldest?: string },
  ): Promise<string | undefined> {
    try {
      return await this.api.findPosted(q);
    } catch (e) {
      if (
        !(e instanceof SlackPlatformError) ||
        !['missing_scope', 'not_allowed_token_type', 'channel_not_found', 'not_in_channel'].includes(e.code)
      )
        throw e;
      if (!this.noHistoryLogged)
        this.log.warn(
          { rollout, error: e.code },
          'Slack history cannot be read (add the channels:history and groups:history scopes): a message an attempt that died may have posted is posted again',
        );
      this.noHistoryLogged = true;
      return undefined;
    }
  }

  private async update(first: RunSnapshot, root: SlackRunState): Promise<void> {
    const wait = root.at + (this.opts.coalesceMs ?? 3000) - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const snap = (await this.store.snapshot(first.key)) ?? first;
    const message = rootMessage(snap, this.context(snap));
    const hash = createHash('sha256').update(JSON.stringify(message)).digest('hex');
    const state = await this.store.state<SlackRunState>(CHANNEL, snap.key);
    if (state.hash === hash) return;
    await this.api.update({ channel: root.channel, ts: root.ts, ...message });
    await this.store.saveState(CHANNEL, snap.key, { ...state, ...root, hash, at: Date.now() });
  }
}
