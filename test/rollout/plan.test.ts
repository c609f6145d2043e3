/** Table tests of the pure planner: every phase against the inputs that move it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Rollout } from '../../src/api/schema/rollout.js';
import type { Measurement, RolloutStatus } from '../../src/api/schema/rollout-status.js';
import { exampleMetric as metric } from './fixtures.js';
import type { Observations, PendingCommand } from '../../src/rollout/model.js';
import { plan } from '../../src/rollout/plan.js';
import { REASONS, renderReasonsDoc } from '../../src/rollout/reasons.js';

const NOW = new Date('2026-11-26T12:00:00Z');
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function rollout(status?: RolloutStatus): Rollout {
  const r = parse(readFileSync(new URL('../../examples/podinfo/rollout.yaml', import.meta.url), 'utf8')) as Rollout;
  // steps: 0 setWeight 10, 1 pause 30s, 2 analysis, 3 setWeight 50, 4 pause 30s -> make the last one a gate
  r.spec.strategy.canary.steps[4] = { pause: {} };
  r.metadata.generation = 3;
  r.metadata.finalizers = ['sluice.dev/finalizer'];
  return status === undefined ? r : { ...r, status };
}

const METRICS = [metric('step'), metric('background')];

/** One measurement just taken, as the shell would hand it over. */
function measured(
  scope: 'step' | 'background',
  phase: Measurement['phase'],
  message: string,
): Observations['analysis'] {
  const key = metric(scope).key;
  return { metrics: METRICS, taken: [{ key, measurement: { phase, message, startedAt: ago(0) } }] };
}

function obs(over: Partial<Observations> = {}): Observations {
  return {
    specErrors: [],
    target: { revision: 'r2', replicas: 2, readyReplicas: 2, rolledOut: true },
    primary: { revision: 'r1', replicas: 2, readyReplicas: 2, rolledOut: true },
    routedWeight: 0,
    missingRouting: [],
    analysis: { metrics: METRICS, taken: [] },
    commands: [],
    ...over,
  };
}

const healthy: RolloutStatus = { phase: 'Healthy', reason: 'Stable', stableRevision: 'r1', canaryWeight: 0 };
// a run in progress has canary traffic (background checks measure only then)
const run = (index: number, extra: RolloutStatus = {}): RolloutStatus => ({
  phase: 'Progressing',
  reason: 'WeightSet',
  canaryWeight: 10,
  stableRevision: 'r1',
  canaryRevision: 'r2',
  currentStepIndex: index,
  runStartedAt: ago(120),
  stepStartedAt: ago(1),
  ...extra,
});
const LATER = new Date(NOW.getTime() + 30_000).toISOString();
const cmd = (action: PendingCommand['action']): PendingCommand => ({ id: `c-${action}`, action, user: 'alice' });
const withCommands = (s: RolloutStatus, ...cs: PendingCommand[]): RolloutStatus => ({
  ...s,
  commands: cs.map((c) => ({ id: c.id, action: c.action, user: c.user, source: 'cli', at: ago(2) })),
});

interface Case {
  name: string;
  /** Changes the Rollout's spec. */
  spec?: (r: Rollout) => void;
  status?: RolloutStatus;
  obs: Partial<Observations>;
  phase: string;
  reason: string;
  actions: unknown[];
  check?: (s: RolloutStatus) => void;
}

