/** `sluice sandbox ...`: the local stand-ins for a cluster. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { kubeconfigFor, startApiServer } from '../sandbox/apiserver/index.js';
import { startSandbox } from '../sandbox/sandbox.js';
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
    .option('--redis-url <url>', 'use this Redis instead of starting a private redis-server')
    .option(
      '--audit-log <file>',
      'append every API request to this file (audit.k8s.io/v1 Events), e.g. to see which verbs and resources a client used',
    )
    .action(async (opts: { dir: string; rps: number; redisUrl?: string; auditLog?: string }) => {
      let sb;
      try {
        sb = await startSandbox({
          dir: opts.dir,
          rps: opts.rps,
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
      io.out(`  mesh        ${sb.mesh}/metrics (${opts.rps} rps per VirtualService host)`);
      io.out(`try: export KUBECONFIG=${sb.kubeconfig}; kubectl apply -f crds/ && kubectl get ns`);
      io.out('Ctrl-C stops everything.');
      await untilSignal();
      await sb.stop();
    });
  return sandbox;
}

function rate(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a rate is a number >= 0');
  return n;
}
