/** The planner with promotion windows: holding outside them, promoting with --force, rolling back at any hour. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Rollout } from '../../src/api/schema/rollout.js';
import type { RolloutStatus } from '../../src/api/schema/rollout-status.js';
import type { Observations, PendingCommand } from '../../src/rollout/model.js';
import { plan } from '../../src/rollout/plan.js';
import { exampleMetric as metric } from './fixtures.js';

const NOW = new Date('2026-11-27T15:30:00Z'); // Friday 16:30 in Berlin: inside the weekend freeze
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

function rollout(status: RolloutStatus): Rollout {
  const r = parse(readFileSync(new URL('../../examples/podinfo/rollout.yaml', import.meta.url), 'utf8')) as Rollout;
  r.metadata.finalizers = ['sluice.dev/finalizer'];
  r.spec.schedule = {
    timeZone: 'Europe/Berlin',
    allow: [{ name: 'office', cron: '0 8 * * 1-5', duration: '10h' }],
    deny: [{ name: 'weekend', cron: '0 16 * * 5', duration: '64h' }],
  };
  return { ...r, status };
}

const METRICS = [metric('step'), metric('background')];
const obs = (over: Partial<Observations> = {}): Observations => ({
  specErrors: [],
  target: { revision: 'r2', replicas: 2, readyReplicas: 2, rolledOut: true },
  primary: { revision: 'r1', replicas: 2, readyReplicas: 2, rolledOut: true },
  routedWeight: 10,
  missingRouting: [],
  analysis: { metrics: METRICS, taken: [] },
  commands: [],
  ...over,
});
const run = (index: number, extra: RolloutStatus = {}): RolloutStatus => ({
  phase: 'Progressing',
  reason: 'AnalysisRunning',
  stableRevision: 'r1',
  canaryRevision: 'r2',
  canaryWeight: 10,
  currentStepIndex: index,
  runStartedAt: ago(600),
  stepStartedAt: ago(1),
  ...extra,
});
const promote = (force: boolean): PendingCommand => ({
  id: 'p1',
  action: 'promote',
  user: 'alice',
  ...(force ? { force: true } : {}),
});
const withCommand = (s: RolloutStatus, c: PendingCommand): RolloutStatus => ({
  ...s,
  commands: [
    {
      id: c.id,
      action: c.action,
      user: c.user,
      source: 'cli',
      at: ago(2),
      ...(c.force === true ? { force: true } : {}),
    },
  ],
});

describe('planning with windows', () => {
  it('holds the weight inside a freeze instead of raising it, says when the window opens, and plans a pass then', () => {
    const p = plan(
      rollout(run(2)),
      obs({
        analysis: {
          metrics: METRICS,
          taken: [{ key: metric('step').key, measurement: { phase: 'Successful', startedAt: ago(0) } }],
        },
      }),
      NOW,
    );
    expect(p.actions).toEqual([]);
    expect(p.status).toMatchObject({
      phase: 'Paused',
      reason: 'OutsideWindow',
      canaryWeight: 10,
      nextWindow: '2026-11-30T07:00:00Z',
    });
    expect(p.status.message).toBe(
      'step 4/5: inside the freeze weekend; waiting for window, opens Mon 08:00 Europe/Berlin (sluice promote --force overrides).',
    );
    // a pass when the background analysis is next due (it keeps measuring while held), and at the opening at the latest
    expect(p.requeueAfterMs).toBe(30_000);
    const quiet = plan(
      rollout(run(2)),
      obs({
        analysis: {
          metrics: [metric('step')],
          taken: [{ key: metric('step').key, measurement: { phase: 'Successful', startedAt: ago(0) } }],
        },
      }),
      NOW,
    );
    expect(quiet.requeueAfterMs).toBe(Date.parse('2026-11-30T07:00:00Z') - NOW.getTime());
  });

  it('rolls a failing canary back inside a freeze', () => {
    const taken = [
      {
        key: metric('background').key,
        measurement: { phase: 'Failed' as const, message: 'error-rate 0.2 > 0.01', startedAt: ago(0) },
      },
    ];
    const p = plan(
      rollout(run(3, { phase: 'Paused', reason: 'OutsideWindow', nextWindow: '2026-11-30T07:00:00Z' })),
      obs({ analysis: { metrics: METRICS, taken } }),
      NOW,
    );
    expect(p.status).toMatchObject({ phase: 'RolledBack', reason: 'AnalysisFailed', canaryWeight: 0 });
    expect(p.actions).toEqual([{ type: 'setWeight', canaryWeight: 0 }]);
  });

  it('refuses a plain promote while the window is closed, saying when it opens; --force overrides and says who', () => {
    const plain = plan(rollout(withCommand(run(3), promote(false))), obs({ commands: [promote(false)] }), NOW);
    expect(plain.status.phase).toBe('Paused');
    expect(plain.status.commands?.[0]?.outcome).toBe(
      'the promotion window is closed (inside the freeze weekend); it opens Mon 08:00 Europe/Berlin. Use sluice promote --force to override it.',
    );
    const forced = plan(rollout(withCommand(run(3), promote(true))), obs({ commands: [promote(true)] }), NOW);
    expect(forced.status).toMatchObject({
      phase: 'Promoting',
      message: 'Promoting revision r2: promoted by alice (window overridden).',
    });
    expect(forced.status.nextWindow).toBeUndefined();
  });

  it('moves on as soon as the window is open', () => {
    const monday = new Date('2026-11-30T07:00:01Z');
    const p = plan(
      rollout(run(3, { phase: 'Paused', reason: 'OutsideWindow', nextWindow: '2026-11-30T07:00:00Z' })),
      obs(),
      monday,
    );
    expect(p.actions).toEqual([{ type: 'setWeight', canaryWeight: 50 }]);
    expect(p.status.nextWindow).toBeUndefined();
  });
});
