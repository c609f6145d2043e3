/** `sluice status`: the verdict on a revision and the one-line summary, from a Rollout's status. */
import { describe, expect, it } from 'vitest';
import type { RolloutStatus } from '../../src/api/schema/rollout-status.js';
import { EXIT, summary, verdict } from '../../src/cli/status-command.js';
import { exampleRollout } from '../rollout/fixtures.js';

const at = (status: RolloutStatus) => exampleRollout({ observedGeneration: 1, ...status });

describe('sluice status', () => {
  it('has a verdict on a revision only once it is stable, rolled back, or the Rollout is Invalid', () => {
    expect(verdict(at({ phase: 'Healthy', stableRevision: 'r2' }), 'r2')).toBe('promoted');
    expect(verdict(at({ phase: 'Healthy', stableRevision: 'r1' }), 'r2')).toBeUndefined();
    expect(verdict(at({ phase: 'Progressing', stableRevision: 'r1', canaryRevision: 'r2' }), 'r2')).toBeUndefined();
    expect(verdict(at({ phase: 'RolledBack', rolledBackRevision: 'r2' }), 'r2')).toBe('rolledBack');
    // a later revision rolled back says nothing of this one
    expect(verdict(at({ phase: 'RolledBack', rolledBackRevision: 'r3' }), 'r2')).toBeUndefined();
    expect(verdict(at({ phase: 'Invalid', reason: 'InvalidSpec' }), 'r2')).toBe('invalid');
    // a target not there yet is a sync in progress, and a status older than the spec says nothing yet
    expect(verdict(at({ phase: 'Invalid', reason: 'TargetNotFound' }), 'r2')).toBeUndefined();
    const edited = { ...at({ phase: 'Invalid', reason: 'InvalidSpec', observedGeneration: 1 }) };
    edited.metadata = { ...edited.metadata, generation: 2 };
    expect(verdict(edited, 'r2')).toBeUndefined();
    expect(EXIT).toEqual({ promoted: 0, rolledBack: 1, invalid: 2, timeout: 3 });
  });

  it('summarizes phase, reason, revision, step and weight', () => {
    const line = summary(
      at({
        phase: 'Paused',
        reason: 'WaitingForPromotion',
        message: 'step 5/5: waiting for a promote command.',
        canaryRevision: 'r2',
        currentStepIndex: 4,
        canaryWeight: 50,
      }),
    );
    expect(line).toBe(
      'podinfo: Paused (WaitingForPromotion) revision r2 step 5/5, 50% to the canary — step 5/5: waiting for a promote command.',
    );
    expect(summary(exampleRollout())).toBe('podinfo: Pending (no status yet), 0% to the canary —');
  });
});
