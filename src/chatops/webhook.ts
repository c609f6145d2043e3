/**
 * `POST /webhooks/github` on --webhook-listen. The raw body (at most 1 MiB, else 413) is
 * checked against `X-Hub-Signature-256` with the webhook secret (constant time) before anything
 * is parsed: a missing or wrong signature is 401. `issue_comment` `created` on a pull request
 * whose first line is a `/sluice` command is queued and answered 202 at once; everything else
 * gets a 2xx and is ignored. The work happens in the queue (handler.ts).
 *
 * Replays: X-GitHub-Delivery is not signed, so a captured delivery could come again under a new
 * id. What is signed decides instead: a comment is acted on once (its repository and comment id
 * are the idempotency key), and only while it is fresh (created at most 10 minutes ago).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { verify } from '@octokit/webhooks-methods';
import type { Logger } from 'pino';
import { parseComment } from './parse.js';

export const MAX_BODY = 1024 * 1024;
/** Comments older than this are not acted on: a late or replayed delivery. */
export const MAX_COMMENT_AGE_MS = 10 * 60_000;
export const WEBHOOK_PATH = '/webhooks/github';

/** What the queue needs of a comment. */
export interface CommentJob {
  delivery: string;
  repository: string;
  pullRequest: number;
  commentId: number;
  commentUrl: string;
  body: string;
  user: string;
  /** When the comment was made (ms since the epoch), from the signed payload. */
  createdAt: number;
}

/** A comment's idempotency key: it is acted on once, whatever delivery brings it. */
export function jobKey(job: Pick<CommentJob, 'repository' | 'commentId'>): string {
  return `${job.repository}#${job.commentId}`;
}

export interface WebhookDeps {
  secret: string;
  /** Queues the job; false when its comment (jobKey) was queued before (a replay). */
  accept(job: CommentJob): Promise<boolean>;
  log: Logger;
  now?: () => number;
}

export interface Answer {
  status: number;
  body: { message: string };
}

const answer = (status: number, message: string): Answer => ({ status, body: { message } });

type Json = Record<string, unknown>;
const obj = (v: unknown): Json | undefined =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : undefined;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const int = (v: unknown): number | undefined =>
  typeof v === 'number' && Number.isSafeInteger(v) && v > 0 ? v : undefined;

/** Why a well-formed issue_comment is not acted on, or undefined when it is. */
function ignored(p: Json, issue: Json, body: string, user: Json): string | undefined {
  if (p['action'] !== 'created') return `action ${String(p['action'])} is not acted on`;
  if (obj(issue['pull_request']) === undefined) return 'a comment on an issue, not on a pull request';
  if (user['type'] === 'Bot') return 'a comment by a bot';
  if (body.includes('<!-- sluice:')) return "Sluice's own comment";
  if (parseComment(body).kind === 'none') return 'not a /sluice command';
  return undefined;
}

/** The job in an issue_comment payload, or why it is not one to act on. */
export function commentJob(delivery: string, payload: unknown): CommentJob | string {
  const p = obj(payload);
  const issue = obj(p?.['issue']);
  const comment = obj(p?.['comment']);
  const user = obj(comment?.['user']);
  if (p === undefined || issue === undefined || comment === undefined || user === undefined)
    return 'not an issue_comment payload';
  const body = str(comment['body']) ?? '';
  const why = ignored(p, issue, body, user);
  if (why !== undefined) return why;
  const fields = {
    repository: str(obj(p['repository'])?.['full_name']),
    pullRequest: int(issue['number']),
    commentId: int(comment['id']),
    user: str(user['login']),
  };
  if (Object.values(fields).some((v) => v === undefined)) return 'repository, issue number, comment id or user missing';
  const createdAt = Date.parse(str(comment['created_at']) ?? '');
  if (Number.isNaN(createdAt)) return 'comment.created_at missing or not a time';
  return {
    delivery,
    ...(fields as Pick<CommentJob, 'repository' | 'pullRequest' | 'commentId' | 'user'>),
    commentUrl: str(comment['html_url']) ?? '',
    body: body.slice(0, 10_000),
    createdAt,
  };
}

