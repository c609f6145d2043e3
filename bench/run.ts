/**
 * `npm run bench`: runs the benchmarks, prints their figures and the machine, writes JSON to
 * bench/results/. `--quick`: a 1,000-rollout scale run and the reaction run (under 3 minutes).
 * `--scale 10000` (or `1000,5000`): only the scale runs of those sizes, as the full run has them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchApiServer, type ApiServerBenchResult } from './apiserver.js';
import { benchSandbox, type SandboxBenchResult } from './sandbox.js';
import { benchScale, type ScaleResult } from './scale.js';
import { benchReaction, type ReactionResult } from './reaction.js';
import { machine } from './machine.js';

const quick = process.argv.includes('--quick');
const scaleArg = process.argv.indexOf('--scale');
const only = scaleArg < 0 ? undefined : (process.argv[scaleArg + 1] ?? '').split(',').map(Number);
if (only !== undefined && (only.length === 0 || only.some((x) => !Number.isInteger(x) || x <= 0))) {
  console.error('--scale: expected the sizes of the runs, e.g. --scale 10000 or --scale 1000,5000');
  process.exit(2);
}
const m = machine();
console.log(`machine: ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; commit ${m.commit}; ${m.date}`);

function printApiServer(a: ApiServerBenchResult): void {
  console.log('\napiserver (emulator in its own process)');
  console.log(`  create ${a.objects} Rollouts: ${a.createPerSecond}/s`);
  console.log(`  3 watchers saw all ${a.objects} ADDED events ${a.watchAllAddedMs} ms after the first create`);
  console.log(
    `  LIST of ${a.objects} (${(a.listBytes / 2 ** 20).toFixed(1)} MiB): median ${a.listMs.median} ms (samples ${a.listMs.samples.join(', ')})`,
  );
  const f = a.fanout;
  console.log(
    `  fan-out: ${f.sentPerSecond} changes/s sent for ${f.seconds} s, ${f.deliveredPerSecondPerWatcher} events/s delivered per watcher x ${f.watchers}, latency p50 ${f.latencyMs.p50} ms / p99 ${f.latencyMs.p99} ms, missed ${f.missed}`,
  );
  console.log(`  emulator RSS at the end: ${a.rssMiB} MiB`);
}

function printSandbox(s: SandboxBenchResult): void {
  console.log('\nsandbox (sluice sandbox up in its own process, real Prometheus)');
  console.log(
    `  up to the first scraped sample: median ${s.upToFirstSampleMs.median} ms (samples ${s.upToFirstSampleMs.samples.join(', ')})`,
  );
  console.log(
    `  ${s.cpu.services} services x ${s.cpu.rpsPerService} rps for ${s.cpu.seconds} s: ${s.cpu.percentOfOneCore}% of one core (emulator + simulators), ${s.cpu.requestsSent} requests sent in all`,
  );
}

function printScale(r: ScaleResult): void {
  console.log(
    `\nscale: ${r.rollouts} rollouts in ${r.namespaces} namespaces, releases spread over ${r.spreadSeconds} s, pauses of ${r.pauseSeconds} s, background analysis every ${r.intervalSeconds} s (${r.prometheus} Prometheus API)`,
  );
  console.log(`  setup: ${r.setupSeconds.create} s to create, ${r.setupSeconds.initialize} s until all Healthy`);
  console.log(
    `  runs in progress at the peak: ${r.peakActive}; completed ${r.completed}/${r.rollouts} in ${r.runSeconds} s; ${r.transitions} step transitions`,
  );
  console.log(
    `  step lateness (${r.latenessMs.pauses} pauses): p50 ${r.latenessMs.p50} ms, p99 ${r.latenessMs.p99} ms, max ${r.latenessMs.max} ms   [goal: p99 <= 1000 ms]`,
  );
  const c = r.controller;
  console.log(
    `  controller: peak RSS ${c.peakRssMiB} MiB, at the end ${c.steadyRssMiB} MiB [goal: <= 1024]; ${c.cpuSeconds} CPU s = ${c.cpuMsPerTransition} ms per transition; reconcile p99 <= ${c.reconcileP99Seconds ?? '-'} s; sandbox ${r.sandboxCpuSeconds} CPU s`,
  );
  console.log(
    `  API requests per step transition: ${Object.entries(r.requestsPerTransition)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}`,
  );
  console.log(`  API writes per step transition: ${r.writesPerTransition} [goal: <= 2]`);
  console.log(
    `  PromQL: ${r.promql.total} queries over ${r.promql.ticks} ticks: median ${r.promql.queriesPerTickMedian}, max ${r.promql.queriesPerTickMax} per tick [goal: independent of the number of canaries]`,
  );
  if (r.idle !== undefined)
    console.log(
      `  idle ${r.idle.seconds} s, all Healthy: ${r.idle.cpuPercentOfOneCore}% of one core, ${r.idle.requestsPerMinute} API requests/min ${JSON.stringify(r.idle.requests)}, RSS ${r.idle.rssMiB} MiB [goal: 0 requests]`,
    );
  if (r.restart !== undefined)
    console.log(
      `  restart: ready in ${r.restart.readySeconds} s, caught up in ${r.restart.caughtUpSeconds} s; writes ${JSON.stringify(r.restart.writes)} [goal: none]; reads ${JSON.stringify(r.restart.reads)}`,
    );
}

function printReaction(r: ReactionResult): void {
  console.log(
    `\nreaction: a canary answering 50% 5xx, background analysis every ${r.intervalSeconds} s, ${r.prometheus} Prometheus scraping every ${r.scrapeSeconds} s`,
  );
  for (const c of r.cases)
    console.log(
      `  ${c.name}: breach to weight 0 in ${c.breachToWeightZeroSeconds ?? '-'} s (floor ${c.floorSeconds} s: scrape + ${c.failuresNeeded} x interval)`,
    );
}

const results: {
  apiserver?: ApiServerBenchResult;
  sandbox?: SandboxBenchResult;
  scale: ScaleResult[];
  reaction?: ReactionResult;
} = { scale: [] };
if (!quick && only === undefined) {
  results.apiserver = await benchApiServer({});
  printApiServer(results.apiserver);
  results.sandbox = await benchSandbox({});
  printSandbox(results.sandbox);
}
const runs = quick
  ? [{ rollouts: 1000, spreadSeconds: 20, pauseSeconds: 10, intervalSeconds: 5, restartAndIdleSeconds: 10 }]
  : [
      { rollouts: 1000, spreadSeconds: 60, pauseSeconds: 30, intervalSeconds: 10 },
      { rollouts: 5000, spreadSeconds: 300, pauseSeconds: 30, intervalSeconds: 30 },
      // 10,000 releases over 30 minutes: about 1,000 runs in progress at a time, what 2 cores carry
      { rollouts: 10000, spreadSeconds: 1800, pauseSeconds: 60, intervalSeconds: 60, restartAndIdleSeconds: 120 },
    ].filter((r) => only === undefined || only.includes(r.rollouts));
if (only !== undefined && runs.length !== only.length) {
  console.error('--scale: the full run has scale runs of 1000, 5000 and 10000 rollouts');
  process.exit(2);
}
for (const r of runs) {
  const result = await benchScale(r);
  results.scale.push(result);
  printScale(result);
}
if (only === undefined) {
  results.reaction = await benchReaction();
  printReaction(results.reaction);
}

const dir = join(new URL('.', import.meta.url).pathname, 'results');
mkdirSync(dir, { recursive: true });
const file = join(
  dir,
  `${m.date.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}${only === undefined ? '' : `-scale-${only.join('-')}`}.json`,
);
writeFileSync(file, `${JSON.stringify({ machine: m, quick, ...results }, null, 2)}\n`);
console.log(`\nwrote ${file}`);
process.exit(0); // open keep-alive sockets must not keep the runner alive
