/**
 * `npm run test:reliability`: the full reliability run — chaos (20 rollouts, 50 SIGKILLs) and
 * faults (20 rollouts; the API emulator failing 10% of writes with 409 and 5% of requests with
 * 500, 200 ms slower, watches cut every 30 s; Redis restarted; Prometheus stopped; GitHub and
 * Slack failing) — then prints the summary line and writes JSON to test/reliability/results/.
 * `--reduced` runs the small version `npm test` runs.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runScenario, summary, type ScenarioOptions, type ScenarioResult } from './scenario.js';

export const REDUCED: ScenarioOptions[] = [
  {
    name: 'chaos+faults (reduced)',
    apps: 4,
    rounds: 1,
    kills: 4,
    faults: true,
    killWindowMs: 20_000,
    outageMs: 2000,
    roundDeadlineMs: 150_000,
    seed: 1,
  },
];

export const FULL: ScenarioOptions[] = [
  {
    name: 'chaos',
    apps: 20,
    rounds: 1,
    kills: 50,
    faults: false,
    killWindowMs: 60_000,
    outageMs: 0,
    roundDeadlineMs: 300_000,
    seed: 42,
  },
  {
    name: 'faults',
    apps: 20,
    rounds: 1,
    kills: 4,
    faults: true,
    killWindowMs: 60_000,
    outageMs: 15_000,
    roundDeadlineMs: 300_000,
    seed: 7,
  },
];

if (process.argv[1]?.endsWith('run.ts') === true) {
  const reduced = process.argv.includes('--reduced');
  const results: ScenarioResult[] = [];
  for (const o of reduced ? REDUCED : FULL) {
    const r = await runScenario({ ...o, say: (line) => console.log(line) });
    results.push(r);
    console.log(
      JSON.stringify({
        ...r,
        violations: r.violations.slice(0, 10),
        late: r.late.slice(0, 10),
        lost: r.lost.slice(0, 10),
        duplicated: r.duplicated.slice(0, 10),
        webhooks: { ...r.webhooks, wrong: r.webhooks.wrong.slice(0, 10) },
      }),
    );
  }
  const line = summary(results);
  console.log(line);
  const dir = join(new URL('.', import.meta.url).pathname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}${reduced ? '-reduced' : ''}.json`),
    `${JSON.stringify({ summary: line, results }, null, 2)}\n`,
  );
  const bad = results.some(
    (r) =>
      r.violations.length +
        r.webhooks.wrong.length +
        r.crashes +
        r.late.length +
        r.lost.length +
        r.duplicated.length +
        r.secrets.length +
        r.failedRequests.mesh +
        r.failedRequests.outside >
      0,
  );
  process.exit(bad ? 1 : 0);
}
