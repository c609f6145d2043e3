/**
 * A local fake of Slack's Web API (chat.postMessage with message metadata, chat.update,
 * conversations.history and conversations.replies, which take channel ids only) that speaks the real request
 * format — POST, application/x-www-form-urlencoded, `blocks` as a JSON string, a Bearer token —
 * and checks it, keeps the messages and threads, and can answer 429 with Retry-After or
 * platform errors (`ok: false` with an error code) the way Slack does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks: unknown[] | undefined;
  threadTs: string | undefined;
  updates: number;
  /** Message metadata as posted (`event_type`, `event_payload`). */
  metadata?: unknown;
}

export interface SlackRequest {
  method: string;
  problems: string[];
  status: number;
}

export class FakeSlack {
  readonly messages: SlackMessage[] = [];
  readonly requests: SlackRequest[] = [];
  /** Channel names (as given) -> ids; others answer channel_not_found. */
  readonly channels = new Map<string, string>([['#deploys', 'C0DEPLOYS']]);
  private rateLimitedUntil = 0;
  private server: Server | undefined;
  private counter = 0;
  url = '';

  /** Answers every call with 429 and Retry-After: 1 for `ms`. */
  rateLimitFor(ms: number): void {
    this.rateLimitedUntil = Date.now() + ms;
  }

  roots(channel?: string): SlackMessage[] {
    return this.messages.filter((m) => m.threadTs === undefined && (channel === undefined || m.channel === channel));
  }

  thread(ts: string): SlackMessage[] {
    return this.messages.filter((m) => m.threadTs === ts);
  }

  invalid(): SlackRequest[] {
    return this.requests.filter((r) => r.problems.length > 0);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const method = (req.url ?? '').replace(/^\/api\//, '').split('?')[0] ?? '';
        const record: SlackRequest = { method, problems: [], status: 200 };
        this.requests.push(record);
        const reply = (status: number, body: unknown, headers: Record<string, string> = {}): void => {
          record.status = status;
          res
            .writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers })
            .end(JSON.stringify(body));
        };
        if (Date.now() < this.rateLimitedUntil) {
          reply(429, { ok: false, error: 'ratelimited' }, { 'Retry-After': '1' });
          return;
        }
        const form = this.check(req.method, req.url ?? '', req.headers, Buffer.concat(chunks).toString('utf8'), record);
        if (record.problems.length > 0) {
          reply(200, { ok: false, error: 'invalid_arguments', problems: record.problems });
          return;
        }
        reply(200, this.call(method, form));
      });
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private check(
    verb: string | undefined,
    method: string,
    headers: Record<string, string | string[] | undefined>,
    raw: string,
    record: SlackRequest,
  ): URLSearchParams {
    if (verb !== 'POST') record.problems.push(`method ${verb ?? '?'}, expected POST`);
    if (!String(headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded'))
      record.problems.push(
        `content-type ${String(headers['content-type'])}, expected application/x-www-form-urlencoded`,
      );
    if (!/^Bearer xox[bp]-/.test(String(headers['authorization'] ?? ''))) record.problems.push('no Bearer token');
    const form = new URLSearchParams(raw);
    if ((form.get('channel') ?? '') === '') record.problems.push('no channel');
    if (!method.startsWith('/api/conversations.') && (form.get('text') ?? '') === '' && form.get('blocks') === null)
      record.problems.push('neither text nor blocks');
    const metadata = form.get('metadata');
    if (metadata !== null) {
      try {
        const m = JSON.parse(metadata) as { event_type?: unknown; event_payload?: unknown };
        if (typeof m.event_type !== 'string' || typeof m.event_payload !== 'object' || m.event_payload === null)
          record.problems.push('metadata needs event_type and event_payload');
      } catch {
        record.problems.push('metadata is not JSON');
      }
    }
    const blocks = form.get('blocks');
    if (blocks !== null) {
      try {
        const parsed = JSON.parse(blocks) as unknown;
        if (!Array.isArray(parsed) || parsed.some((b) => typeof (b as { type?: unknown }).type !== 'string'))
          record.problems.push('blocks is not an array of blocks');
      } catch {
        record.problems.push('blocks is not JSON');
      }
    }
    return form;
  }

  private call(method: string, form: URLSearchParams): unknown {
    const given = form.get('channel') ?? '';
    const channel = this.channels.get(given) ?? ([...this.channels.values()].includes(given) ? given : undefined);
    if (channel === undefined) return { ok: false, error: 'channel_not_found' };
    const blocks = form.get('blocks') === null ? undefined : (JSON.parse(form.get('blocks') ?? '[]') as unknown[]);
    switch (method) {
      case 'chat.postMessage': {
        const threadTs = form.get('thread_ts') ?? undefined;
        if (threadTs !== undefined && !this.messages.some((m) => m.ts === threadTs && m.threadTs === undefined))
          return { ok: false, error: 'thread_not_found' };
        const metadata =
          form.get('metadata') === null ? undefined : (JSON.parse(form.get('metadata') ?? '{}') as unknown);
        const m: SlackMessage = {
          channel,
          ts: `${Math.floor(Date.now() / 1000)}.${String(++this.counter % 1_000_000).padStart(6, '0')}`,
          text: form.get('text') ?? '',
          blocks,
          threadTs,
          updates: 0,
          ...(metadata === undefined ? {} : { metadata }),
        };
        this.messages.push(m);
        return { ok: true, channel, ts: m.ts, message: { text: m.text, ts: m.ts } };
      }
      case 'chat.update': {
        const m = this.messages.find((x) => x.channel === channel && x.ts === form.get('ts'));
        if (m === undefined) return { ok: false, error: 'message_not_found' };
        m.text = form.get('text') ?? m.text;
        m.blocks = blocks ?? m.blocks;
        m.updates++;
        return { ok: true, channel, ts: m.ts, text: m.text };
      }
      case 'conversations.history':
      case 'conversations.replies': {
        // Channel ids only, newest first for history; a thread lists its parent first.
        if (!/^[CG][A-Z0-9]+$/.test(given)) return { ok: false, error: 'channel_not_found' };
        const oldest = Number(form.get('oldest') ?? 0);
        const all = form.get('include_all_metadata') === 'true';
        const thread = form.get('ts');
        const found =
          method === 'conversations.replies'
            ? this.messages.filter((m) => m.channel === channel && (m.ts === thread || m.threadTs === thread))
            : this.messages.filter((m) => m.channel === channel && m.threadTs === undefined).reverse();
        if (method === 'conversations.replies' && found.length === 0) return { ok: false, error: 'thread_not_found' };
        const limit = Number(form.get('limit') ?? 100);
        const messages = found
          .filter((m) => Number(m.ts) >= oldest)
          .slice(0, limit)
          .map((m) => ({
            type: 'message',
            ts: m.ts,
            text: m.text,
            ...(m.threadTs === undefined ? {} : { thread_ts: m.threadTs }),
            ...(all && m.metadata !== undefined ? { metadata: m.metadata } : {}),
          }));
        return { ok: true, messages, has_more: false };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}
