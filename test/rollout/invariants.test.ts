/**
 * Property test: the planner, driving a simulated world through random event sequences, keeps
 * its invariants — weights within 0..100 (the router gives the primary the rest, so they sum to
 * 100), traffic only to a canary with ready endpoints, none after a rollback decision, at most
 * one promotion per revision, the canary scaled down only without traffic and scaleDownDelay
 * after its traffic went (the proxies get routes late), even when a status write is refused after
 * the pass's routing write (409), and the Rollout (spec included) never written by planning.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Rollout } from '../../src/api/schema/rollout.js';
import type { Command } from '../../src/api/schema/rollout-status.js';
import type { Measurement } from '../../src/api/schema/rollout-status.js';
import { dueMetrics } from '../../src/analysis/assess.js';
import type { Action, Observations } from '../../src/rollout/model.js';
import { exampleMetric } from './fixtures.js';

/** What the next measurement of a scope says; undefined: none is taken (no data yet). */
type Verdict = Exclude<Measurement['phase'], 'Pending' | 'Running'>;
const METRICS = [exampleMetric('step'), exampleMetric('background')];
import { plan } from '../../src/rollout/plan.js';

interface World {
  time: number;
  targetRevision: string;
  targetReplicas: number;
  targetReady: number;
  canaryBroken: boolean;
  primaryRevision: string | undefined;
  primaryReady: number;
  routed: number | undefined;
  stepVerdict: Verdict | undefined;
  backgroundVerdict: Verdict | undefined;
  nextRevision: number;
  /** A generated Service was deleted by someone. */
  serviceMissing: boolean;
  /** The VirtualService's resourceVersion: every write changes it. */
  routingVersion: number;
  /** When the routing last took the canary's traffic away. */
  trafficLeftAt: number | undefined;
  /** The next acting pass's status write is refused (409: a command was recorded meanwhile); its actions happened. */
  refuseStatus: boolean;
}

type Event =
  | { kind: 'tick'; seconds: number }
  | { kind: 'newRevision' }
  | { kind: 'revert' }
  | { kind: 'breakCanary' }
  | { kind: 'healCanary' }
  | { kind: 'deleteRouting'; what: 'VirtualService' | 'Service' }
  | { kind: 'stepVerdict'; verdict: Verdict | undefined }
  | { kind: 'backgroundVerdict'; verdict: Verdict | undefined }
  | { kind: 'command'; action: Command['action'] }
  | { kind: 'refuseStatus' };

const event: fc.Arbitrary<Event> = fc.oneof(
  {
    weight: 20,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), seconds: fc.integer({ min: 1, max: 120 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'newRevision' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'revert' as const }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'refuseStatus' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'breakCanary' as const }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'healCanary' as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deleteRouting' as const),
      what: fc.constantFrom<'VirtualService' | 'Service'>('VirtualService', 'Service'),
    }),
  },
  // Mostly good news, so that runs get through their steps and promotions happen too.
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('stepVerdict' as const),
      verdict: fc.constantFrom<Verdict | undefined>(
        'Successful',
        'Successful',
        'Successful',
        'Error',
        'Failed',
        'Inconclusive',
        undefined,
      ),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('backgroundVerdict' as const),
      verdict: fc.constantFrom<Verdict | undefined>(
        'Successful',
        'Successful',
        'Successful',
        'Error',
        'Failed',
        'Inconclusive',
        undefined,
      ),
    }),
  },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('command' as const),
      action: fc.constantFrom<Command['action']>('promote', 'promote', 'abort', 'retry', 'pause', 'resume', 'resume'),
    }),
  },
);

const base = parse(readFileSync(new URL('../../examples/podinfo/rollout.yaml', import.meta.url), 'utf8')) as Rollout;
base.spec.strategy.canary.steps.push({ pause: {} });
base.metadata.finalizers = ['sluice.dev/finalizer'];

