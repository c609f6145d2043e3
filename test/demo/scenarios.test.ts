import { describe, expect, it } from 'vitest';
import { summaryTable } from '../../src/demo/demo.js';
import { outcomeOf } from '../../src/demo/play.js';
import { asExpected, releasePatch, SCENARIOS, scenariosNamed } from '../../src/demo/scenarios.js';
import { rolledBackRun } from './fixtures.js';

const named = (n: string) => SCENARIOS.find((s) => s.name === n)!;

describe('demo scenarios', () => {
  it('count an outcome as expected only when it is the expected one, rolled back by the expected check', () => {
    expect(asExpected(named('good-release'), { got: 'Promoted', detail: '' })).toBe(true);
    expect(asExpected(named('good-release'), { got: 'RolledBack', detail: 'error-rate' })).toBe(false);
    expect(
      asExpected(named('error-regression'), { got: 'RolledBack', detail: 'istio-error-rate/error-rate: 0.2 > 0.01' }),
    ).toBe(true);
    expect(
      asExpected(named('error-regression'), { got: 'RolledBack', detail: 'The run made no progress for 120 s' }),
    ).toBe(false);
    expect(
      asExpected(named('latency-regression'), { got: 'RolledBack', detail: 'istio-error-rate/error-rate: 0.2 > 0.01' }),
    ).toBe(false);
    expect(asExpected(named('manual-gate'), { got: 'Paused (timed out)', detail: '' })).toBe(false);
  });

  it('reads the outcome of a finished run from the Rollout status', () => {
    expect(outcomeOf({ status: { phase: 'Healthy', reason: 'Promoted', message: 'm' } } as any)).toEqual({
      got: 'Promoted',
      detail: 'm',
    });
    expect(outcomeOf({ status: { phase: 'RolledBack', reason: 'AnalysisFailed', message: 'why' } } as any)).toEqual({
      got: 'RolledBack',
      detail: 'why',
    });
    expect(outcomeOf({ status: { phase: 'Healthy', reason: 'Initialized' } } as any)).toBeUndefined();
    expect(outcomeOf({ status: { phase: 'Paused', reason: 'WaitingForPromotion' } } as any)).toBeUndefined();
  });

  it('release as kubectl set image + set env would: the container by name, all sandbox env', () => {
    expect(releasePatch(named('error-regression'), 'podinfo')).toEqual({
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'podinfo',
                image: 'ghcr.io/stefanprodan/podinfo:6.7.2',
                env: [
                  { name: 'SANDBOX_ERROR_RATE', value: '0.2' },
                  { name: 'SANDBOX_LATENCY_MS', value: '20' },
                  { name: 'SANDBOX_P99_MS', value: '60' },
                ],
              },
            ],
          },
        },
      },
    });
    expect(scenariosNamed(undefined).map((s) => s.name)).toEqual([
      'good-release',
      'error-regression',
      'latency-regression',
      'manual-gate',
    ]);
    expect(() => scenariosNamed('nope')).toThrow(/choose one of good-release, error-regression/);
  });

  it('sums the runs up in a table that says which did not go as expected', () => {
    const bad = { ...rolledBackRun(), scenario: 'good-release', expected: 'Promoted', got: 'RolledBack', ok: false };
    expect(summaryTable([rolledBackRun(), bad]).split('\n')).toEqual([
      'scenario           expected     got          duration',
      'error-regression   RolledBack   RolledBack   13 s       ok',
      'good-release       Promoted     RolledBack   13 s       NOT AS EXPECTED',
    ]);
  });
});
