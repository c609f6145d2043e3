/** `sluice sandbox ...`: the local stand-ins for a cluster. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { kubeconfigFor, startApiServer } from '../sandbox/apiserver/index.js';
import type { Io } from './lint-command.js';

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port is a number from 0 to 65535 (0 picks a free one)');
  return n;
}

/** Resolves when the process is asked to stop. */
function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((res) => {
    for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => res(sig));
  });
}

export function sandboxCommand(io: Io): Command {
  const sandbox = new Command('sandbox').description('local stand-ins for a cluster: a Kubernetes API emulator, workloads, an Istio-like mesh, Prometheus and Redis');
  sandbox
    .command('apiserver')
    .description('run the Kubernetes API emulator alone, in the foreground')
    .option('--port <n>', 'port on 127.0.0.1 (0 picks a free one)', port, 0)
    .option('--kubeconfig-out <file>', 'write a kubeconfig for it to this file')
    .action(async (opts: { port: number; kubeconfigOut?: string }) => {
      const server = await startApiServer({ port: opts.port });
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
  return sandbox;
}
