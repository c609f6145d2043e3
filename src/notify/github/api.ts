/**
 * What Sluice asks of GitHub, as a small seam: the Octokit implementation (octokit.ts) talks to
 * api.github.com or GitHub Enterprise; tests point it at a fake that checks every request
 * against GitHub's OpenAPI description.
 */

export interface Repo {
  owner: string;
  repo: string;
}

export function repoOf(repository: string): Repo {
  const [owner = '', repo = ''] = repository.split('/', 2);
  return { owner, repo };
}

export type CommitState = 'pending' | 'success' | 'failure' | 'error';
export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive' | 'queued' | 'pending';

/** The newest of a list of GitHub objects (ids grow with time; the API's order is not relied on). */
export function newest<T extends { id: number }>(items: readonly T[]): T | undefined {
  return items.reduce<T | undefined>((a, b) => (a === undefined || b.id > a.id ? b : a), undefined);
}

export interface GitHubApi {
  /** The full SHA of a commit named by a (short) SHA or ref. */
  commitSha(r: Repo, ref: string): Promise<string>;
  /** The pull request a commit belongs to (the one it was merged by, else the first open one). */
  pullRequestOf(r: Repo, sha: string): Promise<number | undefined>;
  setCommitStatus(
    r: Repo,
    sha: string,
    s: { state: CommitState; context: string; description: string; targetUrl?: string },
  ): Promise<void>;
  /** The state of the newest status of the commit in `context`, if any (to check a redelivery). */
  latestCommitStatus(r: Repo, sha: string, context: string): Promise<CommitState | undefined>;
  /** A deployment this run made before (found by its payload), for restarts. */
  findDeployment(r: Repo, sha: string, environment: string, run: string): Promise<number | undefined>;
  createDeployment(r: Repo, d: { sha: string; environment: string; description: string; run: string }): Promise<number>;
  setDeploymentStatus(
    r: Repo,
    id: number,
    s: { state: DeploymentState; description: string; environment: string },
  ): Promise<void>;
  /** The state of the deployment's newest status, if any (to check a redelivery). */
  latestDeploymentStatus(r: Repo, id: number): Promise<DeploymentState | undefined>;
  /** The comment on a pull request that carries `marker`. */
  findComment(r: Repo, pullRequest: number, marker: string): Promise<number | undefined>;
  createComment(r: Repo, pullRequest: number, body: string): Promise<number>;
  updateComment(r: Repo, id: number, body: string): Promise<void>;
  /** Adds a reaction to an issue or PR comment. */
  react(r: Repo, commentId: number, content: 'eyes' | '+1' | 'confused'): Promise<void>;
  /** The user's permission on the repository: admin, maintain, write, triage, read or none. */
  permission(r: Repo, user: string): Promise<string>;
}

/** A failure that retrying will not fix (401, 403 without rate limiting, 404, 422): reported, not retried. */
export class PermanentGitHubError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'PermanentGitHubError';
  }
}