function apply(w: World, a: Action): void {
  switch (a.type) {
    case 'ensurePrimary':
      // As the controller does: the template is copied from the target, so only the target's revision can be.
      if (a.revision !== w.targetRevision) break;
      if (w.primaryRevision !== a.revision) w.primaryReady = 0;
      w.primaryRevision = a.revision;
      break;
    case 'ensureServices':
      if (w.routed === undefined) w.routingVersion++;
      w.routed ??= 0;
      w.serviceMissing = false;
      break;
    case 'setWeight':
      if ((w.routed ?? 0) > 0 && a.canaryWeight === 0) w.trafficLeftAt = w.time;
      w.routed = a.canaryWeight;
      w.routingVersion++;
      break;
    case 'scaleCanary':
      if (a.replicas === 0) {
        expect(w.routed ?? 0, 'the canary is scaled down only without traffic').toBe(0);
        const since = w.trafficLeftAt === undefined ? Infinity : w.time - w.trafficLeftAt;
        expect(since, 'the canary keeps its replicas scaleDownDelay after its traffic went').toBeGreaterThanOrEqual(
          30_000,
        );
      }
      w.targetReplicas = a.replicas;
      w.targetReady = Math.min(w.targetReady, a.replicas);
      break;
    case 'scalePrimary':
      throw new Error('unexpected scalePrimary: nobody scaled the primary down');
    case 'ensureAutoscaler':
    case 'deleteAutoscaler':
    case 'pauseAutoscaler':
      throw new Error(`unexpected ${a.type}: the target has no autoscaler`);
    case 'addFinalizer':
    case 'removeFinalizer':
    case 'convergeRouting':
    case 'handOver':
    case 'releaseService':
    case 'orphan':
      throw new Error(`unexpected ${a.type}: the Rollout has its finalizer and is not deleted`);
  }
}

function happen(w: World, e: Event, stable: string | undefined): Command['action'] | undefined {
  switch (e.kind) {
    case 'tick':
      w.time += e.seconds * 1000;
      w.primaryReady = 2;
      w.targetReady = w.canaryBroken ? 0 : w.targetReplicas;
      return undefined;
    case 'newRevision':
      w.targetRevision = `r${w.nextRevision++}`;
      return undefined;
    case 'revert':
      if (stable !== undefined) w.targetRevision = stable;
      return undefined;
    case 'breakCanary':
      w.canaryBroken = true;
      w.targetReady = 0;
      return undefined;
    case 'healCanary':
      w.canaryBroken = false;
      return undefined;
    case 'deleteRouting':
      if (e.what === 'VirtualService') {
        if ((w.routed ?? 0) > 0) w.trafficLeftAt = w.time;
        w.routed = undefined;
      } else w.serviceMissing = true;
      return undefined;
    case 'refuseStatus':
      w.refuseStatus = true;
      return undefined;
    case 'stepVerdict':
      w.stepVerdict = e.verdict;
      return undefined;
    case 'backgroundVerdict':
      w.backgroundVerdict = e.verdict;
      return undefined;
    case 'command':
      return e.action;
  }
}

/** Good news mostly: runs get through their steps, so promotions are exercised. */
const happyEvent: fc.Arbitrary<Event> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), seconds: fc.integer({ min: 5, max: 60 }) }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'newRevision' as const }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'stepVerdict' as const, verdict: 'Successful' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'command' as const, action: 'promote' as const }) },
);

/** The shell: the measurements due now, saying what the world says. */
function measure(w: World, rollout: Rollout): Observations['analysis']['taken'] {
  return dueMetrics(METRICS, rollout.status ?? {}, new Date(w.time)).flatMap(({ metric, at }) => {
    const phase = metric.scope === 'step' ? w.stepVerdict : w.backgroundVerdict;
    return phase === undefined
      ? []
      : [{ key: metric.key, measurement: { phase, message: `${metric.key}: ${phase}`, startedAt: at.toISOString() } }];
  });
}

