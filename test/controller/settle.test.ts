/** The ledger's pending status: what a pass that acted meant to write, completed by the next pass — and only then. */
import { describe, expect, it } from 'vitest';
import type { Rollout } from '../../src/api/schema/rollout.js';
import { MemoryLedger } from '../../src/controller/ledger.js';
import { Settle } from '../../src/controller/settle.js';

const rollout = (status: Rollout['status'], generation = 1): Rollout => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'Rollout',
  metadata: { name: 'p', namespace: 'demo', generation, resourceVersion: '7' },
  spec: {} as Rollout['spec'],
  status,
});

const settle = (): Settle =>
  new Settle({ ledger: new MemoryLedger(), settleMs: 5000, cachedVersion: () => undefined, enqueue: () => undefined });

describe('the pending status of a pass', () => {
  const before = { sequence: 4, phase: 'Paused' as const, canaryWeight: 20, currentStepIndex: 1 };
  const planned = { ...before, sequence: 5, phase: 'Progressing' as const, canaryWeight: 50, currentStepIndex: 2 };

  it('is completed on the Rollout it was planned on, and not once written or settled', async () => {
    const s = settle();
    await s.intend('demo/p', rollout(before), planned);
    expect(await s.unwritten('demo/p', rollout(before))).toEqual(planned);
    // the status was written: the Rollout moved on
    expect(await s.unwritten('demo/p', rollout(planned))).toBeUndefined();
    await s.settled('demo/p');
    expect(await s.unwritten('demo/p', rollout(before))).toBeUndefined();
  });

  it('is not completed on a newer spec, and keeps a command recorded meanwhile (unhandled)', async () => {
    const s = settle();
    await s.intend('demo/p', rollout(before), planned);
    expect(await s.unwritten('demo/p', rollout(before, 2))).toBeUndefined();
    const command = {
      id: 'c9',
      action: 'pause' as const,
      user: 'alice',
      source: 'cli' as const,
      at: '2026-12-07T10:00:00Z',
    };
    expect(await s.unwritten('demo/p', rollout({ ...before, commands: [command] }))).toEqual({
      ...planned,
      commands: [command],
    });
  });

  it('survives the ledger record written before the status write', async () => {
    const s = settle();
    await s.intend('demo/p', rollout(before), planned);
    await s.record('demo/p', rollout(planned), { 'VirtualService/demo/p': '3' }, true);
    expect(await s.unwritten('demo/p', rollout(before))).toEqual(planned);
  });

  it("keeps the Rollout's bounded list of commands, with the outcomes the pass gave", async () => {
    const s = settle();
    const cmd = (id: string, handled = false) => ({
      id,
      action: 'pause' as const,
      user: 'u',
      source: 'cli' as const,
      at: '2026-12-07T10:00:00Z',
      ...(handled ? { handledAt: '2026-12-07T10:00:01Z', outcome: 'paused' } : {}),
    });
    const old = Array.from({ length: 20 }, (_, i) => cmd(`c${i}`, true));
    const planned2 = { ...planned, commands: [...old.slice(0, 19), cmd('c19', true)] };
    await s.intend('demo/p', rollout({ ...before, commands: [...old.slice(0, 19), cmd('c19')] }), planned2);
    // meanwhile a new command: the writer dropped the oldest (c0) to keep 20
    const now = [...old.slice(1, 19), cmd('c19'), cmd('c20')];
    const done = await s.unwritten('demo/p', rollout({ ...before, commands: now }));
    expect(done?.commands?.map((c) => c.id)).toEqual(now.map((c) => c.id));
    expect(done?.commands?.find((c) => c.id === 'c19')?.handledAt).toBeDefined();
    expect(done?.commands?.find((c) => c.id === 'c20')?.handledAt).toBeUndefined();
  });
});