const cases: Case[] = [
  {
    name: 'invalid spec',
    obs: { specErrors: ['spec.service.port: must be at most 65535'] },
    phase: 'Invalid',
    reason: 'InvalidSpec',
    actions: [],
  },
  { name: 'missing target', obs: { target: undefined }, phase: 'Invalid', reason: 'TargetNotFound', actions: [] },
  {
    name: 'invalid spec mid-run: the canary traffic goes back to the primary',
    status: run(1, { canaryWeight: 10 }),
    obs: { specErrors: ['spec.strategy.canary.steps[2].analysis.templates[0].name: not found'], routedWeight: 10 },
    phase: 'Invalid',
    reason: 'InvalidSpec',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
    check: (s) => expect(s.canaryWeight).toBe(0),
  },
  {
    name: 'target deleted mid-run: the canary traffic goes back to the primary',
    status: run(1, { canaryWeight: 10 }),
    obs: { target: undefined, routedWeight: 10 },
    phase: 'Invalid',
    reason: 'TargetNotFound',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
  },
  {
    name: 'primary deleted by hand between runs: created again from the target, which holds the stable revision',
    status: { ...healthy, primaryReplicas: 3 },
    obs: { primary: undefined, target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true } },
    phase: 'Healthy',
    reason: 'Stable',
    actions: [{ type: 'ensurePrimary', revision: 'r1', replicas: 3 }],
    check: (s) =>
      expect(s.conditions?.find((c) => c.type === 'PrimaryAvailable')).toMatchObject({
        status: 'False',
        reason: 'PrimaryMissing',
        message: expect.stringMatching(/being created again from revision r1/),
      }),
  },
  {
    name: 'primary scaled to 0 by hand: scaled back; Ready is False while it has no ready pod',
    status: { ...healthy, primaryReplicas: 2 },
    obs: {
      primary: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true },
      target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true },
    },
    phase: 'Healthy',
    reason: 'Stable',
    actions: [{ type: 'scalePrimary', replicas: 2 }],
    check: (s) => {
      expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
      expect(s.conditions?.find((c) => c.type === 'PrimaryAvailable')?.reason).toBe('PrimaryNotReady');
    },
  },
  {
    name: 'primary scaled up by hand: the new size is kept, not fought',
    status: { ...healthy, primaryReplicas: 2 },
    obs: {
      primary: { revision: 'r1', replicas: 5, readyReplicas: 5, rolledOut: true },
      target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true },
    },
    phase: 'Healthy',
    reason: 'Stable',
    actions: [],
    check: (s) => expect(s.primaryReplicas).toBe(5),
  },
  {
    name: "primary's template edited by hand: rewritten from the stable revision",
    status: { ...healthy, primaryReplicas: 2 },
    obs: {
      primary: { revision: 'r1', replicas: 2, readyReplicas: 2, rolledOut: true },
      primaryDrift: ['its pod template was changed'],
      target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true },
    },
    phase: 'Healthy',
    reason: 'Stable',
    actions: [{ type: 'ensurePrimary', revision: 'r1', replicas: 2 }],
  },
  {
    name: 'primary deleted mid-run: nothing to rebuild it from; the condition says what to do',
    status: run(1, { primaryReplicas: 2 }),
    obs: { primary: undefined, routedWeight: 10 },
    phase: 'Paused',
    reason: 'PauseStep',
    actions: [],
    check: (s) =>
      expect(s.conditions?.find((c) => c.type === 'PrimaryAvailable')).toMatchObject({
        status: 'False',
        reason: 'PrimaryMissing',
        message: expect.stringMatching(/cannot be rebuilt.*put the stable revision back in Git, or promote/),
      }),
  },
  {
    name: 'restart: traffic back to the primary first, then the scale-down delay',
    status: run(0, { canaryRestart: true, canaryWeight: 10 }),
    obs: { routedWeight: 10 },
    phase: 'Progressing',
    reason: 'RestartingCanary',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
    // (the pass that sees the new routes starts the scale-down delay: test/rollout/scale-down-delay.test.ts)
    check: (s) => expect(s.scaleDownAt).toBeUndefined(),
  },
  {
    name: "restart done: the canary scales up with this revision's configs; the run keeps its identity (runStartedAt)",
    status: run(0, { canaryRestart: true, canaryWeight: 0 }),
    obs: { routedWeight: 0, target: { revision: 'r2', replicas: 0, readyReplicas: 0, rolledOut: true } },
    phase: 'Progressing',
    reason: 'WaitingForCanary',
    actions: [{ type: 'scaleCanary', replicas: 2 }],
    check: (s) => {
      expect(s.canaryRestart).toBeUndefined();
      expect(s.runStartedAt).toBe(ago(120));
    },
  },
  {
    name: 'a changed spec.service reaches the generated routing',
    status: healthy,
    obs: {
      drift: ['VirtualService/podinfo'],
      target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true },
    },
    phase: 'Healthy',
    reason: 'Stable',
    actions: [{ type: 'convergeRouting' }],
  },
  {
    name: 'converging goes alongside what the pass does: a pending command is not held up',
    status: withCommands(run(4, { phase: 'Paused', reason: 'WaitingForPromotion' }), cmd('promote')),
    obs: { drift: ['VirtualService/podinfo'], routedWeight: 50, commands: [cmd('promote')] },
    phase: 'Promoting',
    reason: 'Promoting',
    actions: [{ type: 'ensurePrimary', revision: 'r2', replicas: 2 }, { type: 'convergeRouting' }],
  },
  {
    name: 'a pass that moves traffic leaves converging to the next one (one writer of the VirtualService per pass)',
    status: run(2),
    obs: {
      drift: ['VirtualService/podinfo'],
      routedWeight: 10,
      analysis: measured('step', 'Successful', 'all checks passed'),
    },
    phase: 'Progressing',
    reason: 'WeightSet',
    actions: [{ type: 'setWeight', canaryWeight: 50 }],
  },
  {
    name: 'an Invalid Rollout converges nothing',
    spec: (r) => (r.spec.strategy.canary.steps = []),
    status: healthy,
    obs: { drift: ['VirtualService/podinfo'], specErrors: ['spec.strategy.canary.steps: needs a step'] },
    phase: 'Invalid',
    reason: 'InvalidSpec',
    actions: [],
  },
  {
    name: 'conflict: nothing is routed or scaled with objects Sluice did not make',
    obs: {
      conflicts: ['VirtualService/podinfo: not made by Sluice'],
      target: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true },
      primary: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true },
      routedWeight: 0,
    },
    phase: 'Invalid',
    reason: 'RoutingConflict',
    actions: [],
    check: (s) => expect(s.message).toMatch(/VirtualService\/podinfo: not made by Sluice/),
  },
  {
    name: 'conflict mid-run: the run stops, nothing is routed or scaled',
    status: run(1, { canaryWeight: 10 }),
    obs: { conflicts: ['DestinationRule/podinfo-canary: not made by Sluice'], routedWeight: 10 },
    phase: 'Invalid',
    reason: 'RoutingConflict',
    actions: [],
  },
  {
    name: 'init: create the primary',
    obs: { primary: undefined, target: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true } },
    phase: 'Initializing',
    reason: 'Initializing',
    actions: [{ type: 'ensurePrimary', revision: 'r1', replicas: 3 }],
  },
  {
    name: 'init: wait for the primary',
    obs: {
      target: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true },
      primary: { revision: 'r1', replicas: 3, readyReplicas: 1, rolledOut: false },
    },
    phase: 'Initializing',
    reason: 'WaitingForPrimary',
    actions: [],
  },
  {
    name: 'init: create the routing',
    obs: {
      target: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true },
      primary: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true },
      routedWeight: undefined,
    },
    phase: 'Initializing',
    reason: 'Initializing',
    actions: [{ type: 'ensureServices' }],
  },
  {
    name: 'init: all traffic on the primary is Healthy; the target keeps its replicas for scaleDownDelay',
    obs: {
      target: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true },
      primary: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true },
    },
    phase: 'Healthy',
    reason: 'Initialized',
    actions: [],
    check: (s) => expect(s.scaleDownAt).toBe(LATER),
  },
  {
    name: 'healthy: the target is not scaled down before scaleDownAt',
    status: { ...healthy, scaleDownAt: new Date(NOW.getTime() + 1000).toISOString() },
    obs: { target: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true } },
    phase: 'Healthy',
    reason: 'Stable',
    actions: [],
  },
  {
    name: 'healthy: Promoted stays the reason while the canary waits for its scale-down',
    status: { ...healthy, reason: 'Promoted', scaleDownAt: new Date(NOW.getTime() + 1000).toISOString() },
    obs: { target: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true } },
    phase: 'Healthy',
    reason: 'Promoted',
    actions: [],
  },
  {
    name: 'healthy: the target is scaled down at scaleDownAt',
    status: { ...healthy, scaleDownAt: ago(0) },
    obs: { target: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true } },
    phase: 'Healthy',
    reason: 'Stable',
    actions: [{ type: 'scaleCanary', replicas: 0 }],
    check: (s) => expect(s.scaleDownAt).toBeUndefined(),
  },
  {
    name: 'healthy: a scaleDownDelay of 0 scales down at once',
    spec: (r) => (r.spec.strategy.canary.scaleDownDelay = '0s'),
    status: healthy,
    obs: { target: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true } },
    phase: 'Healthy',
    reason: 'Stable',
    actions: [{ type: 'scaleCanary', replicas: 0 }],
    check: (s) => expect(s.scaleDownAt).toBeUndefined(),
  },
  {
    name: 'init: done',
    obs: {
      target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true },
      primary: { revision: 'r1', replicas: 3, readyReplicas: 3, rolledOut: true },
    },
    phase: 'Healthy',
    reason: 'Initialized',
    actions: [],
    check: (s) => expect(s.stableRevision).toBe('r1'),
  },
  {
    name: 'healthy: steady state does nothing',
    status: healthy,
    obs: { target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true } },
    phase: 'Healthy',
    reason: 'Stable',
    actions: [],
  },
  {
    name: 'healthy: a new revision starts a run',
    status: healthy,
    obs: { target: { revision: 'r2', replicas: 0, readyReplicas: 0, rolledOut: true } },
    phase: 'Progressing',
    reason: 'NewRevision',
    actions: [{ type: 'scaleCanary', replicas: 2 }],
    check: (s) =>
      expect(s).toMatchObject({ canaryRevision: 'r2', currentStepIndex: 0, runStartedAt: NOW.toISOString() }),
  },
  {
    name: 'run: wait for the canary',
    status: run(0),
    obs: { target: { revision: 'r2', replicas: 2, readyReplicas: 0, rolledOut: false } },
    phase: 'Progressing',
    reason: 'WaitingForCanary',
    actions: [],
  },
  {
    name: 'run: set the first weight',
    status: run(0),
    obs: {},
    phase: 'Progressing',
    reason: 'WeightSet',
    actions: [{ type: 'setWeight', canaryWeight: 10 }],
    check: (s) => expect(s.canaryWeight).toBe(10),
  },
  {
    name: 'run: weight in place -> timed pause',
    status: run(0),
    obs: { routedWeight: 10 },
    phase: 'Paused',
    reason: 'PauseStep',
    actions: [],
    check: (s) => expect(s.currentStepIndex).toBe(1),
  },
  {
    name: 'run: pause over -> analysis running',
    status: run(1, { stepStartedAt: ago(31) }),
    obs: { routedWeight: 10 },
    phase: 'Progressing',
    reason: 'AnalysisRunning',
    actions: [],
    check: (s) => expect(s.currentStepIndex).toBe(2),
  },
  {
    name: 'run: analysis passed -> next weight',
    status: run(2),
    obs: { routedWeight: 10, analysis: measured('step', 'Successful', 'all checks passed') },
    phase: 'Progressing',
    reason: 'WeightSet',
    actions: [{ type: 'setWeight', canaryWeight: 50 }],
    check: (s) => expect(s.currentStepIndex).toBe(3),
  },
  {
    name: 'run: analysis failed -> roll back, traffic first',
    status: run(2),
    obs: { routedWeight: 10, analysis: measured('step', 'Failed', 'istio-error-rate: 0.05 > 0.01') },
    phase: 'RolledBack',
    reason: 'AnalysisFailed',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
    check: (s) => expect(s).toMatchObject({ rolledBackRevision: 'r2', canaryWeight: 0 }),
  },
  {
    name: 'run: analysis inconclusive -> a person decides',
    status: run(2),
    obs: { routedWeight: 10, analysis: measured('step', 'Inconclusive', 'no traffic') },
    phase: 'Paused',
    reason: 'AnalysisInconclusive',
    actions: [],
  },
  {
    name: 'run: background analysis failed',
    status: run(1),
    obs: { routedWeight: 10, analysis: measured('background', 'Failed', 'istio-latency-p99: 900 ms > 300 ms') },
    phase: 'RolledBack',
    reason: 'AnalysisFailed',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
  },
  {
    name: 'run: gate waits for promote',
    status: run(4),
    obs: { routedWeight: 50 },
    phase: 'Paused',
    reason: 'WaitingForPromotion',
    actions: [],
  },
  {
    name: 'run: promote at the gate -> promoting',
    status: withCommands(run(4), cmd('promote')),
    obs: { routedWeight: 50, commands: [cmd('promote')] },
    phase: 'Promoting',
    reason: 'Promoting',
    actions: [{ type: 'ensurePrimary', revision: 'r2', replicas: 2 }],
    check: (s) => expect(s.commands?.[0]?.handledAt).toBe(ago(0)),
  },
  {
    name: 'run: promote mid-run skips the remaining steps',
    status: withCommands(run(1), cmd('promote')),
    obs: { routedWeight: 10, commands: [cmd('promote')] },
    phase: 'Promoting',
    reason: 'Promoting',
    actions: [{ type: 'ensurePrimary', revision: 'r2', replicas: 2 }],
  },
  {
    name: 'run: abort -> rolled back',
    status: withCommands(run(3), cmd('abort')),
    obs: { routedWeight: 50, commands: [cmd('abort')] },
    phase: 'RolledBack',
    reason: 'Aborted',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
    check: (s) =>
      expect(s.commands?.[0]).toMatchObject({ outcome: expect.stringMatching(/rolled back/), accepted: true }),
  },
  {
    name: 'run: pause command holds the weight',
    status: withCommands(run(0), cmd('pause')),
    obs: { routedWeight: 10, commands: [cmd('pause')] },
    phase: 'Paused',
    reason: 'ManualPause',
    actions: [],
  },
  {
    name: 'run: manual pause stays',
    status: run(1, { phase: 'Paused', reason: 'ManualPause', stepStartedAt: ago(60) }),
    obs: { routedWeight: 10 },
    phase: 'Paused',
    reason: 'ManualPause',
    actions: [],
  },
  {
    name: 'run: resume continues',
    status: withCommands(run(1, { phase: 'Paused', reason: 'ManualPause', stepStartedAt: ago(60) }), cmd('resume')),
    obs: { routedWeight: 10, commands: [cmd('resume')] },
    phase: 'Progressing',
    reason: 'AnalysisRunning',
    actions: [],
  },
  {
    name: 'run: the canary loses its endpoints',
    status: run(1),
    obs: { routedWeight: 10, target: { revision: 'r2', replicas: 2, readyReplicas: 0, rolledOut: true } },
    phase: 'Paused',
    reason: 'CanaryLostEndpoints',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
  },
  {
    name: 'run: the canary recovers -> its weight comes back',
    status: run(1, { phase: 'Paused', reason: 'CanaryLostEndpoints' }),
    obs: { routedWeight: 0 },
    phase: 'Progressing',
    reason: 'WeightSet',
    actions: [{ type: 'setWeight', canaryWeight: 10 }],
  },
  {
    name: 'run: progress deadline',
    status: run(0, { stepStartedAt: ago(601), progressStalledAt: ago(601) }),
    obs: { target: { revision: 'r2', replicas: 2, readyReplicas: 0, rolledOut: false } },
    phase: 'RolledBack',
    reason: 'ProgressDeadlineExceeded',
    actions: [],
  },
  {
    name: 'run: a canary that stops being ready late in a long pause gets the whole deadline from now',
    status: run(2, { stepStartedAt: ago(3600), canaryWeight: 10 }),
    obs: { routedWeight: 10, target: { revision: 'r2', replicas: 2, readyReplicas: 0, rolledOut: true } },
    phase: 'Paused',
    reason: 'CanaryLostEndpoints',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
    check: (s) => expect(s.progressStalledAt).toBe(NOW.toISOString()),
  },
  {
    name: 'run: the deadline counts from when progress stopped',
    status: run(2, { stepStartedAt: ago(3600), progressStalledAt: ago(601), canaryWeight: 0 }),
    obs: { routedWeight: 0, target: { revision: 'r2', replicas: 2, readyReplicas: 0, rolledOut: true } },
    phase: 'RolledBack',
    reason: 'ProgressDeadlineExceeded',
    actions: [],
    check: (s) => expect(s.progressStalledAt).toBeUndefined(),
  },
  {
    name: 'run: a target still running old ready pods (not rolled out) is no ready canary',
    status: run(0),
    obs: { target: { revision: 'r2', replicas: 1, readyReplicas: 1, rolledOut: false } },
    phase: 'Progressing',
    reason: 'WaitingForCanary',
    actions: [],
  },
  {
    name: 'run: a rollback routes all traffic to the primary; the canary keeps its replicas',
    status: run(1, { canaryWeight: 10 }),
    obs: { routedWeight: 10, commands: [cmd('abort')] },
    phase: 'RolledBack',
    reason: 'Aborted',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
  },
  {
    name: 'rolled back: the pass that sees the traffic on the primary keeps the canary for scaleDownDelay',
    status: { ...run(1, { canaryWeight: 0 }), phase: 'RolledBack', reason: 'Aborted', rolledBackRevision: 'r2' },
    obs: { routedWeight: 0, routingVersion: '8' },
    phase: 'RolledBack',
    reason: 'Aborted',
    actions: [],
    check: (s) => expect(s).toMatchObject({ scaleDownAt: LATER, scaleDownRoutingVersion: '8' }),
  },
  {
    name: 'run: git reverts to stable',
    status: run(1),
    obs: { routedWeight: 10, target: { revision: 'r1', replicas: 2, readyReplicas: 2, rolledOut: true } },
    phase: 'Healthy',
    reason: 'Reverted',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
  },
  {
    name: 'run: a newer revision restarts the run, traffic first',
    status: run(3),
    obs: { routedWeight: 50, target: { revision: 'r3', replicas: 2, readyReplicas: 2, rolledOut: false } },
    phase: 'Progressing',
    reason: 'RestartedForNewRevision',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
    check: (s) => expect(s).toMatchObject({ canaryRevision: 'r3', currentStepIndex: 0 }),
  },
  {
    name: 'promoting: the target changed before the copy -> restart for the new revision',
    status: run(5, { phase: 'Promoting', reason: 'Promoting' }),
    obs: { routedWeight: 50, target: { revision: 'r3', replicas: 2, readyReplicas: 2, rolledOut: true } },
    phase: 'Progressing',
    reason: 'RestartedForNewRevision',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
  },
  {
    name: 'promoting: git reverted before the copy -> healthy',
    status: run(5, { phase: 'Promoting', reason: 'Promoting' }),
    obs: { routedWeight: 50, target: { revision: 'r1', replicas: 2, readyReplicas: 2, rolledOut: true } },
    phase: 'Healthy',
    reason: 'Reverted',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
  },
  {
    name: 'promoting: wait for the primary',
    status: run(5, { phase: 'Promoting', reason: 'Promoting' }),
    obs: { routedWeight: 50, primary: { revision: 'r2', replicas: 2, readyReplicas: 1, rolledOut: false } },
    phase: 'Promoting',
    reason: 'WaitingForPrimaryRollout',
    actions: [],
  },
  {
    name: 'promoting: traffic back to the primary',
    status: run(5, { phase: 'Promoting', reason: 'Promoting' }),
    obs: { routedWeight: 50, primary: { revision: 'r2', replicas: 2, readyReplicas: 2, rolledOut: true } },
    phase: 'Promoting',
    reason: 'WaitingForPrimaryRollout',
    actions: [{ type: 'setWeight', canaryWeight: 0 }],
  },
  {
    name: 'promoting: traffic on the new primary is Promoted; the canary keeps its replicas for scaleDownDelay',
    status: run(5, { phase: 'Promoting', reason: 'Promoting' }),
    obs: { routedWeight: 0, primary: { revision: 'r2', replicas: 2, readyReplicas: 2, rolledOut: true } },
    phase: 'Healthy',
    reason: 'Promoted',
    actions: [],
    check: (s) => expect(s).toMatchObject({ stableRevision: 'r2', scaleDownAt: LATER }),
  },
  {
    name: 'promoting: done',
    status: run(5, { phase: 'Promoting', reason: 'Promoting' }),
    obs: {
      routedWeight: 0,
      target: { revision: 'r2', replicas: 0, readyReplicas: 0, rolledOut: true },
      primary: { revision: 'r2', replicas: 2, readyReplicas: 2, rolledOut: true },
    },
    phase: 'Healthy',
    reason: 'Promoted',
    actions: [],
    check: (s) => expect(s.stableRevision).toBe('r2'),
  },
  {
    name: 'rolled back: park the canary at scaleDownAt',
    status: {
      phase: 'RolledBack',
      reason: 'AnalysisFailed',
      stableRevision: 'r1',
      rolledBackRevision: 'r2',
      scaleDownAt: ago(1),
    },
    obs: {},
    phase: 'RolledBack',
    reason: 'AnalysisFailed',
    actions: [{ type: 'scaleCanary', replicas: 0 }],
  },
  {
    name: 'rolled back: a canary routed to 0 by someone else keeps its replicas for scaleDownDelay from now',
    status: { phase: 'RolledBack', reason: 'AnalysisFailed', stableRevision: 'r1', rolledBackRevision: 'r2' },
    obs: {},
    phase: 'RolledBack',
    reason: 'AnalysisFailed',
    actions: [],
    check: (s) => expect(s.scaleDownAt).toBe(LATER),
  },
  {
    name: 'rolled back: the same revision is not retried by itself',
    status: { phase: 'RolledBack', reason: 'AnalysisFailed', stableRevision: 'r1', rolledBackRevision: 'r2' },
    obs: { target: { revision: 'r2', replicas: 0, readyReplicas: 0, rolledOut: true } },
    phase: 'RolledBack',
    reason: 'AnalysisFailed',
    actions: [],
  },
  {
    name: 'rolled back: retry runs it again',
    status: withCommands(
      { phase: 'RolledBack', reason: 'Aborted', stableRevision: 'r1', rolledBackRevision: 'r2' },
      cmd('retry'),
    ),
    obs: { target: { revision: 'r2', replicas: 0, readyReplicas: 0, rolledOut: true }, commands: [cmd('retry')] },
    phase: 'Progressing',
    reason: 'NewRevision',
    actions: [{ type: 'scaleCanary', replicas: 2 }],
  },
  {
    name: 'rolled back: a newer revision runs',
    status: { phase: 'RolledBack', reason: 'Aborted', stableRevision: 'r1', rolledBackRevision: 'r2' },
    obs: { target: { revision: 'r3', replicas: 0, readyReplicas: 0, rolledOut: true } },
    phase: 'Progressing',
    reason: 'NewRevision',
    actions: [{ type: 'scaleCanary', replicas: 2 }],
  },
  {
    name: 'rolled back: git back to stable -> healthy',
    status: { phase: 'RolledBack', reason: 'Aborted', stableRevision: 'r1', rolledBackRevision: 'r2' },
    obs: { target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true } },
    phase: 'Healthy',
    reason: 'Stable',
    actions: [],
  },
];

