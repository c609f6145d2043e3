/**
 * The canary keeps its replicas scaleDownDelay after its traffic went to 0, for the proxies to get
 * the routes (a scale-down before that fails requests with 503 UH). The delay counts from a pass
 * that saw the routing without canary traffic, stamped with the routing object's version; a status
 * write refused after the routing write (a command recorded meanwhile: 409) must not let a time
 * from an earlier episode scale the canary down at once — commands-race-e2e caught exactly that.
 */
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../src/api/schema/rollout-status.js';
import type { Observations } from '../../src/rollout/model.js';
import { plan } from '../../src/rollout/plan.js';
import { exampleRollout } from './fixtures.js';

const NOW = new Date('2026-12-07T12:00:00Z');
const ago = (s: number): string => new Date(NOW.getTime() - s * 1000).toISOString();
const LATER = new Date(NOW.getTime() + 30_000).toISOString(); // the default scaleDownDelay, 30 s

const r1 = { revision: 'r1', replicas: 2, readyReplicas: 2, rolledOut: true };
const r2 = { ...r1, revision: 'r2' };

function obs(over: Partial<Observations>): Observations {
  return {
    specErrors: [],
    target: r2,
    primary: r2,
    routedWeight: 0,
    missingRouting: [],
    analysis: { metrics: [], taken: [] },
    commands: [],
    ...over,
  };
}

/** Promoting r2: the primary has rolled it out; the stored status is from before the routing write. */
const promoting = (extra: RolloutStatus): RolloutStatus => ({
  phase: 'Promoting',
  reason: 'WaitingForPrimaryRollout',
  stableRevision: 'r1',
  canaryRevision: 'r2',
  canaryWeight: 10,
  ...extra,
});

const scalesDown = (actions: unknown[]): boolean =>
  actions.some((a) => (a as { type: string; replicas?: number }).type === 'scaleCanary' && (a as any).replicas === 0);

describe('scale-down delay', () => {
  it('the pass that moves the traffic does not start the delay; the one that sees it does, stamped', () => {
    const moving = plan(exampleRollout(promoting({})), obs({ routedWeight: 10, routingVersion: '5' }), NOW);
    expect(moving.actions).toEqual([{ type: 'setWeight', canaryWeight: 0 }]);
    expect(moving.status.scaleDownAt).toBeUndefined();
    const seen = plan(exampleRollout(moving.status), obs({ routingVersion: '6' }), NOW);
    expect(scalesDown(seen.actions)).toBe(false);
    expect(seen.status).toMatchObject({ phase: 'Healthy', scaleDownAt: LATER, scaleDownRoutingVersion: '6' });
    expect(seen.requeueAfterMs).toBe(30_000);
  });

  it('a status write refused after the routing write: a time from an earlier episode does not scale down at once', () => {
    // stored: a scale-down time (long past) stamped with the routing of an earlier episode
    const stale = promoting({ scaleDownAt: ago(120), scaleDownRoutingVersion: '3' });
    const replanned = plan(exampleRollout(stale), obs({ routingVersion: '6' }), NOW);
    expect(scalesDown(replanned.actions)).toBe(false);
    expect(replanned.status).toMatchObject({ scaleDownAt: LATER, scaleDownRoutingVersion: '6' });
  });

  it('the same while a run restarts its canary for a new revision', () => {
    const restarting: RolloutStatus = {
      phase: 'Progressing',
      reason: 'RestartingCanary',
      stableRevision: 'r1',
      canaryRevision: 'r3',
      canaryRestart: true,
      currentStepIndex: 0,
      canaryWeight: 0,
      scaleDownAt: ago(120),
      scaleDownRoutingVersion: '3',
    };
    const t = { ...r1, revision: 'r3' };
    const replanned = plan(exampleRollout(restarting), obs({ target: t, primary: r1, routingVersion: '6' }), NOW);
    expect(scalesDown(replanned.actions)).toBe(false);
    expect(replanned.status.scaleDownAt).toBe(LATER);
  });

  it('at its stamped version the canary is scaled down when the time comes, and the clock is cleared', () => {
    const healthy: RolloutStatus = {
      phase: 'Healthy',
      reason: 'Promoted',
      stableRevision: 'r2',
      canaryWeight: 0,
      scaleDownAt: ago(0),
      scaleDownRoutingVersion: '6',
    };
    const due = plan(exampleRollout(healthy), obs({ routingVersion: '6' }), NOW);
    expect(due.actions).toEqual([{ type: 'scaleCanary', replicas: 0 }]);
    expect(due.status.scaleDownAt).toBeUndefined();
    expect(due.status.scaleDownRoutingVersion).toBeUndefined();
    // before its time: nothing
    const early = plan(exampleRollout({ ...healthy, scaleDownAt: LATER }), obs({ routingVersion: '6' }), NOW);
    expect(early.actions).toEqual([]);
  });

  it('on deletion, a hand-over whose time was lost or is from before waits scaleDownDelay before letting go', () => {
    const deleting = exampleRollout({
      phase: 'Healthy',
      reason: 'Finalizing',
      stableRevision: 'r2',
      canaryWeight: 0,
      scaleDownAt: ago(120),
      scaleDownRoutingVersion: '3',
    });
    (deleting.metadata as any).deletionTimestamp = ago(5);
    const handedOver = { handedOver: true, serviceIsSluices: false };
    const lost = plan(deleting, obs({ deletion: handedOver, routingVersion: '7' }), NOW);
    expect(lost.actions).toEqual([]);
    expect(lost.status.scaleDownAt).toBe(LATER);
    const stamped = exampleRollout({ ...deleting.status, scaleDownAt: ago(0), scaleDownRoutingVersion: '7' });
    (stamped.metadata as any).deletionTimestamp = ago(35);
    expect(plan(stamped, obs({ deletion: handedOver, routingVersion: '7' }), NOW).actions).toEqual([
      { type: 'removeFinalizer' },
    ]);
  });

  it('an abort while the canary has replicas but no traffic (held at 0%) starts the delay in the same pass', () => {
    // no routing write follows, so no event would bring another pass (status-e2e found the canary kept for good)
    const held: RolloutStatus = {
      phase: 'Paused',
      reason: 'OutsideWindow',
      stableRevision: 'r1',
      canaryRevision: 'r2',
      currentStepIndex: 0,
      canaryWeight: 0,
      commands: [{ id: 'a', action: 'abort', user: 'alice', source: 'cli', at: ago(1) }],
    };
    const aborted = plan(
      exampleRollout(held),
      obs({ primary: r1, routingVersion: '4', commands: [{ id: 'a', action: 'abort', user: 'alice' }] }),
      NOW,
    );
    expect(aborted.status).toMatchObject({ phase: 'RolledBack', scaleDownAt: LATER, scaleDownRoutingVersion: '4' });
    expect(aborted.requeueAfterMs).toBe(30_000);
  });
});
