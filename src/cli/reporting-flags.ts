/** The controller's reporting flags: GitHub credentials and API URL, the cluster name; building the notifier from them. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import type { GitHubApi } from '../notify/github/api.js';
import { GitHubDelivery, githubChannel } from '../notify/github/deliver.js';
import { octokitApi, type GitHubAuth } from '../notify/github/octokit.js';
import { Notifier, type Channel } from '../notify/notifier.js';
import { SlackChannel } from '../notify/slack/channel.js';
import { EventsChannel } from '../notify/events/channel.js';
import { slackWebApi } from '../notify/slack/web-api.js';
import type { RequestObserver } from '../telemetry/requests.js';
import { MemoryRunStore, RedisRunStore, type RunStore } from '../notify/run-store.js';
import { MemoryOutbox } from '../queue/memory-outbox.js';
import type { Rollout } from '../api/schema/rollout.js';
import { chatopsChannel, ChatOps } from '../chatops/handler.js';
import { jobKey, type WebhookDeps } from '../chatops/webhook.js';
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
  slackToken?: string;
  slackApiUrl?: string;
  slackChannel?: string;
  eventWebhook?: string;
  eventWebhookSecret?: string;
}

const env = (name: string): string | undefined => process.env[name];

export function addReportingFlags(c: Command): Command {
  return c
    .option(
      '--github-token <token>',
      'GitHub token for reports on pull requests (env SLUICE_GITHUB_TOKEN; prefer the env var, flags show in ps)',
      env('SLUICE_GITHUB_TOKEN'),
    )
    .option(
      '--github-app-id <id>',
      'GitHub App id, instead of a token (env SLUICE_GITHUB_APP_ID)',
      env('SLUICE_GITHUB_APP_ID'),
    )
    .option(
      '--github-app-private-key <file>',
      "the GitHub App's private key, a PEM file (env SLUICE_GITHUB_APP_PRIVATE_KEY_FILE)",
      env('SLUICE_GITHUB_APP_PRIVATE_KEY_FILE'),
    )
    .option(
      '--github-app-installation-id <id>',
      "the App's installation id (env SLUICE_GITHUB_APP_INSTALLATION_ID)",
      env('SLUICE_GITHUB_APP_INSTALLATION_ID'),
    )
    .option(
      '--github-api-url <url>',
      'GitHub API URL, e.g. https://github.example.com/api/v3 for GitHub Enterprise (env SLUICE_GITHUB_API_URL; default https://api.github.com)',
      env('SLUICE_GITHUB_API_URL'),
    )
    .option(
      '--webhook-listen <addr>',
      'serve POST /webhooks/github here for /sluice commands in PR comments, e.g. :8443 (env SLUICE_WEBHOOK_LISTEN; needs --github-webhook-secret and GitHub credentials)',
      env('SLUICE_WEBHOOK_LISTEN'),
    )
    .option(
      '--github-webhook-secret <secret>',
      "the GitHub webhook's secret, to verify X-Hub-Signature-256 (env SLUICE_GITHUB_WEBHOOK_SECRET; prefer the env var)",
      env('SLUICE_GITHUB_WEBHOOK_SECRET'),
    )
    .option(
      '--slack-token <token>',
      'Slack bot token (chat:write) for one message per run with its story in the thread (env SLUICE_SLACK_TOKEN; prefer the env var)',
      env('SLUICE_SLACK_TOKEN'),
    )
    .option(
      '--slack-api-url <url>',
      'Slack Web API URL (env SLUICE_SLACK_API_URL; default https://slack.com/api/)',
      env('SLUICE_SLACK_API_URL'),
    )
    .option(
      '--slack-channel <channel>',
      'channel for Rollouts that name none in spec.notifications.slack (env SLUICE_SLACK_CHANNEL)',
      env('SLUICE_SLACK_CHANNEL'),
    )
    .option(
      '--event-webhook <url>',
      "POST every Rollout's run decisions there as CloudEvents (env SLUICE_EVENT_WEBHOOK); a Rollout's own spec.notifications.webhook works without it",
      env('SLUICE_EVENT_WEBHOOK'),
    )
    .option(
      '--event-webhook-secret <secret>',
      'sign the events sent to --event-webhook with HMAC-SHA256 (header X-Sluice-Signature-256; env SLUICE_EVENT_WEBHOOK_SECRET; prefer the env var)',
      env('SLUICE_EVENT_WEBHOOK_SECRET'),
    )
    .option(
      '--cluster-name <name>',
      'names GitHub deployment environments <cluster>/<namespace> (env SLUICE_CLUSTER_NAME)',
      env('SLUICE_CLUSTER_NAME') ?? 'kubernetes',
    );
}

function githubAuth(f: ReportingFlags): GitHubAuth | undefined {
  if (f.githubToken !== undefined && f.githubToken !== '') return { token: f.githubToken };
  const app = [f.githubAppId, f.githubAppPrivateKey, f.githubAppInstallationId];
  if (app.every((v) => v === undefined)) return undefined;
  if (app.some((v) => v === undefined))
    throw new Error(
      'a GitHub App needs all of --github-app-id, --github-app-private-key and --github-app-installation-id',
    );
  const installationId = Number(f.githubAppInstallationId);
  if (!Number.isInteger(installationId) || installationId < 1)
    throw new Error(`--github-app-installation-id ${f.githubAppInstallationId ?? ''}: expected a number`);
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
  slack?: { defaultChannel?: string };
  /** The ChatOps webhook, when --webhook-listen is given. */
  webhook?: WebhookDeps;
}