describe('plan', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const r = rollout(c.status);
    c.spec?.(r);
    const result = plan(r, obs(c.obs), NOW);
    expect({ phase: result.status.phase, reason: result.status.reason, actions: result.actions }).toEqual({
      phase: c.phase,
      reason: c.reason,
      actions: c.actions,
    });
    expect(Object.keys(REASONS)).toContain(result.status.reason);
    expect(result.status.observedGeneration).toBe(3);
    c.check?.(result.status);
  });

  it.each([
    ['targetOnly', 'False', 'ServiceSelectsTargetOnly', true],
    ['neither', 'False', 'ServiceSelectsNeither', true],
    ['primary', 'True', 'SelectsPrimary', false],
  ] as const)(
    'says when the Service clients call selects %s (condition ServiceSelectsPrimary, a Warning once)',
    (reach, status, reason, warns) => {
      const result = plan(
        rollout(healthy),
        obs({ serviceReach: reach, target: { ...obs().target!, revision: 'r1', replicas: 0 } }),
        NOW,
      );
      expect(result.status.conditions?.find((c) => c.type === 'ServiceSelectsPrimary')).toMatchObject({
        status,
        reason,
      });
      expect(result.events.some((e) => e.reason === reason && e.type === 'Warning')).toBe(warns);
      // the next pass, with the condition already written, warns no more
      const again = plan(
        rollout(result.status),
        obs({ serviceReach: reach, target: { ...obs().target!, revision: 'r1', replicas: 0 } }),
        NOW,
      );
      expect(again.events.filter((e) => e.type === 'Warning')).toEqual([]);
    },
  );

  it('has no ServiceSelectsPrimary condition when Sluice made the Service', () => {
    const result = plan(rollout(healthy), obs({ target: { ...obs().target!, revision: 'r1', replicas: 0 } }), NOW);
    expect(result.status.conditions?.map((c) => c.type)).not.toContain('ServiceSelectsPrimary');
  });

  it('is pure: the same inputs give the same plan, and the inputs are not changed', () => {
    const r = rollout(withCommands(run(4), cmd('promote')));
    const o = obs({ routedWeight: 50, commands: [cmd('promote')] });
    const before = JSON.stringify([r, o]);
    expect(plan(r, o, NOW)).toEqual(plan(r, o, NOW));
    expect(JSON.stringify([r, o])).toBe(before);
  });

  it('rejects commands that make no sense now, with a Warning event', () => {
    const result = plan(
      rollout(withCommands(healthy, cmd('abort'))),
      obs({ target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true }, commands: [cmd('abort')] }),
      NOW,
    );
    expect(result.events).toContainEqual({
      type: 'Warning',
      reason: 'CommandRejected',
      message: 'abort by alice: nothing to abort while the rollout is Healthy.',
    });
    expect(result.status.commands?.[0]).toMatchObject({
      handledAt: ago(0),
      outcome: 'nothing to abort while the rollout is Healthy.',
      accepted: false,
    });
  });

  it('starts a restart of a canary that still has pods at once, and comes back for it (never waits on an event that will not come)', () => {
    // a new revision right after a promotion: the old canary's scale-down delay is still running
    const status = { ...healthy, scaleDownAt: new Date(NOW.getTime() + 20_000).toISOString() };
    const result = plan(
      rollout(status),
      obs({ routedWeight: 0, target: { revision: 'r2', replicas: 2, readyReplicas: 2, rolledOut: true } }),
      NOW,
    );
    expect(result.status).toMatchObject({ phase: 'Progressing', reason: 'NewRevision', canaryRestart: true });
    // the delay already running is kept, and the pass comes back when it ends
    expect(result.actions).toEqual([]);
    expect(result.requeueAfterMs).toBe(20_000);
  });

  it('asks to come back when a timed pause ends', () => {
    expect(plan(rollout(run(1, { stepStartedAt: ago(10) })), obs({ routedWeight: 10 }), NOW).requeueAfterMs).toBe(
      20_000,
    );
  });

  it('keeps condition transition times while nothing changes', () => {
    const first = plan(
      rollout(healthy),
      obs({ target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true } }),
      NOW,
    );
    const later = plan(
      rollout(first.status),
      obs({ target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true } }),
      new Date(NOW.getTime() + 60_000),
    );
    expect(later.status.conditions).toEqual(first.status.conditions);
    expect(later.status.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });
});

