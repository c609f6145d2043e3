/**
 * SlackApi on @slack/web-api: requests form-encoded with `blocks` as JSON, as Slack expects;
 * on a 429 the client waits Retry-After and tries again (twice), then the outbox retries with
 * backoff. `ok: false` answers become SlackPlatformError with Slack's error code.
 */
import slack from '@slack/web-api';
import type { Logger } from 'pino';
import { observed, type RequestObserver } from '../../telemetry/requests.js';
import { SlackPlatformError, type SlackApi } from './channel.js';

/** The metadata event type of Sluice's messages (its payload: the outbox message id). */
const METADATA_EVENT = 'sluice_message';

function logger(log: Logger): slack.Logger {
  const l = log.child({ component: 'slack' });
  return {
    debug: (...m: unknown[]) => l.debug(m.map(String).join(' ')),
    info: (...m: unknown[]) => l.debug(m.map(String).join(' ')),
    warn: (...m: unknown[]) => l.warn(m.map(String).join(' ')),
    error: (...m: unknown[]) => l.warn(m.map(String).join(' ')),
    setLevel: () => undefined,
    getLevel: () => slack.LogLevel.DEBUG,
    setName: () => undefined,
  };
}

/** The status of a failed call: HTTP status, Slack's error code (ok: false), or undefined when no answer came. */
function failureCode(e: unknown): number | string | undefined {
  const err = e as { code?: string; statusCode?: number; data?: { error?: string } };
  if (err.code === slack.ErrorCode.PlatformError) return err.data?.error ?? 'platform_error';
  if (err.code === slack.ErrorCode.HTTPError) return err.statusCode;
  if (err.code === slack.ErrorCode.RateLimitedError) return 429;
  return undefined;
}

async function call<T>(method: string, observer: RequestObserver | undefined, fn: () => Promise<T>): Promise<T> {
  try {
    return await observed(observer, 'slack', method, fn, (r) => ('ok' in r ? 200 : failureCode(r.error)));
  } catch (e) {
    const err = e as { code?: string; data?: { error?: string } };
    if (err.code === slack.ErrorCode.PlatformError && typeof err.data?.error === 'string')
      throw new SlackPlatformError(err.data.error);
    throw e;
  }
}

export function slackWebApi(
  token: string,
  opts: { slackApiUrl?: string; log: Logger; observer?: RequestObserver },
): SlackApi {
  const client = new slack.WebClient(token, {
    ...(opts.slackApiUrl === undefined
      ? {}
      : { slackApiUrl: opts.slackApiUrl.endsWith('/') ? opts.slackApiUrl : `${opts.slackApiUrl}/` }),
    retryConfig: { retries: 2, factor: 2, minTimeout: 500, maxTimeout: 5000 },
    rejectRateLimitedCalls: false,
    logger: logger(opts.log),
  });
  return {
    postMessage: (m) =>
      call('chat.postMessage', opts.observer, async () => {
        const metadata =
          m.id === undefined ? {} : { metadata: { event_type: METADATA_EVENT, event_payload: { id: m.id } } };
        const r = await client.chat.postMessage({
          channel: m.channel,
          text: m.text,
          ...(m.blocks === undefined ? {} : { blocks: m.blocks as never }),
          ...(m.thread_ts === undefined ? {} : { thread_ts: m.thread_ts }),
          ...metadata,
          unfurl_links: false,
        });
        return { channel: r.channel ?? m.channel, ts: r.ts ?? '' };
      }),
    update: (m) =>
      call('chat.update', opts.observer, async () => {
        await client.chat.update({ channel: m.channel, ts: m.ts, text: m.text, blocks: m.blocks as never });
      }),
    findPosted: (q) =>
      call(q.thread_ts === undefined ? 'conversations.history' : 'conversations.replies', opts.observer, async () => {
        const common = {
          channel: q.channel,
          include_all_metadata: true,
          limit: 200,
          ...(q.oldest === undefined ? {} : { oldest: q.oldest }),
        };
        const r =
          q.thread_ts === undefined
            ? await client.conversations.history(common)
            : await client.conversations.replies({ ...common, ts: q.thread_ts });
        return (r.messages ?? []).find(
          (msg) =>
            msg.metadata?.event_type === METADATA_EVENT &&
            (msg.metadata.event_payload as Record<string, unknown> | undefined)?.['id'] === q.id,
        )?.ts;
      }),
  };
}
