/** `sluice controller`: runs the controller, with health endpoints. */
import { createServer } from 'node:http';
import { Command } from 'commander';
import { pino } from 'pino';
import { Controller } from '../controller/controller.js';
import { kubeClients, loadKubeConfig } from '../kube/client.js';
import { VERSION } from '../version.js';
import type { Io } from './lint-command.js';

function listenAddress(value: string): { host: string; port: number } {
  const m = /^(?:(.*):)?(\d+)$/.exec(value);
  if (m === null) throw new Error(`--listen ${value}: expected [HOST]:PORT, e.g. :8080 or 127.0.0.1:8080`);
  return { host: m[1] === undefined || m[1] === '' ? '0.0.0.0' : m[1], port: Number(m[2]) };
}

function httpUrl(flag: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${flag} ${value}: not a URL; expected e.g. http://prometheus.monitoring:9090`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${flag} ${value}: expected an http:// or https:// URL`);
  return value;
}

export function controllerCommand(io: Io, setExitCode: (code: number) => void): Command {
  return new Command('controller')
    .description('run the Sluice controller')
    .option('--kubeconfig <file>', 'kubeconfig (env SLUICE_KUBECONFIG; default: $KUBECONFIG, ~/.kube/config or in-cluster)', process.env['SLUICE_KUBECONFIG'])
    .option('--namespace <ns>', 'watch only this namespace (env SLUICE_NAMESPACE; default: all)', process.env['SLUICE_NAMESPACE'])
    .option('--listen <addr>', 'health endpoints /healthz and /readyz (env SLUICE_LISTEN)', process.env['SLUICE_LISTEN'] ?? ':8080')
    .option('--prometheus-url <url>', 'Prometheus for analysis when neither the template nor the Rollout names one (env SLUICE_PROMETHEUS_URL)', process.env['SLUICE_PROMETHEUS_URL'])
    .action(async (opts: { kubeconfig?: string; namespace?: string; listen: string; prometheusUrl?: string }) => {
      const log = pino({ name: 'sluice' });
      let controller: Controller;
      try {
        const prometheusUrl = opts.prometheusUrl === undefined ? undefined : httpUrl('--prometheus-url', opts.prometheusUrl);
        controller = new Controller({ kube: kubeClients(loadKubeConfig(opts.kubeconfig, `sluice-controller/${VERSION}`)), namespace: opts.namespace, log, prometheusUrl });
      } catch (e) {
        io.err(`sluice controller: ${(e as Error).message}`);
        setExitCode(1);
        return;
      }
      const { host, port } = listenAddress(opts.listen);
      const health = createServer((req, res) => {
        const ok = req.url === '/healthz' || (req.url === '/readyz' && controller.isReady);
        res.writeHead(req.url === '/healthz' || req.url === '/readyz' ? (ok ? 200 : 503) : 404, { 'Content-Type': 'text/plain' }).end(ok ? 'ok' : 'not ready');
      });
      health.listen(port, host);
      await controller.start();
      await new Promise<void>((resolve) => {
        for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => resolve());
      });
      await controller.stop();
      health.close();
    });
}
