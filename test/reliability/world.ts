/**
 * The world of the reliability runs: the sandbox (API emulator, mesh, real Prometheus), a Redis
 * of its own that can be restarted, a fake GitHub and a fake Slack, N apps in namespace `demo`
 * with their Rollouts, and `sluice controller` as a process — the process a SIGKILL stops.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { freePort } from '../../src/sandbox/processes/child.js';
import { WEBHOOK_PATH } from '../../src/chatops/webhook.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { example, exampleApp } from '../controller/harness.js';
import { root } from '../sandbox/helpers.js';
import { FakeGitHub } from '../support/fake-github.js';
import { FakeSlack } from '../support/fake-slack.js';
import { testRedis, type TestRedis } from '../support/redis.js';
import { CRD_FILES } from '../../src/api/crd.js';

export const REPO = 'example-org/podinfo'; // as examples/podinfo's annotations say
export const CHANNEL = '#deploys';

/** The secrets the controller is given: none of them may show up in its logs, Events, status or reports. */
export const SECRETS = {
  githubToken: 'ghp_reliabilityTestToken0123456789abcdef',
  webhookSecret: 'whsec-reliability-9f8e7d6c5b4a',
  slackToken: 'xoxb-reliability-1234567890-abcdefghij',
  prometheusPassword: 'prom-pass-reliability-5a4b3c',
};

export interface App {
  name: string;
  /** Whether its releases are good (promoted) or bad (rolled back). */
  good: boolean;
}

export interface World {
  sb: Sandbox;
  redis: TestRedis;
  github: FakeGitHub;
  slack: FakeSlack;
  apps: App[];
  /** Releases per app. */
  rounds: number;
  controller: ControllerProcess;
  /** The controller's GitHub webhook (POST). */
  webhookUrl: string;
  stop(): Promise<void>;
}

const requests = (codes: string): string =>
  `sum(rate(istio_requests_total{reporter="destination", destination_workload_namespace="{{ args.namespace }}", destination_workload="{{ args.workload }}"${codes}}[10s]))`;

/** The error-rate check of the runs: every 2 s over the last 10 s, more than 20% errors fails at once. */
function template(): any {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'reliability-error-rate', namespace: 'demo' },
    spec: {
      prometheus: { authSecretRef: { name: 'prometheus-credentials' } },
      metrics: [
        {
          name: 'error-rate',
          interval: '2s',
          count: 2,
          query: `(${requests(', response_code=~"5.."')} or ${requests('')} * 0) / ${requests('')}`,
          thresholds: { max: '0.2' },
          failureLimit: 0,
          inconclusiveLimit: 1000,
          consecutiveErrorLimit: 1000,
        },
      ],
    },
  };
}

/**
 * N apps, every other one bad: steps 30%, a pause, 60%, an analysis step (two good measurements
 * needed, so a bad canary is never promoted), with the same check in the background.
 */
function installApps(sb: Sandbox, n: number): App[] {
  const api = sb.server.api;
  api.create(sb.server.api.registry.resource('', 'namespaces'), undefined, example('namespace.yaml'));
  api.create(sb.server.api.registry.resource('', 'secrets'), 'demo', {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'prometheus-credentials' },
    data: {
      username: Buffer.from('sluice').toString('base64'),
      password: Buffer.from(SECRETS.prometheusPassword).toString('base64'),
    },
  });
  api.create(sb.server.api.registry.resource('sluice.dev', 'analysistemplates'), 'demo', template());
  const apps: App[] = [];
  for (let i = 0; i < n; i++) {
    const app = { name: `app${i}`, good: i % 2 === 0 };
    apps.push(app);
    exampleApp(api, app.name, (r) => {
      const analysis = { templates: [{ name: 'reliability-error-rate' }] };
      r.spec.strategy.canary.steps = [
        { setWeight: 30 },
        { pause: { duration: '2s' } },
        { setWeight: 60 },
        { analysis },
      ];
      r.spec.strategy.canary.analysis = analysis;
      r.spec.progressDeadlineSeconds = 120;
      r.spec.notifications = { github: { repository: REPO }, slack: { channel: CHANNEL } };
    });
  }
  return apps;
}

export function commitOf(app: number, round: number): string {
  return `${(app + 1).toString(16).padStart(4, '0')}${round.toString(16).padStart(4, '0')}`.repeat(5);
}

