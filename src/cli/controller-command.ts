/** `sluice controller`: runs the controller, with health and metrics endpoints. */
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { formatPath } from '../api/problem.js';
import { parseDuration } from '../api/duration.js';
import { checkSchedule } from '../api/semantics/schedule.js';
import type { ScheduleSpec } from '../schedule/windows.js';
import { pino, type Logger } from 'pino';
import { Controller } from '../controller/controller.js';
import { controllerMetrics, type ControllerMetrics } from '../controller/metrics.js';
import { kubeClients, loadKubeConfig, observeKubeRequests } from '../kube/client.js';
import { BullQueue } from '../queue/bull-queue.js';
import { MemoryQueue, type WorkQueue } from '../queue/work-queue.js';
import { RedisLedger } from '../queue/redis-ledger.js';
import { MemoryLedger, type Ledger } from '../controller/ledger.js';
import { VERSION } from '../version.js';
import type { Io } from './lint-command.js';
import { addReportingFlags, reporting, type Reporting, type ReportingFlags } from './reporting-flags.js';
import { webhookServer } from '../chatops/webhook.js';

interface Flags extends ReportingFlags {
  scheduleDefaults?: string;
  kubeconfig?: string;
  namespace?: string;
  listen: string;
  prometheusUrl?: string;
  scrapeInterval: string;
  redisUrl?: string;
  concurrency: string;
  shutdownGrace: string;
}

function listenAddress(value: string, flag = '--listen'): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(value);
  if (m === null) throw new Error(`${flag} ${value}: expected [HOST]:PORT, e.g. :8080 or 127.0.0.1:8080`);
  return { host: m[1] === undefined || m[1] === '' ? '0.0.0.0' : m[1], port: Number(m[2]) };
}

function url(flag: string, value: string, protocols: string[], example: string): string {
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    throw new Error(`${flag} ${value}: not a URL; expected e.g. ${example}`);
  }
  if (!protocols.includes(parsed.protocol))
    throw new Error(`${flag} ${value}: expected a ${protocols.map((p) => `${p}//`).join(' or ')} URL, e.g. ${example}`);
  return value;
}

/** --schedule-defaults: a spec.schedule in a YAML file, checked like a Rollout's. */
function loadSchedule(file: string): ScheduleSpec {
  let parsed: unknown;
  try {
    parsed = parseYaml(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`--schedule-defaults ${file}: ${(e as Error).message}`, { cause: e });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(
      `--schedule-defaults ${file}: expected a mapping with timeZone, allow and deny, as in spec.schedule`,
    );
  const problems = checkSchedule(parsed, []);
  if (problems.length > 0)
    throw new Error(
      `--schedule-defaults ${file}: ${problems.map((p) => `${formatPath(p.path) || '(top)'}: ${p.message}`).join('; ')}`,
    );
  return parsed;
}

function scrapeIntervalMs(value: string): number {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0)
    throw new Error(
      `--scrape-interval ${value}: expected a duration such as 15s or 30s (your Prometheus' scrape_interval)`,
    );
  return ms;
}

function positiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} ${value}: expected a whole number of at least 1`);
  return n;
}

/** In memory for one replica; on Redis (queue, timers and ledger) with --redis-url. */
function sharedState(
  flags: Flags,
  log: Logger,
  metrics: ControllerMetrics,
  onReconnect: () => void,
): { queue: WorkQueue; ledger: Ledger } {
  const concurrency = positiveInt('--concurrency', flags.concurrency);
  if (flags.redisUrl === undefined) return { queue: new MemoryQueue(), ledger: new MemoryLedger() };
  const redisUrl = url('--redis-url', flags.redisUrl, ['redis:', 'rediss:'], 'redis://127.0.0.1:6379/0');
  return {
    queue: new BullQueue({
      url: redisUrl,
      concurrency,
      log,
      onReconnect,
      onLatency: (ms) => metrics.jobLatency.observe(ms / 1000),
    }),
    ledger: new RedisLedger(redisUrl, log),
  };
}

function serve(flags: Flags, controller: Controller, metrics: ControllerMetrics): Server {
  const { host, port } = listenAddress(flags.listen);
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      void metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'Content-Type': metrics.registry.contentType }).end(text));
      return;
    }
    const known = req.url === '/healthz' || req.url === '/readyz';
    const ok = req.url === '/healthz' || (req.url === '/readyz' && controller.isReady);
    res.writeHead(known ? (ok ? 200 : 503) : 404, { 'Content-Type': 'text/plain' }).end(ok ? 'ok' : 'not ready');
  });
  server.listen(port, host);
  return server;
}

export function controllerCommand(io: Io, setExitCode: (code: number) => void): Command {
  return addReportingFlags(new Command('controller'))
    .description('run the Sluice controller')
    .option(
      '--kubeconfig <file>',
      'kubeconfig (env SLUICE_KUBECONFIG; default: $KUBECONFIG, ~/.kube/config or in-cluster)',
      process.env['SLUICE_KUBECONFIG'],
    )
    .option(
      '--namespace <ns>',
      'watch only this namespace (env SLUICE_NAMESPACE; default: all)',
      process.env['SLUICE_NAMESPACE'],
    )
    .option(
      '--listen <addr>',
      '/healthz, /readyz and /metrics (env SLUICE_LISTEN)',
      process.env['SLUICE_LISTEN'] ?? ':8080',
    )
    .option(
      '--prometheus-url <url>',
      'Prometheus for analysis when neither the template nor the Rollout names one (env SLUICE_PROMETHEUS_URL)',
      process.env['SLUICE_PROMETHEUS_URL'],
    )
    .option(
      '--scrape-interval <duration>',
      "how often that Prometheus scrapes the mesh (Istio's: 15s, Prometheus Operator: 30s); analysis windows hold 4 scrapes (env SLUICE_SCRAPE_INTERVAL)",
      process.env['SLUICE_SCRAPE_INTERVAL'] ?? '15s',
    )
    .option(
      '--redis-url <url>',
      'Redis for the work queue and timers, shared by replicas (env SLUICE_REDIS_URL; default: in memory, one replica)',
      process.env['SLUICE_REDIS_URL'],
    )
    .option(
      '--concurrency <n>',
      'rollouts handled at once by this replica (env SLUICE_CONCURRENCY)',
      process.env['SLUICE_CONCURRENCY'] ?? '10',
    )
    .option(
      '--schedule-defaults <file>',
      "cluster-wide promotion windows (YAML: timeZone, allow, deny, as spec.schedule); a Rollout's own schedule may only tighten them (env SLUICE_SCHEDULE_DEFAULTS)",
      process.env['SLUICE_SCHEDULE_DEFAULTS'],
    )
    .option('--shutdown-grace <seconds>', 'on SIGTERM, how long passes in progress may take to finish', '25')
    .action(async (flags: Flags) => {
      const log = pino({ name: 'sluice', level: process.env['SLUICE_LOG_LEVEL'] ?? 'info' });
      const metrics = controllerMetrics();
      let controller: Controller;
      let grace: number;
      let rep: Reporting;
      try {
        grace = positiveInt('--shutdown-grace', flags.shutdownGrace) * 1000;
        const scrapeMs = scrapeIntervalMs(flags.scrapeInterval);
        const prometheusUrl =
          flags.prometheusUrl === undefined
            ? undefined
            : url('--prometheus-url', flags.prometheusUrl, ['http:', 'https:'], 'http://prometheus.monitoring:9090');
        const kube = kubeClients(loadKubeConfig(flags.kubeconfig, `sluice-controller/${VERSION}`));
        observeKubeRequests(kube.config, metrics.request);
        const { queue, ledger } = sharedState(flags, log, metrics, () => controller.resync());
        const redisUrl =
          flags.redisUrl === undefined
            ? undefined
            : url('--redis-url', flags.redisUrl, ['redis:', 'rediss:'], 'redis://127.0.0.1:6379/0');
        if (flags.webhookListen !== undefined) listenAddress(flags.webhookListen, '--webhook-listen');
        rep = reporting(flags, redisUrl, log, {
          kube,
          rollouts: () => controller.rolloutsNow(),
          enqueue: (k) => controller.enqueue(k),
          observer: metrics.request,
        });
        const defaultSchedule = flags.scheduleDefaults === undefined ? undefined : loadSchedule(flags.scheduleDefaults);
        controller = new Controller({
          kube,
          namespace: flags.namespace,
          log,
          prometheusUrl,
          scrapeIntervalMs: scrapeMs,
          queue,
          ledger,
          metrics,
          reporting: rep,
          ...(defaultSchedule === undefined ? {} : { defaultSchedule }),
        });
      } catch (e) {
        io.err(`sluice controller: ${(e as Error).message}`);
        setExitCode(1);
        return;
      }
      metrics.watchQueue(() => controller.queueDepth());
      metrics.watchRollouts(() => controller.rolloutsNow());
      const server = serve(flags, controller, metrics);
      const stopping = new Promise<string>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve(sig));
      });
      await Promise.race([controller.start(), stopping]);
      const webhook =
        rep.webhook === undefined || flags.webhookListen === undefined ? undefined : webhookServer(rep.webhook);
      if (webhook !== undefined && flags.webhookListen !== undefined) {
        const at = listenAddress(flags.webhookListen, '--webhook-listen');
        webhook.listen(at.port, at.host);
      }
      const sig = await stopping;
      log.info({ signal: sig, graceMs: grace }, 'stopping: finishing the passes in progress');
      webhook?.close();
      await controller.stop(grace);
      server.close();
      log.info('stopped');
    });
}
