import { describe, expect, it } from 'vitest';
import { renderRollouts, weightBar } from '../../src/cli/render-rollouts.js';

describe('sluice get rendering', () => {
  it.each([
    [0, '[----------] 0%'],
    [20, '[##--------] 20%'],
    [55, '[######----] 55%'],
    [100, '[##########] 100%'],
  ])('weight bar at %d%%', (w, bar) => expect(weightBar(w)).toBe(bar));

  it('renders phase, step i/N during a run, weight, ready/replicas of primary and canary and message, then the latest checks', () => {
    const r: any = {
      metadata: { name: 'podinfo', namespace: 'demo' },
      spec: { strategy: { canary: { steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }] } } },
      status: {
        phase: 'Progressing',
        currentStepIndex: 2,
        canaryWeight: 50,
        replicas: { primary: { replicas: 5, ready: 5 }, canary: { replicas: 3, ready: 2 } },
        message: 'step 3/3: 50% of traffic to the canary.',
        metrics: [
          {
            name: 'istio-error-rate/error-rate',
            measurements: [{ phase: 'Successful', message: '0.002 <= 0.01', startedAt: '2026-11-26T12:00:00Z' }],
          },
        ],
      },
    };
    expect(renderRollouts([r], true)).toBe(
      [
        'NAMESPACE   NAME      PHASE         STEP   WEIGHT             PRIMARY   CANARY   MESSAGE',
        'demo        podinfo   Progressing   3/3    [#####-----] 50%   5/5       2/3      step 3/3: 50% of traffic to the canary.',
        '  podinfo istio-error-rate/error-rate: Successful (0.002 <= 0.01)',
      ].join('\n'),
    );
    expect(renderRollouts([], false)).toBe('No rollouts found.');
    // before the controller has seen it: dashes
    expect(renderRollouts([{ ...r, status: {} }], false).split('\n')[1]).toMatch(
      /^podinfo\s+Pending\s+-\s+\S+ 0%\s+-\s+-$/,
    );
  });
});