export function pullOf(app: number, round: number): number {
  return 1000 * (round + 1) + app;
}

/** Ships round `round` of app `i`: a new image and commit; a bad app's pods answer 60% 5xx. */
export function release(w: World, i: number, round: number): void {
  const app = w.apps[i]!;
  const env = [{ name: 'SANDBOX_ERROR_RATE', value: app.good ? '0' : '0.6' }];
  w.sb.server.api.patch(
    { type: w.sb.server.api.registry.resource('apps', 'deployments'), namespace: 'demo', name: app.name },
    'strategic',
    {
      spec: {
        template: {
          metadata: { annotations: { 'sluice.dev/commit': commitOf(i, round) } },
          spec: { containers: [{ name: 'podinfo', image: `ghcr.io/stefanprodan/podinfo:6.9.${round}`, env }] },
        },
      },
    },
  );
}

/** `sluice controller`, started again after each kill; `crashes` counts exits nobody asked for. */
export class ControllerProcess {
  private proc: ChildProcess | undefined;
  private expectedExit = false;
  crashes = 0;
  starts = 0;
  readonly logFile: string;

  constructor(
    private readonly args: string[],
    dir: string,
  ) {
    this.logFile = join(dir, 'controller.log');
  }

  start(): void {
    const log = openSync(this.logFile, 'a');
    const proc = spawn(process.execPath, [join(root, 'bin/sluice.js'), 'controller', ...this.args], {
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        SLUICE_LOG_LEVEL: 'debug',
        SLUICE_GITHUB_TOKEN: SECRETS.githubToken,
        SLUICE_SLACK_TOKEN: SECRETS.slackToken,
        SLUICE_GITHUB_WEBHOOK_SECRET: SECRETS.webhookSecret,
      },
    });
    this.expectedExit = false;
    this.starts++;
    proc.once('exit', () => {
      if (!this.expectedExit) this.crashes++;
    });
    this.proc = proc;
  }

  /** SIGKILL, and wait for the exit. */
  async kill(): Promise<void> {
    const proc = this.proc;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    this.expectedExit = true;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill('SIGKILL');
    });
  }

  running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  log(): string {
    return readFileSync(this.logFile, 'utf8');
  }
}

export async function startWorld(n: number, rounds: number): Promise<World> {
  const github = new FakeGitHub();
  const slack = new FakeSlack();
  const commits = Array.from({ length: n }, (_, i) => Array.from({ length: rounds }, (_, r) => commitOf(i, r))).flat();
  const pulls: Record<number, string[]> = {};
  for (let i = 0; i < n; i++) for (let r = 0; r < rounds; r++) pulls[pullOf(i, r)] = [commitOf(i, r)];
  github.addRepo(REPO, { commits, pulls });
  await Promise.all([github.start(), slack.start()]);
  const redis = await testRedis(true);
  const sb = await startSandbox({ rps: 20, readyDelayMs: 100, redisUrl: false });
  for (const f of CRD_FILES)
    sb.server.api.create(
      sb.server.api.registry.resource('apiextensions.k8s.io', 'customresourcedefinitions'),
      undefined,
      parse(readFileSync(join(root, 'crds', f), 'utf8')),
    );
  const apps = installApps(sb, n);
  const port = await freePort();
  const webhookPort = await freePort();
  const args = [
    '--kubeconfig',
    sb.kubeconfig,
    '--redis-url',
    redis.url,
    '--prometheus-url',
    sb.prometheus ?? '',
    '--scrape-interval',
    sb.scrapeInterval,
    '--listen',
    `127.0.0.1:${port}`,
    '--webhook-listen',
    `127.0.0.1:${webhookPort}`,
    '--github-api-url',
    github.url,
    '--slack-api-url',
    slack.url,
  ];
  const controller = new ControllerProcess(args, sb.dir);
  controller.start();
  return {
    sb,
    redis,
    github,
    slack,
    apps,
    rounds,
    controller,
    webhookUrl: `http://127.0.0.1:${webhookPort}${WEBHOOK_PATH}`,
    stop: async () => {
      await controller.kill();
      await sb.stop();
      await redis.stop();
      await Promise.all([github.stop(), slack.stop()]);
    },
  };
}
