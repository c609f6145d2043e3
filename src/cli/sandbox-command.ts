/** `sluice sandbox ...`: the local stand-ins for a cluster. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { kubeconfigFor, startApiServer } from '../sandbox/apiserver/index.js';
import { startSandbox } from '../sandbox/sandbox.js';
import { parseDuration } from '../api/duration.js';
import type { ClientHeader } from '../sandbox/mesh/mesh.js';
import type { Io } from './lint-command.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError('a port is a number from 0 to 65535 (0 picks a free one)');
  return n;
}

/** Resolves when the process is asked to stop. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((res) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => res(sig));
  });
}

export function sandboxCommand(io: Io): Command {
  const sandbox = new Command('sandbox').description(
    'local stand-ins for a cluster: a Kubernetes API emulator, workloads, an Istio-like mesh, Prometheus and Redis',
  );
  sandbox
    .command('apiserver')
    .description('run the Kubernetes API emulator alone, in the foreground')
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', port, 0)
    .option('--kubeconfig-out <file>', 'write a kubeconfig for it to this file')
    .option(
      '--audit-log <file>',
      "append every request to this file as kube-apiserver's --audit-log-path does (audit.k8s.io/v1 Events)",
    )
    .action(async (opts: { port: number; kubeconfigOut?: string; auditLog?: string }) => {
      const server = await startApiServer({
        port: opts.port,
        ...(opts.auditLog === undefined ? {} : { auditLogPath: resolve(opts.auditLog) }),
      });
      if (opts.kubeconfigOut !== undefined) {
        const file = resolve(opts.kubeconfigOut);
        mkdirSync(dirname(file), { recursive: true });
        writeFileSync(file, kubeconfigFor(server.url), { mode: 0o600 });
        io.err(`kubeconfig written to ${file}; try: KUBECONFIG=${file} kubectl get namespaces`);
      }
      io.out(`API server listening on ${server.url}`);
      await untilSignal();
      await server.close();
    });
  sandbox
    .command('up')
    .description('run the whole sandbox in the foreground: API emulator, workloads, mesh, Prometheus and Redis')
    .option('--dir <dir>', 'folder for kubeconfig, sandbox.json and Prometheus data', '.sandbox')
    .option('--rps <n>', 'requests per second to every VirtualService host', rate, 20)
    .addOption(
      new Option(
        '--propagation-delay <duration>',
        "routing changes (VirtualService, DestinationRule, Service) reach the mesh's proxies after this, as Istio's config push",
      )
        .argParser(duration)
        .default(1000, '1s'),
    )
    .option(
      '--scrape-interval <duration>',
      "how often Prometheus scrapes the mesh (Istio's bundled Prometheus: 15s, the Prometheus Operator: 30s)",
      scrapeInterval,
      '1s',
    )
    .addOption(
      new Option(
        '--hpa-sync-period <duration>',
        "how often the HorizontalPodAutoscaler controller syncs (kube-controller-manager's --horizontal-pod-autoscaler-sync-period)",
      )
        .argParser(duration)
        .default(15_000, '15s'),
    )
    .option(
      '--outside-rps <n>',
      'requests per second from clients outside the mesh (no sidecar) to each Service the mesh calls, straight to its endpoints',
      rate,
      0,
    )
    .addOption(
      new Option(
        '--client-header <name=value:fraction>',
        'the load generator sets this header on this share of its requests (repeatable), e.g. x-canary=yes:0.1',
      )
        .argParser(clientHeader)
        .default([], 'none'),
    )
    .option('--redis-url <url>', 'use this Redis instead of starting a private redis-server')
    .option(
      '--audit-log <file>',
      'append every API request to this file (audit.k8s.io/v1 Events), e.g. to see which verbs and resources a client used',
    )
    .action(async (opts: SandboxUpFlags) => {
      let sb;
      try {
        sb = await startSandbox({
          dir: opts.dir,
          rps: opts.rps,
          propagationDelayMs: opts.propagationDelay,
          scrapeInterval: opts.scrapeInterval,
          outsideRps: opts.outsideRps,
          hpaSyncMs: opts.hpaSyncPeriod,
          clientHeaders: opts.clientHeader,
          ...(opts.redisUrl === undefined ? {} : { redisUrl: opts.redisUrl }),
          ...(opts.auditLog === undefined ? {} : { auditLog: resolve(opts.auditLog) }),
        });
      } catch (e) {
        io.err(`sluice sandbox up: ${(e as Error).message}`);
        process.exitCode = 1;
        return;
      }
      io.out(`sandbox up in ${sb.dir}`);
      io.out(`  API server  ${sb.apiServer}`);
      io.out(`  Prometheus  ${sb.prometheus ?? '-'}`);
      io.out(`  Redis       ${sb.redis ?? '-'}`);
      io.out(
        `  mesh        ${sb.mesh}/metrics (${opts.rps} rps per VirtualService host, ${opts.outsideRps} from outside; routing reaches proxies after ${opts.propagationDelay} ms)`,
      );
      io.out(`try: export KUBECONFIG=${sb.kubeconfig}; kubectl apply -f crds/ && kubectl get ns`);
      io.out('Ctrl-C stops everything.');
      await untilSignal();
      await sb.stop();
    });
  return sandbox;
}

interface SandboxUpFlags {
  dir: string;
  rps: number;
  propagationDelay: number;
  scrapeInterval: string;
  outsideRps: number;
  hpaSyncPeriod: number;
  clientHeader: ClientHeader[];
  redisUrl?: string;
  auditLog?: string;
}

function duration(value: string): number {
  const ms = value === '0' ? 0 : parseDuration(value);
  if (ms === undefined) throw new InvalidArgumentError('a duration such as 500ms, 3s or 1m');
  return ms;
}

/** A Prometheus scrape interval: a whole number of seconds or milliseconds of at least 100ms. */
function scrapeInterval(value: string): string {
  const ms = parseDuration(value);
  if (ms === undefined || ms < 100 || !/^[0-9]+(ms|s|m)$/.test(value))
    throw new InvalidArgumentError('a Prometheus duration of at least 100ms, such as 1s, 15s or 30s');
  return value;
}

function clientHeader(value: string, previous: ClientHeader[]): ClientHeader[] {
  const m = /^([A-Za-z0-9-]+)=(.*):([0-9.]+)$/.exec(value);
  const fraction = Number(m?.[3]);
  if (m === null || !Number.isFinite(fraction) || fraction < 0 || fraction > 1)
    throw new InvalidArgumentError('NAME=VALUE:FRACTION, e.g. x-canary=yes:0.1 (a fraction from 0 to 1)');
  return [...previous, { name: m[1] ?? '', value: m[2] ?? '', fraction }];
}

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a rate is a number >= 0');
  return n;
}