describe('analysis', () => {
  it('folds measurements into status.metrics, newest last and bounded', () => {
    let status = run(0);
    for (let i = 0; i < 14; i++) {
      const taken = [
        {
          key: 'background:istio-error-rate/error-rate',
          measurement: { phase: 'Successful' as const, value: i / 1000, message: `m${i}`, startedAt: ago(100 - i) },
        },
      ];
      status = plan(rollout(status), obs({ routedWeight: 10, analysis: { metrics: METRICS, taken } }), NOW).status;
    }
    const entry = status.metrics?.find((e) => e.name === 'background:istio-error-rate/error-rate');
    expect(entry).toMatchObject({ phase: 'Running', successful: 14, failed: 0 });
    expect(entry?.measurements.map((m) => m.message)).toEqual([
      'm4',
      'm5',
      'm6',
      'm7',
      'm8',
      'm9',
      'm10',
      'm11',
      'm12',
      'm13',
    ]);
  });

  it('holds the weight while a metric cannot be measured, pauses past the error limit, and goes on when it works again', () => {
    const blind = plan(
      rollout(run(0)),
      obs({
        routedWeight: 10,
        analysis: measured(
          'background',
          'Error',
          'istio-error-rate/error-rate: Prometheus at http://p: network_error: ECONNREFUSED',
        ),
      }),
      NOW,
    );
    expect(blind.status).toMatchObject({ phase: 'Progressing', reason: 'WaitingForMetrics', currentStepIndex: 0 });
    expect(blind.actions).toEqual([]);
    const again = plan(
      rollout(blind.status),
      obs({ routedWeight: 10, analysis: measured('background', 'Error', 'still down') }),
      NOW,
    );
    expect(again.status).toMatchObject({ phase: 'Paused', reason: 'MetricsUnavailable' });
    expect(again.status.message).toMatch(/still down \(2 errors in a row\)/);
    const back = plan(
      rollout(again.status),
      obs({ routedWeight: 10, analysis: measured('background', 'Successful', 'ok') }),
      NOW,
    );
    expect(back.status).toMatchObject({ phase: 'Paused', reason: 'PauseStep', currentStepIndex: 1 });
  });

  it('never promotes while blind', () => {
    const last = rollout(run(5));
    const result = plan(last, obs({ routedWeight: 50, analysis: measured('background', 'Error', 'down') }), NOW);
    expect(result.status.phase).toBe('Progressing');
    expect(result.actions).toEqual([]);
  });

  it('rolls back at once on a fail-fast measurement, whatever the failure limit', () => {
    const lenient = { ...metric('background'), failureLimit: 5 };
    const taken = [
      {
        key: lenient.key,
        measurement: {
          phase: 'Failed' as const,
          failFast: true,
          message: 'istio-error-rate/error-rate: 0.3 > 0.05 (fail-fast)',
          startedAt: ago(0),
        },
      },
    ];
    const result = plan(
      rollout(run(1)),
      obs({ routedWeight: 10, analysis: { metrics: [metric('step'), lenient], taken } }),
      NOW,
    );
    expect(result.status).toMatchObject({ phase: 'RolledBack', reason: 'AnalysisFailed' });
    expect(result.status.message).toMatch(/0\.3 > 0\.05 \(fail-fast\)/);
  });

  it('lets a person resume after an inconclusive pause: the inconclusive count starts over', () => {
    const paused = plan(
      rollout(run(2)),
      obs({ routedWeight: 10, analysis: measured('step', 'Inconclusive', 'only 3 requests') }),
      NOW,
    ).status;
    expect(paused.reason).toBe('AnalysisInconclusive');
    const resumed = plan(
      rollout(withCommands(paused, cmd('resume'))),
      obs({ routedWeight: 10, commands: [cmd('resume')] }),
      NOW,
    );
    expect(resumed.status).toMatchObject({ phase: 'Progressing', reason: 'AnalysisRunning' });
    expect(resumed.status.metrics?.find((e) => e.name.startsWith('step'))).toMatchObject({
      phase: 'Running',
      inconclusive: 0,
    });
  });

  it('comes back when the next measurement is due, on the interval grid', () => {
    const result = plan(
      rollout(run(2, { stepStartedAt: ago(5) })),
      obs({ routedWeight: 10 }),
      new Date(NOW.getTime() + 10_000),
    );
    expect(result.requeueAfterMs).toBe(20_000);
  });
});

