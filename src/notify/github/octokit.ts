/**
 * GitHubApi on Octokit: a token or a GitHub App installation, any API URL (GitHub Enterprise),
 * throttling (waits out primary and secondary rate limits twice, then leaves retrying to the
 * outbox) and retries of server errors. Octokit's own logging goes to the controller's log.
 */
import { createAppAuth } from '@octokit/auth-app';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import { Octokit } from '@octokit/rest';
import type { Logger } from 'pino';
import { VERSION } from '../../version.js';
import { observed, type RequestObserver } from '../../telemetry/requests.js';
import { newest, PermanentGitHubError, type CommitState, type GitHubApi, type Repo } from './api.js';

export type GitHubAuth = { token: string } | { appId: string; privateKey: string; installationId: number };

export interface OctokitOptions {
  auth: GitHubAuth;
  /** e.g. https://github.example.com/api/v3 (default https://api.github.com). */
  baseUrl?: string;
  log: Logger;
  /** Retries of a 5xx within one delivery (the outbox retries after that). */
  retries?: number;
  /** Told of every request (the controller's metrics). */
  observer?: RequestObserver;
}

const Client = Octokit.plugin(throttling, retry);
type ClientType = InstanceType<typeof Client>;

function client(o: OctokitOptions): ClientType {
  const log = o.log.child({ component: 'github' });
  const auth = 'token' in o.auth ? { auth: o.auth.token } : { authStrategy: createAppAuth, auth: o.auth };
  const gh = new Client({
    ...auth,
    ...(o.baseUrl === undefined ? {} : { baseUrl: o.baseUrl.replace(/\/$/, '') }),
    userAgent: `sluice-controller/${VERSION}`,
    log: {
      debug: (m: string) => log.debug(m),
      info: (m: string) => log.debug(m),
      warn: (m: string) => log.warn(m),
      error: (m: string) => log.warn(m),
    },
    request: { retries: o.retries ?? 2, retryAfter: 1 },
    throttle: {
      onRateLimit: (retryAfter: number, _opts: unknown, _o: unknown, retryCount: number) =>
        retryCount < 2 && retryAfter <= 60,
      onSecondaryRateLimit: (retryAfter: number, _opts: unknown, _o: unknown, retryCount: number) =>
        retryCount < 2 && retryAfter <= 60,
    },
  });
  // each request, retries included; the operation is the route template (e.g. POST /repos/{owner}/{repo}/statuses/{sha})
  gh.hook.wrap('request', (request, options) =>
    observed(
      o.observer,
      'github',
      `${options.method} ${options.url}`,
      async () => request(options),
      (r) => ('ok' in r ? r.ok.status : (r.error as { status?: number }).status),
    ),
  );
  return gh;
}

/** Turns the failures retrying cannot fix into PermanentGitHubError. */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    const status = (e as { status?: number }).status;
    const message = `${what}: ${(e as Error).message}`;
    const rateLimited = status === 403 && /rate limit/i.test((e as Error).message);
    if (status !== undefined && [400, 401, 403, 404, 410, 422].includes(status) && !rateLimited)
      throw new PermanentGitHubError(message, status);
    throw new Error(message, { cause: e });
  }
}

export function octokitApi(o: OctokitOptions): GitHubApi {
  const gh = client(o);
  return {
    commitSha: (r: Repo, ref: string) =>
      call(`commit ${ref}`, async () => (await gh.rest.repos.getCommit({ ...r, ref, per_page: 1 })).data.sha),
    pullRequestOf: (r: Repo, sha: string) =>
      call(`pull requests of ${sha}`, async () => {
        const prs = (await gh.rest.repos.listPullRequestsAssociatedWithCommit({ ...r, commit_sha: sha, per_page: 100 }))
          .data;
        return (prs.find((p) => p.merge_commit_sha === sha) ?? prs.find((p) => p.state === 'open') ?? prs[0])?.number;
      }),
    setCommitStatus: (r, sha, s) =>
      call(`status of ${sha}`, async () => {
        await gh.rest.repos.createCommitStatus({
          ...r,
          sha,
          state: s.state,
          context: s.context,
          description: s.description.slice(0, 140),
          ...(s.targetUrl === undefined ? {} : { target_url: s.targetUrl }),
        });
      }),
    latestCommitStatus: (r, sha, context) =>
      call(
        `statuses of ${sha}`,
        async () =>
          newest(
            (await gh.rest.repos.listCommitStatusesForRef({ ...r, ref: sha, per_page: 100 })).data.filter(
              (s) => s.context === context,
            ),
          )?.state as CommitState | undefined,
      ),
    latestDeploymentStatus: (r, id) =>
      call(
        `statuses of deployment ${id}`,
        async () =>
          newest((await gh.rest.repos.listDeploymentStatuses({ ...r, deployment_id: id, per_page: 100 })).data)?.state,
      ),
    findDeployment: (r, sha, environment, run) =>
      call('deployments', async () => {
        const list = (await gh.rest.repos.listDeployments({ ...r, sha, environment, per_page: 100 })).data;
        return list.find(
          (d) =>
            (typeof d.payload === 'object' ? (d.payload as Record<string, unknown>)['sluiceRun'] : undefined) === run,
        )?.id;
      }),
    createDeployment: (r, d) =>
      call('create deployment', async () => {
        const res = await gh.rest.repos.createDeployment({
          ...r,
          ref: d.sha,
          environment: d.environment,
          description: d.description,
          payload: { sluiceRun: d.run },
          auto_merge: false,
          required_contexts: [],
          transient_environment: false,
          production_environment: false,
        });
        if (!('id' in res.data))
          throw new Error(
            `create deployment: GitHub answered ${res.status} without a deployment: ${JSON.stringify(res.data)}`,
          );
        return res.data.id;
      }),
    setDeploymentStatus: (r, id, s) =>
      call(`status of deployment ${id}`, async () => {
        await gh.rest.repos.createDeploymentStatus({
          ...r,
          deployment_id: id,
          state: s.state,
          description: s.description.slice(0, 140),
          environment: s.environment,
        });
      }),
    findComment: (r, pr, marker) =>
      call(`comments of #${pr}`, async () => {
        for await (const page of gh.paginate.iterator(gh.rest.issues.listComments, {
          ...r,
          issue_number: pr,
          per_page: 100,
        })) {
          const found = page.data.find((c) => c.body?.includes(marker) === true);
          if (found !== undefined) return found.id;
        }
        return undefined;
      }),
    createComment: (r, pr, body) =>
      call(
        `comment on #${pr}`,
        async () => (await gh.rest.issues.createComment({ ...r, issue_number: pr, body })).data.id,
      ),
    react: (r, id, content) =>
      call(`reaction on comment ${id}`, async () => {
        await gh.rest.reactions.createForIssueComment({ ...r, comment_id: id, content });
      }),
    permission: (r, user) =>
      call(`permission of ${user}`, async () => {
        try {
          const data = (await gh.rest.repos.getCollaboratorPermissionLevel({ ...r, username: user })).data;
          return data.role_name === 'maintain' ? 'maintain' : data.permission;
        } catch (e) {
          if ((e as { status?: number }).status === 404) return 'none';
          throw e;
        }
      }),
    updateComment: (r, id, body) =>
      call(`comment ${id}`, async () => {
        await gh.rest.issues.updateComment({ ...r, comment_id: id, body });
      }),
  };
}
