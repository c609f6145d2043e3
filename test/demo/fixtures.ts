/** A recorded run as the demo's recorder makes it: an error regression rolled back. */
import type { RunTimeline } from '../../src/demo/recorder.js';

const T0 = Date.parse('2026-11-26T12:00:00Z');

export function rolledBackRun(): RunTimeline {
  return {
    scenario: 'error-regression',
    title: 'podinfo 6.7.2 answers 20% of requests with 5xx: rolled back by the error-rate check',
    rollout: 'demo/podinfo',
    startedAt: T0,
    endedAt: T0 + 13_000,
    expected: 'RolledBack',
    got: 'RolledBack',
    detail: 'Rolled back revision a613: istio-error-rate/error-rate: 0.1778 > 0.01',
    ok: true,
    weights: [
      { t: T0 + 100, weight: 0 },
      { t: T0 + 600, weight: 10 },
      { t: T0 + 12_900, weight: 0 },
    ],
    metrics: [
      {
        name: 'background:istio-error-rate/error-rate',
        label: 'error-rate',
        max: 0.01,
        points: [
          { t: T0 + 8000, value: 0.2, phase: 'Failed' },
          { t: T0 + 12_800, value: 0.1778, phase: 'Failed' },
        ],
      },
      {
        name: 'step[2]:istio-latency-p99/latency-p99',
        label: 'latency-p99 (step 3)',
        unit: 'ms',
        max: 300,
        points: [{ t: T0 + 8000, value: 93.75, phase: 'Successful' }],
      },
    ],
    decisions: [
      { t: T0 + 100, reason: 'NewRevision', message: 'Canary run for revision a613 started.' },
      { t: T0 + 600, reason: 'WeightSet', message: 'step 1/5: 10% of traffic to the canary.' },
      {
        t: T0 + 12_900,
        reason: 'AnalysisFailed',
        message: 'Rolled back revision a613: istio-error-rate/error-rate: 0.1778 > 0.01 <script>',
      },
    ],
  };
}