describe('generated routing deleted by someone', () => {
  it('is created again in Healthy, with a Warning', () => {
    const result = plan(
      rollout(healthy),
      obs({
        target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true },
        missingRouting: ['Service/podinfo-canary'],
      }),
      NOW,
    );
    expect(result.actions).toEqual([{ type: 'ensureServices' }]);
    expect(result.events).toContainEqual({
      type: 'Warning',
      reason: 'RoutingRestored',
      message: 'Created Service/podinfo-canary again: deleted outside Sluice.',
    });
    expect(result.status.phase).toBe('Healthy');
  });

  it('is created again during a run, which goes on (the weight is set back once the VirtualService is seen)', () => {
    const result = plan(
      rollout(run(3)),
      obs({ routedWeight: undefined, missingRouting: ['VirtualService/podinfo'] }),
      NOW,
    );
    expect(result.actions[0]).toEqual({ type: 'ensureServices' });
    expect(result.actions.filter((a) => a.type === 'ensureServices')).toHaveLength(1);
    expect(result.status).toMatchObject({ phase: 'Progressing', canaryRevision: 'r2' });
  });

  it('does not stop an abort given at the same time', () => {
    const result = plan(
      rollout(withCommands(run(3), cmd('abort'))),
      obs({ routedWeight: 50, missingRouting: ['DestinationRule/podinfo-primary'], commands: [cmd('abort')] }),
      NOW,
    );
    expect(result.actions).toEqual([{ type: 'ensureServices' }, { type: 'setWeight', canaryWeight: 0 }]);
    expect(result.status.reason).toBe('Aborted');
  });
});

