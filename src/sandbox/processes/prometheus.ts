/** A real Prometheus server (Debian's `prometheus`), scraping the mesh every second (or as often as asked). */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { freePort, startChild, waitFor, which, type Child } from './child.js';

export interface PrometheusServer {
  url: string;
  /** The running process (a new one after `start`). */
  readonly child: Child;
  /** Stops the server, as an outage would (its data stays). */
  stop(): Promise<void>;
  /** Starts it again on the same address and data. */
  start(): Promise<void>;
}

export const PROMETHEUS_MISSING =
  'prometheus is not installed: run `apt-get update && apt-get install -y prometheus` (Debian), or put a prometheus binary on PATH';

/**
 * Makes sure a prometheus binary is on PATH: when it is missing and this runs as root with
 * apt-get, installs Debian's package (telling `say` first). Undefined when it is there
 * afterwards, else what to do about it.
 */
export function ensurePrometheus(say: (line: string) => void): string | undefined {
  if (which('prometheus') !== undefined) return undefined;
  if (process.getuid?.() !== 0 || which('apt-get') === undefined) return PROMETHEUS_MISSING;
  say("prometheus is missing; installing Debian's package (apt-get install -y prometheus), this takes a minute...");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update'], { env, stdio: 'ignore' });
  const install =
    update.status === 0
      ? spawnSync('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], { env, stdio: 'ignore' })
      : update;
  if (install.status !== 0 || which('prometheus') === undefined)
    return `installing prometheus failed; ${PROMETHEUS_MISSING}`;
  return undefined;
}

/**
 * Starts Prometheus scraping `scrapeTargets` every `scrapeInterval` (a Prometheus duration; 1s by
 * default — Istio's bundled Prometheus uses 15s, the Prometheus Operator 30s).
 */
export async function startPrometheus(
  dir: string,
  scrapeTargets: string[],
  scrapeInterval = '1s',
): Promise<PrometheusServer> {
  const binary = which('prometheus');
  if (binary === undefined) throw new Error(PROMETHEUS_MISSING);
  mkdirSync(join(dir, 'prometheus-data'), { recursive: true });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    stringify({
      global: { scrape_interval: scrapeInterval, evaluation_interval: scrapeInterval },
      scrape_configs: [
        { job_name: 'sandbox-mesh', scrape_interval: scrapeInterval, static_configs: [{ targets: scrapeTargets }] },
      ],
    }),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'prometheus-data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--storage.tsdb.retention.time=6h',
    '--log.level=warn',
  ];
  const launch = async (): Promise<Child> => {
    const child = startChild(binary, args);
    await waitFor('prometheus', async () => (await fetch(`${url}/-/ready`)).ok, 30_000, child);
    return child;
  };
  let child = await launch();
  return {
    url,
    get child() {
      return child;
    },
    stop: () => child.stop(),
    start: async () => {
      child = await launch();
    },
  };
}
