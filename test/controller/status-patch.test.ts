import { describe, expect, it } from 'vitest';
import { statusPatch } from '../../src/controller/status-writer.js';

describe('the status merge patch', () => {
  it('sends removed fields as null, so that they go', () => {
    expect(
      statusPatch({ phase: 'Progressing', metrics: [{ name: 'm' }], rolledBackRevision: 'r1' }, { phase: 'Healthy' }),
    ).toEqual({ phase: 'Healthy', metrics: null, rolledBackRevision: null });
    expect(statusPatch(undefined, { phase: 'Healthy' })).toEqual({ phase: 'Healthy' });
  });
});

describe('the status merge patch, nested', () => {
  it('removes a nested field too (a deleted primary leaves replicas.primary; kept, every write would differ)', () => {
    const before = {
      phase: 'Paused',
      replicas: { primary: { replicas: 2, ready: 2 }, canary: { replicas: 2, ready: 1 } },
    };
    const next = { phase: 'Paused', replicas: { canary: { replicas: 2, ready: 2 } } };
    const patch = statusPatch(before, next);
    expect(patch).toEqual({ phase: 'Paused', replicas: { primary: null, canary: { replicas: 2, ready: 2 } } });
    // applied as the API server applies a merge patch (RFC 7386), it gives exactly the next status
    const merge = (target: any, p: any): any => {
      if (typeof p !== 'object' || p === null || Array.isArray(p)) return p;
      const base: Record<string, unknown> =
        typeof target === 'object' && target !== null && !Array.isArray(target) ? target : {};
      const keys = new Set([...Object.keys(base), ...Object.keys(p)]);
      return Object.fromEntries(
        [...keys]
          .filter((k) => (p as Record<string, unknown>)[k] !== null)
          .map((k) => [k, k in p ? merge(base[k], (p as Record<string, unknown>)[k]) : base[k]]),
      );
    };
    expect(merge(before, patch)).toEqual(next);
    // lists are replaced whole, not merged
    expect(statusPatch({ conditions: [{ type: 'A' }, { type: 'B' }] }, { conditions: [{ type: 'A' }] })).toEqual({
      conditions: [{ type: 'A' }],
    });
  });
});
