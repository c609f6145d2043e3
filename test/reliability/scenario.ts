/**
 * One reliability scenario: N apps (half good, half bad) released `rounds` times while the
 * controller is killed with SIGKILL at random moments and, with `faults`, the API emulator fails
 * and slows requests and cuts watches, Redis restarts, Prometheus stops, GitHub and Slack fail.
 * Counts what matters: invariant violations, crashes, runs that did not end as their profile
 * says in time, reports lost or duplicated, secrets found where they must not be.
 */
import { FailedRequests } from '../support/failed-requests.js';
import { eventually } from '../sandbox/helpers.js';
import { chatter, type WebhookCounts } from './chatter.js';
import { Invariants } from './invariants.js';
import { checkReports } from './reports.js';
import { findSecrets } from './secrets.js';
import { commitOf, release, startWorld, type World } from './world.js';

export interface ScenarioOptions {
  name: string;
  apps: number;
  rounds: number;
  kills: number;
  faults: boolean;
  /** How long a round may take, from its release to the last run's end. */
  roundDeadlineMs: number;
  /** Kills happen at random moments within this much time after each release. */
  killWindowMs: number;
  /** How long GitHub and Slack fail each time (with faults). */
  outageMs: number;
  /** Seed of the kill moments and pauses (the same seed, the same schedule). */
  seed: number;
  say?: (line: string) => void;
}

export interface ScenarioResult {
  name: string;
  apps: number;
  runs: number;
  kills: number;
  faults: {
    apiErrors: number;
    apiConflicts: number;
    watchCuts: number;
    redisRestarts: number;
    prometheusOutages: number;
    githubOutages: number;
    slackOutages: number;
  };
  checked: { virtualServices: number; rollouts: number };
  /** PR comments sent to the webhook during the kills and faults (see chatter.ts). */
  webhooks: WebhookCounts;
  violations: string[];
  crashes: number;
  late: string[];
  lost: string[];
  duplicated: string[];
  secrets: string[];
  /** Requests that failed on routing since each Rollout was Healthy (goal: 0; see test/support/failed-requests.ts). */
  failedRequests: { mesh: number; outside: number; details: string[] };
  seconds: number;
}

/** A small seeded generator (mulberry32): the schedule of a run can be replayed. */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function statusOf(w: World, name: string): any {
  return (
    (
      w.sb.server.api.store.get(
        w.sb.server.api.registry.resource('sluice.dev', 'rollouts').storageKey,
        'demo',
        name,
      ) as any
    )?.status ?? {}
  );
}

/** Whether app i's round r ended as its profile says: promoted (good) or rolled back (bad). */
function ended(w: World, i: number, round: number): boolean {
  const s = statusOf(w, w.apps[i]!.name);
  if (s.release?.commit !== commitOf(i, round)) return false;
  return w.apps[i]!.good ? s.phase === 'Healthy' && s.reason === 'Promoted' : s.phase === 'RolledBack';
}

/** The runs of a round that did not end as their profile says, with where they are. */
function notEnded(w: World, round: number): string[] {
  return w.apps.flatMap((app, i) => {
    if (ended(w, i, round)) return [];
    const s = statusOf(w, app.name);
    return [
      `${app.name} round ${round + 1}: ${JSON.stringify({ phase: s.phase, reason: s.reason, message: s.message })}`,
    ];
  });
}

/** Kills and restarts the controller at `count` random moments within `windowMs`. */
async function killAtRandom(w: World, count: number, windowMs: number, rnd: () => number): Promise<void> {
  const moments = Array.from({ length: count }, () => rnd() * windowMs).sort((a, b) => a - b);
  const t0 = Date.now();
  for (const at of moments) {
    await sleep(Math.max(0, t0 + at - Date.now()));
    await w.controller.kill();
    await sleep(rnd() * 500);
    w.controller.start();
  }
}

interface FaultCounts {
  redisRestarts: number;
  prometheusOutages: number;
  githubOutages: number;
  slackOutages: number;
}

/** During a round: a Redis restart, a Prometheus outage, GitHub 500s then secondary limits, Slack 429s. */
async function dependencyFaults(w: World, windowMs: number, outageMs: number, counts: FaultCounts): Promise<void> {
  const at = (share: number): Promise<void> => sleep(windowMs * share);
  await Promise.all([
    at(0.2).then(async () => {
      await w.redis.stop();
      await sleep(2000);
      await w.redis.start();
      counts.redisRestarts++;
    }),
    at(0.4).then(async () => {
      await w.sb.prometheusServer?.stop();
      await sleep(6000);
      await w.sb.prometheusServer?.start();
      counts.prometheusOutages++;
    }),
    at(0.1).then(() => {
      w.github.failFor(outageMs, '500');
      setTimeout(() => w.github.failFor(outageMs, 'secondary'), outageMs + windowMs * 0.1);
      counts.githubOutages += 2;
    }),
    at(0.3).then(() => {
      w.slack.rateLimitFor(outageMs);
      counts.slackOutages++;
    }),
  ]);
}

