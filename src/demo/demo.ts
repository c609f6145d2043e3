/**
 * `sluice demo`: the sandbox, a controller on Redis, examples/podinfo, then the scenarios as
 * releases — shown live, summed up in a table and drawn in demo-report.html. Exit code 0 only
 * when every scenario ended as expected. Everything it started is stopped at the end (or at
 * Ctrl-C), unless --keep leaves it up to explore until Ctrl-C.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { parseDuration } from '../api/duration.js';
import type { Rollout } from '../api/schema/rollout.js';
import { LiveView, type ViewOutput } from '../cli/live-view.js';
import { ResourceCache, ROLLOUTS } from '../controller/cache.js';
import { Controller } from '../controller/controller.js';
import { kubeClients, loadKubeConfig, type Kube } from '../kube/client.js';
import { BullQueue } from '../queue/bull-queue.js';
import { RedisLedger } from '../queue/redis-ledger.js';
import { startSandbox, type Sandbox } from '../sandbox/sandbox.js';
import { VERSION } from '../version.js';
import { installExample, NAMESPACE, prerequisites, ROLLOUT } from './install.js';
import { play, type Stage } from './play.js';
import { TimelineRecorder, type RunTimeline } from './recorder.js';
import { renderReport } from './report.js';
import { scenariosNamed } from './scenarios.js';

export interface DemoOptions {
  scenario?: string;
  keep: boolean;
  /** Where the sandbox keeps its files (a temp folder by default). */
  dir?: string;
  /** Where the HTML report goes. */
  report: string;
  out: ViewOutput;
  /** Resolves when the user wants to stop (Ctrl-C). */
  interrupted: Promise<void>;
  /** Requests per second the mesh sends to podinfo. */
  rps?: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The table printed at the end. */
export function summaryTable(runs: readonly RunTimeline[]): string {
  const rows = [
    ['scenario', 'expected', 'got', 'duration', ''],
    ...runs.map((r) => [
      r.scenario,
      r.expected,
      r.got,
      `${Math.round((r.endedAt - r.startedAt) / 1000)} s`,
      r.ok ? 'ok' : 'NOT AS EXPECTED',
    ]),
  ];
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

async function waitUntil(what: string, check: () => boolean, ms: number, interrupted: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (interrupted()) throw new Error('interrupted');
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

interface Running {
  sb: Sandbox;
  controller: Controller;
  cache: ResourceCache<Rollout>;
  kube: Kube;
}

async function bringUp(
  opts: DemoOptions,
  view: LiveView,
  recorder: TimelineRecorder,
  redisUrl: string | undefined,
  onStarted: (r: Partial<Running>) => void,
): Promise<Running> {
  const dir = resolve(opts.dir ?? mkdtempSync(join(tmpdir(), 'sluice-demo-')));
  view.note(
    `starting the sandbox in ${dir}: API emulator, workloads, mesh (${opts.rps ?? 100} rps), Prometheus, Redis...`,
  );
  const sb = await startSandbox({ dir, rps: opts.rps ?? 100, ...(redisUrl === undefined ? {} : { redisUrl }) });
  onStarted({ sb });
  const kube = kubeClients(loadKubeConfig(sb.kubeconfig, `sluice-demo/${VERSION}`));
  await installExample(kube);
  view.note(
    `applied crds/, analysis-templates/ and examples/podinfo (checks every 5 s, pauses of 5 s); controller log: ${join(dir, 'controller.log')}`,
  );
  const log = pino({ level: 'info' }, pino.destination({ dest: join(dir, 'controller.log'), sync: false }));
  const redis = sb.redis ?? '';
  const queueName = `sluice-demo-${process.pid}`;
  const controller = new Controller({
    kube: kubeClients(loadKubeConfig(sb.kubeconfig, `sluice-controller/${VERSION}`)),
    log,
    prometheusUrl: sb.prometheus,
    scrapeIntervalMs: parseDuration(sb.scrapeInterval) ?? 1000,
    queue: new BullQueue({ url: redis, name: queueName, log }),
    ledger: new RedisLedger(redis, log, `${queueName}:ledger:`),
  });
  onStarted({ sb, controller });
  const cache: ResourceCache<Rollout> = new ResourceCache<Rollout>(kube, ROLLOUTS, NAMESPACE, (r) => {
    recorder.see(r, Date.now());
    view.update(cache.list());
  });
  onStarted({ sb, controller, cache });
  await cache.start();
  await controller.start();
  return { sb, controller, cache, kube };
}

/** Runs the demo; resolves to the exit code. */
export async function runDemo(opts: DemoOptions): Promise<number> {
  const scenarios = scenariosNamed(opts.scenario);
  const view = new LiveView(opts.out);
  const recorder = new TimelineRecorder();
  const state = { stopped: false };
  void opts.interrupted.then(() => (state.stopped = true));
  const stopped = (): boolean => state.stopped;
  const started: Partial<Running> = {};
  try {
    const { redisUrl } = await prerequisites((line) => view.note(line));
    const up = await bringUp(opts, view, recorder, redisUrl, (r) => Object.assign(started, r));
    const rollout = (): Rollout | undefined => up.cache.get(NAMESPACE, ROLLOUT);
    await waitUntil('podinfo to be initialized', () => rollout()?.status?.phase === 'Healthy', 60_000, stopped);
    const stage: Stage = {
      kube: up.kube,
      kubeconfig: up.sb.kubeconfig,
      rollout,
      say: (line) => view.note(line),
      deadlineMs: 150_000,
      stopped,
    };
    for (const [i, s] of scenarios.entries()) {
      if (stopped()) break;
      view.note(`\n== ${i + 1}/${scenarios.length} ${s.name}: ${s.title} (expected: ${s.expected})`);
      const releasedAt = Date.now();
      const result = await play(stage, s, () => recorder.begin(s, `${NAMESPACE}/${ROLLOUT}`, Date.now()));
      recorder.end(result, Date.now());
      view.note(
        `${result.ok ? 'ok' : 'NOT AS EXPECTED'}: ${s.name} ended ${result.got} after ${Math.round((Date.now() - releasedAt) / 1000)} s — ${result.detail}`,
      );
    }
    view.note(`\n${summaryTable(recorder.runs)}`);
    const report = resolve(opts.report);
    writeFileSync(report, renderReport(recorder.runs, { generatedAt: new Date(), version: VERSION }));
    view.note(`report: ${report}`);
    const ok = !stopped() && recorder.runs.length === scenarios.length && recorder.runs.every((r) => r.ok);
    if (opts.keep && !stopped()) {
      view.note(
        `\nthe sandbox and the controller stay up until Ctrl-C. In another terminal:\n  export KUBECONFIG=${up.sb.kubeconfig}\n  npx sluice get --watch -n ${NAMESPACE}\n  kubectl -n ${NAMESPACE} set env deployment/${ROLLOUT} SANDBOX_ERROR_RATE=0.3    # a bad release\n  npx sluice abort ${ROLLOUT} -n ${NAMESPACE}`,
      );
      await opts.interrupted;
    }
    return ok ? 0 : 1;
  } finally {
    await started.cache?.stop();
    await started.controller?.stop(5000);
    await started.sb?.stop();
  }
}
