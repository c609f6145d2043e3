/** issue_comment deliveries built from @octokit/webhooks-examples, on a pull request, signed like GitHub signs them. */
import { createRequire } from 'node:module';
import { sign } from '@octokit/webhooks-methods';

export const SECRET = 'test-webhook-secret';

const require = createRequire(import.meta.url);
const examples = require('@octokit/webhooks-examples') as { name: string; examples: Record<string, any>[] }[];
const created = examples.find((e) => e.name === 'issue_comment')!.examples.find((x) => x.action === 'created')!;

let nextComment = 9_000_000;

export function commentPayload(o: {
  body: string;
  user?: string;
  repository?: string;
  pr?: number;
  onPullRequest?: boolean;
  action?: string;
  bot?: boolean;
  createdAt?: Date;
}): { payload: any; commentId: number } {
  const p = structuredClone(created);
  const [owner = 'example-org', name = 'podinfo'] = (o.repository ?? 'example-org/podinfo').split('/');
  const number = o.pr ?? 12;
  p.action = o.action ?? 'created';
  p.repository.full_name = `${owner}/${name}`;
  p.repository.name = name;
  p.repository.owner.login = owner;
  p.issue.number = number;
  if (o.onPullRequest === false) delete p.issue.pull_request;
  else
    p.issue.pull_request = {
      url: `https://api.github.com/repos/${owner}/${name}/pulls/${number}`,
      html_url: `https://github.com/${owner}/${name}/pull/${number}`,
      diff_url: `https://github.com/${owner}/${name}/pull/${number}.diff`,
      patch_url: `https://github.com/${owner}/${name}/pull/${number}.patch`,
    };
  const commentId = nextComment++;
  p.comment.id = commentId;
  p.comment.body = o.body;
  p.comment.created_at = p.comment.updated_at = (o.createdAt ?? new Date()).toISOString().replace(/\.\d+Z$/, 'Z');
  p.comment.html_url = `https://github.com/${owner}/${name}/pull/${number}#issuecomment-${commentId}`;
  p.comment.user.login = o.user ?? 'octocat';
  p.comment.user.type = o.bot === true ? 'Bot' : 'User';
  p.sender.login = p.comment.user.login;
  return { payload: p, commentId };
}

export async function signed(
  payload: unknown,
  secret = SECRET,
): Promise<{ raw: string; headers: Record<string, string> }> {
  const raw = JSON.stringify(payload);
  return {
    raw,
    headers: {
      'x-hub-signature-256': await sign(secret, raw),
      'x-github-event': 'issue_comment',
      'x-github-delivery': crypto.randomUUID(),
      'content-type': 'application/json',
    },
  };
}