export async function runScenario(o: ScenarioOptions): Promise<ScenarioResult> {
  const say = o.say ?? (() => undefined);
  const t0 = Date.now();
  const rnd = random(o.seed);
  const w = await startWorld(o.apps, o.rounds);
  const invariants = new Invariants(w.sb.server.api);
  const failedRequests = new FailedRequests(w.sb);
  const late: string[] = [];
  const counts: FaultCounts = { redisRestarts: 0, prometheusOutages: 0, githubOutages: 0, slackOutages: 0 };
  let watchCuts = 0;
  let auditFrom = 0;
  const webhooks: WebhookCounts = { sent: 0, answered: 0, wrong: [] };
  try {
    await eventually(
      'every Rollout Healthy before the first release',
      () => w.apps.every((a) => statusOf(w, a.name).phase === 'Healthy'),
      90_000,
    );
    say(`${o.name}: ${o.apps} Rollouts Healthy after ${Math.round((Date.now() - t0) / 1000)} s`);
    auditFrom = w.sb.server.audit.last;
    if (o.faults) w.sb.server.faults.set({ latencyMs: 200, conflictRate: 0.1, errorRate: 0.05 });
    const cutter = o.faults ? setInterval(() => (watchCuts += w.sb.server.faults.cutWatches(true)), 30_000) : undefined;
    try {
      const killsPerRound = Math.ceil(o.kills / o.rounds);
      for (let round = 0; round < o.rounds; round++) {
        say(`${o.name}: round ${round + 1}/${o.rounds}: releasing ${o.apps} apps`);
        for (let i = 0; i < o.apps; i++) release(w, i, round);
        const killing = killAtRandom(w, Math.min(killsPerRound, o.kills - round * killsPerRound), o.killWindowMs, rnd);
        const faults = o.faults ? dependencyFaults(w, o.killWindowMs, o.outageMs, counts) : Promise.resolve();
        await Promise.all([killing, faults, chatter(w, round, o.killWindowMs, webhooks)]);
        if (!w.controller.running()) w.controller.start();
        await eventually(
          `round ${round + 1} to end`,
          () => w.apps.every((_, i) => ended(w, i, round)),
          o.roundDeadlineMs - o.killWindowMs,
        ).catch(() => undefined);
        late.push(...notEnded(w, round));
        say(`${o.name}: round ${round + 1} over after ${Math.round((Date.now() - t0) / 1000)} s`);
      }
    } finally {
      if (cutter !== undefined) clearInterval(cutter);
      w.sb.server.faults.set({ latencyMs: 0, conflictRate: 0, errorRate: 0 });
    }
    const audit = w.sb.server.audit
      .since(auditFrom)
      .filter((e) => e.userAgent?.startsWith('sluice-controller') === true);
    const reports = await checkReports(w, say);
    say(`${o.name}: reports checked after ${Math.round((Date.now() - t0) / 1000)} s`);
    return {
      name: o.name,
      apps: o.apps,
      runs: o.apps * o.rounds,
      kills: w.controller.starts - 1,
      faults: {
        apiErrors: audit.filter((e) => e.code === 500).length,
        apiConflicts: audit.filter((e) => e.code === 409).length,
        watchCuts,
        ...counts,
      },
      checked: { ...invariants.checked },
      webhooks,
      violations: [...invariants.violations],
      crashes: w.controller.crashes,
      late,
      lost: reports.lost,
      duplicated: reports.duplicated,
      secrets: findSecrets(w),
      failedRequests: await failedRequests.since(),
      seconds: Math.round((Date.now() - t0) / 1000),
    };
  } finally {
    invariants.stop();
    failedRequests.stop();
    await w.stop();
  }
}

/** The line a run prints: counts, then the first few of each kind of problem. */
export function summary(results: ScenarioResult[]): string {
  const sum = (f: (r: ScenarioResult) => number): number => results.reduce((a, r) => a + f(r), 0);
  const faults = sum((r) => Object.values(r.faults).reduce((a, b) => a + b, 0));
  return `reliability: ${results.length} scenarios, ${sum((r) => r.runs)} runs, ${sum((r) => r.kills)} kills, ${faults} faults injected, ${sum((r) => r.checked.virtualServices + r.checked.rollouts)} changes checked, ${sum((r) => r.webhooks.sent)} webhook deliveries (${sum((r) => r.webhooks.answered)} answered); ${sum((r) => r.violations.length)} invariant violations, ${sum((r) => r.webhooks.wrong.length)} webhook answers wrong, ${sum((r) => r.crashes)} crashes, ${sum((r) => r.late.length)} runs late or wrong, ${sum((r) => r.lost.length)} reports lost, ${sum((r) => r.duplicated.length)} duplicated, ${sum((r) => r.secrets.length)} secrets exposed, ${sum((r) => r.failedRequests.mesh + r.failedRequests.outside)} requests failed on routing`;
}
