/** The controller's reporting flags: GitHub credentials and API URL, the cluster name; building the notifier from them. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { GitHubApi } from '../notify/github/api.js';
import { GitHubDelivery, githubChannel } from '../notify/github/deliver.js';
import { octokitApi, type GitHubAuth } from '../notify/github/octokit.js';
import { Notifier } from '../notify/notifier.js';
import { MemoryRunStore, RedisRunStore } from '../notify/run-store.js';
import { MemoryOutbox } from '../queue/memory-outbox.js';
import type { Rollout } from '../api/schema/rollout.js';
import { chatopsChannel, ChatOps } from '../chatops/handler.js';
import type { WebhookDeps } from '../chatops/webhook.js';
import type { Kube } from '../kube/client.js';
import { RedisOutbox } from '../queue/outbox.js';

export interface ReportingFlags {
  githubToken?: string;
  githubAppId?: string;
  githubAppPrivateKey?: string;
  githubAppInstallationId?: string;
  githubApiUrl?: string;
  clusterName: string;
  webhookListen?: string;
  githubWebhookSecret?: string;
}

const env = (name: string): string | undefined => process.env[name];

export function addReportingFlags(c: Command): Command {
  return c
    .option('--github-token <token>', 'GitHub token for reports on pull requests (env SLUICE_GITHUB_TOKEN; prefer the env var, flags show in ps)', env('SLUICE_GITHUB_TOKEN'))
    .option('--github-app-id <id>', 'GitHub App id, instead of a token (env SLUICE_GITHUB_APP_ID)', env('SLUICE_GITHUB_APP_ID'))
    .option('--github-app-private-key <file>', "the GitHub App's private key, a PEM file (env SLUICE_GITHUB_APP_PRIVATE_KEY_FILE)", env('SLUICE_GITHUB_APP_PRIVATE_KEY_FILE'))
    .option('--github-app-installation-id <id>', "the App's installation id (env SLUICE_GITHUB_APP_INSTALLATION_ID)", env('SLUICE_GITHUB_APP_INSTALLATION_ID'))
    .option('--github-api-url <url>', 'GitHub API URL, e.g. https://github.example.com/api/v3 for GitHub Enterprise (env SLUICE_GITHUB_API_URL; default https://api.github.com)', env('SLUICE_GITHUB_API_URL'))
    .option('--webhook-listen <addr>', 'serve POST /webhooks/github here for /sluice commands in PR comments, e.g. :8443 (env SLUICE_WEBHOOK_LISTEN; needs --github-webhook-secret and GitHub credentials)', env('SLUICE_WEBHOOK_LISTEN'))
    .option('--github-webhook-secret <secret>', "the GitHub webhook's secret, to verify X-Hub-Signature-256 (env SLUICE_GITHUB_WEBHOOK_SECRET; prefer the env var)", env('SLUICE_GITHUB_WEBHOOK_SECRET'))
    .option('--cluster-name <name>', 'names GitHub deployment environments <cluster>/<namespace> (env SLUICE_CLUSTER_NAME)', env('SLUICE_CLUSTER_NAME') ?? 'kubernetes');
}

function githubAuth(f: ReportingFlags): GitHubAuth | undefined {
  if (f.githubToken !== undefined && f.githubToken !== '') return { token: f.githubToken };
  const app = [f.githubAppId, f.githubAppPrivateKey, f.githubAppInstallationId];
  if (app.every((v) => v === undefined)) return undefined;
  if (app.some((v) => v === undefined)) throw new Error('a GitHub App needs all of --github-app-id, --github-app-private-key and --github-app-installation-id');
  const installationId = Number(f.githubAppInstallationId);
  if (!Number.isInteger(installationId) || installationId < 1) throw new Error(`--github-app-installation-id ${f.githubAppInstallationId ?? ''}: expected a number`);
  let privateKey: string;
  try {
    privateKey = readFileSync(f.githubAppPrivateKey ?? '', 'utf8');
  } catch (e) {
    throw new Error(`--github-app-private-key ${f.githubAppPrivateKey ?? ''}: ${(e as Error).message}`, { cause: e });
  }
  return { appId: f.githubAppId ?? '', privateKey, installationId };
}

export interface Reporting {
  github: GitHubApi | undefined;
  notifier?: Notifier;
  /** The ChatOps webhook, when --webhook-listen is given. */
  webhook?: WebhookDeps;
}

function checkWebhookFlags(f: ReportingFlags, auth: GitHubAuth | undefined): void {
  if (f.webhookListen === undefined) return;
  if (f.githubWebhookSecret === undefined || f.githubWebhookSecret === '') throw new Error('--webhook-listen needs --github-webhook-secret (or SLUICE_GITHUB_WEBHOOK_SECRET): unsigned webhooks are never accepted');
  if (auth === undefined) throw new Error('--webhook-listen needs GitHub credentials (--github-token or a GitHub App) to react and reply to commands');
}

/** What the controller reports with: the GitHub API (when credentials are given), the notifier, the ChatOps webhook. */
export function reporting(f: ReportingFlags, redisUrl: string | undefined, log: Logger, chat: { kube: Kube; rollouts: () => readonly Rollout[] }): Reporting {
  if (f.githubApiUrl !== undefined && !/^https?:\/\//.test(f.githubApiUrl)) throw new Error(`--github-api-url ${f.githubApiUrl}: expected an http(s) URL, e.g. https://github.example.com/api/v3`);
  const auth = githubAuth(f);
  checkWebhookFlags(f, auth);
  if (auth === undefined) return { github: undefined };
  const github = octokitApi({ auth, log, ...(f.githubApiUrl === undefined ? {} : { baseUrl: f.githubApiUrl }) });
  const store = redisUrl === undefined ? new MemoryRunStore() : new RedisRunStore(redisUrl, log);
  const outbox = redisUrl === undefined ? new MemoryOutbox({ log }) : new RedisOutbox({ url: redisUrl, log });
  const chatops = new ChatOps({ api: github, kube: chat.kube, rollouts: chat.rollouts, log });
  const channels = [githubChannel(new GitHubDelivery(github, store, log, { cluster: f.clusterName })), chatopsChannel(chatops, log)];
  const notifier = new Notifier(store, outbox, channels, log);
  const secret = f.githubWebhookSecret ?? '';
  const webhook: WebhookDeps | undefined = f.webhookListen === undefined ? undefined : { secret, log, accept: (job) => notifier.send({ id: `chatops|${job.delivery}`, stream: `chatops|${job.repository}#${job.pullRequest}`, channel: 'chatops', payload: job }) };
  return { github, notifier, ...(webhook === undefined ? {} : { webhook }) };
}