describe('finalizer', () => {
  it('is added before anything else', () => {
    const r = rollout();
    delete r.metadata.finalizers;
    expect(plan(r, obs({ primary: undefined }), NOW).actions).toEqual([{ type: 'addFinalizer' }]);
  });

  const ready = { revision: 'r1', replicas: 2, readyReplicas: 2, rolledOut: true };
  const notYet = { handedOver: false, serviceIsSluices: false };
  const done = { handedOver: true, serviceIsSluices: false };
  it.each<[string, Partial<Observations>, RolloutStatus, unknown[]]>([
    [
      'scales the target up like the primary',
      { target: { revision: 'r1', replicas: 0, readyReplicas: 0, rolledOut: true }, deletion: notYet },
      healthy,
      [{ type: 'scaleCanary', replicas: 2 }],
    ],
    [
      'waits for the target to be ready',
      { target: { revision: 'r1', replicas: 2, readyReplicas: 0, rolledOut: false }, deletion: notYet },
      healthy,
      [],
    ],
    [
      'waits for the target to have rolled out (old pods ready are not enough)',
      { target: { revision: 'r1', replicas: 2, readyReplicas: 2, rolledOut: false }, deletion: notYet },
      healthy,
      [],
    ],
    [
      'points every route at the Service clients call',
      { target: ready, deletion: notYet },
      healthy,
      [{ type: 'handOver' }],
    ],
    [
      'waits scaleDownDelay for the proxies to have the routes',
      { target: ready, deletion: done },
      { ...healthy, scaleDownAt: new Date(NOW.getTime() + 1000).toISOString() },
      [],
    ],
    [
      'then lets the Rollout go',
      { target: ready, deletion: done },
      { ...healthy, scaleDownAt: ago(1) },
      [{ type: 'removeFinalizer' }],
    ],
    [
      "hands Sluice's own Service to the target first",
      { target: ready, deletion: { handedOver: true, serviceIsSluices: true } },
      { ...healthy, scaleDownAt: ago(1) },
      [{ type: 'releaseService' }, { type: 'removeFinalizer' }],
    ],
  ])('on deletion: %s', (_name, o, status, actions) => {
    const r = rollout(status);
    (r.metadata as any).deletionTimestamp = ago(1);
    const result = plan(r, obs(o), NOW);
    expect(result.actions).toEqual(actions);
    expect(result.status.reason).toBe('Finalizing');
  });

  it('on deletion with a conflict: lets go at once, touching nothing', () => {
    const r = rollout(healthy);
    (r.metadata as any).deletionTimestamp = ago(1);
    const result = plan(r, obs({ conflicts: ['Service/podinfo-canary: not made by Sluice'], deletion: notYet }), NOW);
    expect(result.actions).toEqual([{ type: 'removeFinalizer' }]);
  });

  it('on deletion: the pass that sees the hand-over starts the delay for the proxies to get it', () => {
    const r = rollout(healthy);
    (r.metadata as any).deletionTimestamp = ago(1);
    expect(plan(r, obs({ target: ready, deletion: notYet }), NOW).actions).toEqual([{ type: 'handOver' }]);
    const after = plan(r, obs({ target: ready, deletion: { ...notYet, handedOver: true }, routingVersion: '9' }), NOW);
    expect(after.actions).toEqual([]);
    expect(after.status).toMatchObject({ scaleDownAt: LATER, scaleDownRoutingVersion: '9' });
  });

  it('on deletion: a target never ready within progressDeadlineSeconds leaves everything in place, unowned', () => {
    const r = rollout(healthy);
    (r.metadata as any).deletionTimestamp = ago(601);
    const result = plan(
      r,
      obs({ target: { revision: 'r1', replicas: 2, readyReplicas: 0, rolledOut: false }, deletion: notYet }),
      NOW,
    );
    expect(result.actions).toEqual([{ type: 'orphan' }, { type: 'removeFinalizer' }]);
    expect(result.events).toContainEqual(expect.objectContaining({ type: 'Warning', reason: 'HandOverFailed' }));
  });
});

describe('docs/reasons.md', () => {
  it('lists every reason, as generated', () => {
    expect(readFileSync(new URL('../../docs/reasons.md', import.meta.url), 'utf8')).toBe(renderReasonsDoc());
  });
});