function checkWebhookFlags(f: ReportingFlags, auth: GitHubAuth | undefined): void {
  if (f.webhookListen === undefined) return;
  if (f.githubWebhookSecret === undefined || f.githubWebhookSecret === '')
    throw new Error(
      '--webhook-listen needs --github-webhook-secret (or SLUICE_GITHUB_WEBHOOK_SECRET): unsigned webhooks are never accepted',
    );
  if (auth === undefined)
    throw new Error(
      '--webhook-listen needs GitHub credentials (--github-token or a GitHub App) to react and reply to commands',
    );
}

function checkUrls(f: ReportingFlags): void {
  for (const [flag, value] of [
    ['--github-api-url', f.githubApiUrl],
    ['--slack-api-url', f.slackApiUrl],
    ['--event-webhook', f.eventWebhook],
  ] as const)
    if (value !== undefined && !/^https?:\/\//.test(value))
      throw new Error(`${flag} ${value}: expected an http(s) URL`);
}

/** What the controller reports with: the GitHub API (when credentials are given), the notifier, the ChatOps webhook. */
export function reporting(
  f: ReportingFlags,
  redisUrl: string | undefined,
  log: Logger,
  chat: {
    kube: Kube;
    rollouts: () => readonly Rollout[];
    enqueue: (rollout: string) => void;
    observer?: RequestObserver;
  },
): Reporting {
  checkUrls(f);
  const auth = githubAuth(f);
  checkWebhookFlags(f, auth);
  const slackToken = f.slackToken === '' ? undefined : f.slackToken;
  const observing = chat.observer === undefined ? {} : { observer: chat.observer };
  const github =
    auth === undefined
      ? undefined
      : octokitApi({ auth, log, ...observing, ...(f.githubApiUrl === undefined ? {} : { baseUrl: f.githubApiUrl }) });
  const store = redisUrl === undefined ? new MemoryRunStore() : new RedisRunStore(redisUrl, log);
  const outbox = redisUrl === undefined ? new MemoryOutbox({ log }) : new RedisOutbox({ url: redisUrl, log });
  // always: a Rollout's spec.notifications.webhook needs no flag (runs of Rollouts no channel wants are not recorded)
  const channels: Channel[] = [eventsChannel(f, chat.kube, log)];
  if (github !== undefined)
    channels.push(
      githubChannel(new GitHubDelivery(github, store, log, { cluster: f.clusterName })),
      chatopsChannel(new ChatOps({ api: github, kube: chat.kube, rollouts: chat.rollouts, log }), log),
    );
  if (slackToken !== undefined)
    channels.push(slackChannel(f, slackToken, store, log, { ...observing, onProblem: chat.enqueue }));
  const notifier = new Notifier(store, outbox, channels, log);
  const slack =
    slackToken === undefined
      ? undefined
      : { ...(f.slackChannel === undefined ? {} : { defaultChannel: f.slackChannel }) };
  return { github, notifier, ...webhookOf(f, notifier, log), ...(slack === undefined ? {} : { slack }) };
}

/** Run decisions as CloudEvents: the Rollouts' own webhooks, and --event-webhook for all. */
function eventsChannel(f: ReportingFlags, kube: Kube, log: Logger): EventsChannel {
  const url = f.eventWebhook === '' ? undefined : f.eventWebhook;
  const secret = f.eventWebhookSecret === '' ? undefined : f.eventWebhookSecret;
  if (secret !== undefined && url === undefined)
    throw new Error('--event-webhook-secret signs the events of --event-webhook: give that URL too');
  return new EventsChannel({
    kube,
    log,
    ...(url === undefined ? {} : { url }),
    ...(secret === undefined ? {} : { secret }),
  });
}

function slackChannel(
  f: ReportingFlags,
  token: string,
  store: RunStore,
  log: Logger,
  o: { observer?: RequestObserver; onProblem: (rollout: string) => void },
): SlackChannel {
  const api = slackWebApi(token, {
    log,
    ...(o.observer === undefined ? {} : { observer: o.observer }),
    ...(f.slackApiUrl === undefined ? {} : { slackApiUrl: f.slackApiUrl }),
  });
  return new SlackChannel(api, store, log, {
    ...(f.slackChannel === undefined ? {} : { defaultChannel: f.slackChannel }),
    onProblem: o.onProblem,
  });
}

/** The ChatOps webhook: deliveries go to the notifier's outbox, keyed by their delivery id. */
function webhookOf(f: ReportingFlags, notifier: Notifier, log: Logger): { webhook?: WebhookDeps } {
  if (f.webhookListen === undefined) return {};
  return {
    webhook: {
      secret: f.githubWebhookSecret ?? '',
      log,
      accept: (job) =>
        notifier.send({
          id: `chatops|${jobKey(job)}`,
          stream: `chatops|${job.repository}#${job.pullRequest}`,
          channel: 'chatops',
          payload: job,
        }),
    },
  };
}
