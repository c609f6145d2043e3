/** `npm run bench`: runs the benchmarks, prints their figures and the machine, writes JSON to bench/results/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchApiServer } from './apiserver.js';
import { benchSandbox } from './sandbox.js';
import { benchSteps, type StepsBenchResult } from './steps.js';
import { machine } from './machine.js';

const quick = process.argv.includes('--quick');
const m = machine();
console.log(`machine: ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}; commit ${m.commit}; ${m.date}`);

const apiserver = await benchApiServer(quick ? { objects: 2_000, fanoutSeconds: 5 } : {});
console.log('\napiserver (emulator in its own process)');
console.log(`  create ${apiserver.objects} Rollouts: ${apiserver.createPerSecond}/s`);
console.log(`  3 watchers saw all ${apiserver.objects} ADDED events ${apiserver.watchAllAddedMs} ms after the first create`);
console.log(`  LIST of ${apiserver.objects} (${(apiserver.listBytes / 2 ** 20).toFixed(1)} MiB): median ${apiserver.listMs.median} ms (samples ${apiserver.listMs.samples.join(', ')})`);
const f = apiserver.fanout;
console.log(`  fan-out: ${f.sentPerSecond} changes/s sent for ${f.seconds} s, ${f.deliveredPerSecondPerWatcher} events/s delivered per watcher x ${f.watchers}, latency p50 ${f.latencyMs.p50} ms / p99 ${f.latencyMs.p99} ms, missed ${f.missed}`);
console.log(`  emulator RSS at the end: ${apiserver.rssMiB} MiB`);

const sandbox = await benchSandbox(quick ? { runs: 1, cpuSeconds: 10 } : {});
console.log('\nsandbox (sluice sandbox up in its own process, real Prometheus)');
console.log(`  up to the first scraped sample: median ${sandbox.upToFirstSampleMs.median} ms (samples ${sandbox.upToFirstSampleMs.samples.join(', ')})`);
console.log(`  ${sandbox.cpu.services} services x ${sandbox.cpu.rpsPerService} rps for ${sandbox.cpu.seconds} s: ${sandbox.cpu.percentOfOneCore}% of one core (emulator + simulators), ${sandbox.cpu.requestsSent} requests sent in all`);

function printSteps(r: StepsBenchResult): void {
  console.log(`\nsteps: ${r.rollouts} rollouts, releases spread over ${r.spreadSeconds} s, pauses of ${r.pauseSeconds} s (sluice controller on Redis; the sandbox in its own process)`);
  console.log(`  runs in progress at the peak: ${r.peakActive}; completed: ${r.completed}/${r.rollouts} in ${r.runSeconds} s`);
  console.log(`  step lateness (due -> VirtualService written), ${r.pausesMeasured} pauses: p50 ${r.latenessMs.p50} ms, p99 ${r.latenessMs.p99} ms, max ${r.latenessMs.max} ms`);
  console.log(`  controller: ${r.controller.cpuSeconds} CPU s (${Math.round((r.controller.cpuSeconds * 1000) / Math.max(1, r.completed))} ms per run), peak RSS ${r.controller.peakRssMiB} MiB; sandbox ${r.sandboxCpuSeconds} CPU s`);
  console.log(`  controller writes: ${Object.entries(r.writes).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}

const steps = [await benchSteps(quick ? { rollouts: 200, pauseSeconds: 20, spreadSeconds: 20 } : {})];
if (!quick) steps.push(await benchSteps({ spreadSeconds: 0 }));
steps.forEach(printSteps);

const dir = join(new URL('.', import.meta.url).pathname, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, `${m.date.replace(/[:.]/g, '-')}${quick ? '-quick' : ''}.json`);
writeFileSync(file, `${JSON.stringify({ machine: m, quick, apiserver, sandbox, steps }, null, 2)}\n`);
console.log(`\nwrote ${file}`);
process.exit(0); // open keep-alive sockets must not keep the runner alive
