/**
 * PR comments sent to the controller's webhook while it is killed and restarted and its
 * dependencies fail: signed ones that are no command (review chatter, and commands quoted from
 * an earlier comment, which docs/chatops.md says are not acted on) and forged ones. The webhook
 * secret is in use all through the run, so the secrets scan covers its handling; whenever the
 * controller answers, a signed delivery gets a 2xx and a forged one 401, and a quoted command
 * changes no run (the run checks would see an aborted good release).
 */
import { randomUUID } from 'node:crypto';
import { sign } from '@octokit/webhooks-methods';
import { pullOf, REPO, SECRETS, type World } from './world.js';

export interface WebhookCounts {
  sent: number;
  /** Deliveries the controller answered (it was up). */
  answered: number;
  /** Answers other than the documented ones. */
  wrong: string[];
}

const BODIES = [
  'Looks good to me.',
  'Thanks! Watching the canary.',
  '> /sluice abort\n\nWhy would we abort this?',
  '```\n/sluice promote\n```',
];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function deliver(w: World, round: number, n: number, forged: boolean, counts: WebhookCounts): Promise<void> {
  const app = n % w.apps.length;
  const pr = pullOf(app, round);
  const raw = JSON.stringify({
    action: 'created',
    issue: { number: pr, pull_request: {} },
    comment: {
      id: 500_000 + n,
      body: BODIES[n % BODIES.length],
      user: { login: 'reviewer', type: 'User' },
      created_at: new Date().toISOString(),
      html_url: `https://github.com/${REPO}/pull/${pr}#issuecomment-${500_000 + n}`,
    },
    repository: { full_name: REPO },
  });
  const headers = {
    'content-type': 'application/json',
    'x-github-event': 'issue_comment',
    'x-github-delivery': randomUUID(),
    'x-hub-signature-256': await sign(forged ? 'not-the-webhook-secret' : SECRETS.webhookSecret, raw),
  };
  counts.sent++;
  const res = await fetch(w.webhookUrl, {
    method: 'POST',
    headers,
    body: raw,
    signal: AbortSignal.timeout(5000),
  }).catch(() => undefined);
  if (res === undefined) return; // the controller is down: GitHub would redeliver
  counts.answered++;
  const body = await res.text().catch(() => '');
  const ok = forged ? res.status === 401 : res.status >= 200 && res.status < 300;
  if (!ok)
    counts.wrong.push(`${forged ? 'forged' : 'signed'} delivery ${n} answered ${res.status}: ${body.slice(0, 200)}`);
}

/** About two deliveries a second on the round's pull requests for `windowMs`, every fifth one forged. */
export async function chatter(w: World, round: number, windowMs: number, counts: WebhookCounts): Promise<void> {
  const end = Date.now() + windowMs;
  for (let n = counts.sent; Date.now() < end; n++) {
    await deliver(w, round, n, n % 5 === 4, counts);
    await sleep(500);
  }
}