/** Handles one delivery (headers lower-cased, the raw body as received). */
export async function handleDelivery(
  headers: Record<string, string | undefined>,
  raw: string,
  deps: WebhookDeps,
): Promise<Answer> {
  const signature = headers['x-hub-signature-256'];
  if (
    signature === undefined ||
    !/^sha256=[0-9a-f]{64}$/.test(signature) ||
    !(await verify(deps.secret, raw, signature).catch(() => false))
  )
    return answer(401, 'X-Hub-Signature-256 is missing or does not match the webhook secret');
  const event = headers['x-github-event'];
  const delivery = headers['x-github-delivery'];
  if (delivery === undefined || delivery === '' || delivery.length > 100)
    return answer(400, 'X-GitHub-Delivery is missing');
  if (event === 'ping') return answer(200, 'pong');
  if (event !== 'issue_comment') return answer(202, `event ${event ?? '?'} ignored`);
  let payload: unknown;
  try {
    payload = JSON.parse(raw);
  } catch {
    return answer(400, 'the body is not JSON');
  }
  const job = commentJob(delivery, payload);
  if (typeof job === 'string') return answer(202, `ignored: ${job}`);
  const age = (deps.now ?? Date.now)() - job.createdAt;
  if (age > MAX_COMMENT_AGE_MS)
    return answer(
      202,
      `ignored: comment ${job.commentId} was made ${Math.round(age / 60_000)} minutes ago; commands older than ${MAX_COMMENT_AGE_MS / 60_000} minutes are not acted on (a late or replayed delivery)`,
    );
  if (!(await deps.accept(job)))
    return answer(200, `comment ${job.commentId} (delivery ${delivery}) was received before; ignored`);
  deps.log.info(
    { delivery, repository: job.repository, pullRequest: job.pullRequest, user: job.user },
    'ChatOps command queued',
  );
  return answer(202, 'queued');
}

function send(res: ServerResponse, a: Answer): void {
  res.writeHead(a.status, { 'Content-Type': 'application/json' }).end(JSON.stringify(a.body));
}

/** Past the limit the rest is read and dropped (so the client gets its 413), up to 8 MiB; then the connection is cut. */
const DRAIN_LIMIT = 8 * MAX_BODY;

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > DRAIN_LIMIT) {
      req.destroy();
      return undefined;
    }
    if (size <= MAX_BODY) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY ? undefined : Buffer.concat(chunks).toString('utf8');
}

export function webhookServer(deps: WebhookDeps): Server {
  return createServer((req, res) => {
    if (req.url !== WEBHOOK_PATH || req.method !== 'POST') {
      send(res, answer(req.url === WEBHOOK_PATH ? 405 : 404, `POST ${WEBHOOK_PATH} only`));
      return;
    }
    void readBody(req).then(
      async (raw) => {
        if (raw === undefined) {
          send(res, answer(413, `the body is larger than ${MAX_BODY} bytes`));
          return;
        }
        const headers = Object.fromEntries(
          Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v[0] : v]),
        );
        const a = await handleDelivery(headers, raw, deps);
        const seen = {
          event: headers['x-github-event'],
          delivery: headers['x-github-delivery']?.slice(0, 100),
          status: a.status,
          answer: a.body.message,
        };
        // A wrong signature is a forged delivery or a webhook secret that differs from GitHub's.
        if (a.status === 401)
          deps.log.warn(
            seen,
            'webhook delivery refused: check that --github-webhook-secret is the secret of the GitHub webhook',
          );
        else deps.log.debug(seen, 'webhook delivery answered');
        send(res, a);
      },
      (err: unknown) => {
        deps.log.warn({ err: (err as Error).message }, 'webhook request failed');
        if (!res.headersSent) send(res, answer(500, 'internal error'));
      },
    );
  });
}