function check(events: fc.Arbitrary<Event>, runs: number): { promotions: number; rollbacks: number } {
  let totalPromotions = 0;
  let totalRollbacks = 0;
  fc.assert(
    fc.property(fc.array(events, { minLength: 20, maxLength: 150, size: 'max' }), (events) => {
      const w: World = {
        time: Date.parse('2026-11-26T12:00:00Z'),
        targetRevision: 'r1',
        targetReplicas: 2,
        targetReady: 2,
        canaryBroken: false,
        primaryRevision: undefined,
        primaryReady: 0,
        routed: undefined,
        stepVerdict: undefined,
        backgroundVerdict: undefined,
        nextRevision: 2,
        serviceMissing: false,
        routingVersion: 0,
        trafficLeftAt: undefined,
        refuseStatus: false,
      };
      let rollout: Rollout = structuredClone(base);
      let promotedHere = 0;
      let commandId = 0;
      for (const e of events) {
        const action = happen(w, e, rollout.status?.stableRevision);
        if (action !== undefined) {
          const c: Command = {
            id: `c${commandId++}`,
            action,
            user: 'fuzz',
            source: 'cli',
            at: new Date(w.time).toISOString(),
          };
          rollout = { ...rollout, status: { ...rollout.status, commands: [...(rollout.status?.commands ?? []), c] } };
        }
        // A few passes per event, as informer updates would trigger them.
        for (let pass = 0; pass < 4; pass++) {
          const obs: Observations = {
            specErrors: [],
            target: {
              revision: w.targetRevision,
              replicas: w.targetReplicas,
              readyReplicas: w.targetReady,
              rolledOut: true,
            },
            primary:
              w.primaryRevision === undefined
                ? undefined
                : {
                    revision: w.primaryRevision,
                    replicas: 2,
                    readyReplicas: w.primaryReady,
                    rolledOut: w.primaryReady === 2,
                  },
            routedWeight: w.routed,
            ...(w.routed === undefined ? {} : { routingVersion: String(w.routingVersion) }),
            missingRouting: [
              ...(w.routed === undefined ? ['VirtualService/podinfo'] : []),
              ...(w.serviceMissing ? ['Service/podinfo-canary'] : []),
            ],
            analysis: { metrics: METRICS, taken: measure(w, rollout) },
            commands: (rollout.status?.commands ?? [])
              .filter((c) => c.handledAt === undefined)
              .map((c) => ({ id: c.id, action: c.action, user: c.user })),
          };
          const frozen = JSON.stringify(rollout);
          const result = plan(rollout, obs, new Date(w.time));
          expect(JSON.stringify(rollout)).toBe(frozen);
          expect(result.status).not.toHaveProperty('spec');
          for (const a of result.actions) {
            if (a.type !== 'setWeight') continue;
            expect(a.canaryWeight).toBeGreaterThanOrEqual(0);
            expect(a.canaryWeight).toBeLessThanOrEqual(100);
            if (a.canaryWeight > 0) {
              expect(w.targetReady, 'traffic only to a canary with ready endpoints').toBeGreaterThan(0);
              expect(result.status.phase, 'no traffic to the canary after a rollback decision').not.toBe('RolledBack');
            }
          }
          if (result.status.phase === 'RolledBack')
            expect(result.actions.filter((a) => a.type === 'setWeight' && a.canaryWeight > 0)).toEqual([]);
          if (
            result.status.phase === 'Promoting' &&
            rollout.status?.phase !== 'Promoting' &&
            !result.events.some((ev) => ev.reason === 'CommandAccepted')
          ) {
            const last = result.status.metrics?.find((m) => m.name.startsWith('background'))?.measurements.at(-1);
            expect(last?.phase, 'no promotion while blind').not.toBe('Error');
          }
          for (const ev of result.events) {
            if (ev.reason !== 'Promoted') continue;
            // One promotion per revision: a revision is never promoted again while it is the stable one.
            expect(result.status.stableRevision, 'a promotion changes the stable revision').not.toBe(
              rollout.status?.stableRevision,
            );
            promotedHere++;
          }
          for (const a of result.actions) apply(w, a);
          // (refused at the next pass that acts: that is where a lost status write can hurt)
          if (w.refuseStatus && result.actions.length > 0) w.refuseStatus = false;
          else rollout = { ...rollout, status: result.status };
        }
      }
      totalPromotions += promotedHere;
      totalRollbacks += rollout.status?.rolledBackRevision === undefined ? 0 : 1;
    }),
    { numRuns: runs },
  );
  return { promotions: totalPromotions, rollbacks: totalRollbacks };
}

describe('planner invariants over random event sequences', () => {
  // Each property also checks that its sequences reach the interesting places, or it proves little.
  it('hold for 250 chaotic sequences (failures, commands, reverts, broken canaries)', () => {
    expect(check(event, 250).rollbacks).toBeGreaterThan(25);
  });

  it('hold for 150 mostly good sequences, through promotions', () => {
    expect(check(happyEvent, 150).promotions).toBeGreaterThan(25);
  });
});
