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
