import { describe, expect, it } from 'vitest';
import { LiveView, rolloutBlock, summaryLine } from '../../src/cli/live-view.js';
import { checkLabel, checkValue, checkVerdict } from '../../src/notify/labels.js';

const metric = (extra: object = {}): any => ({
  name: 'background:istio-error-rate/error-rate',
  phase: 'Running',
  max: 0.01,
  successful: 1,
  failed: 0,
  inconclusive: 0,
  errors: 0,
  consecutiveErrors: 0,
  measurements: [{ phase: 'Successful', value: 0.002, startedAt: '2026-11-26T12:00:00Z' }],
  ...extra,
});
const rollout = (status: object): any => ({
  metadata: { name: 'podinfo', namespace: 'demo' },
  spec: { strategy: { canary: { steps: [{ setWeight: 10 }, { pause: {} }, { setWeight: 50 }] } } },
  status: {
    phase: 'Progressing',
    currentStepIndex: 0,
    canaryWeight: 10,
    reason: 'WeightSet',
    message: 'step 1/3: 10% of traffic to the canary.',
    ...status,
  },
});

describe('live view', () => {
  it('names checks by metric, and a step check by its step', () => {
    expect(checkLabel('background:istio-error-rate/error-rate')).toBe('error-rate');
    expect(checkLabel('step[2]:istio-latency-p99/latency-p99')).toBe('latency-p99 (step 3)');
    expect(checkLabel('odd')).toBe('odd');
  });

  it("shows each check's latest value against its threshold, and its verdict so far", () => {
    expect(checkValue(metric())).toBe('0.002 <= 0.01');
    expect(
      checkValue(metric({ unit: 'ms', max: 300, measurements: [{ phase: 'Failed', value: 412, startedAt: 'x' }] })),
    ).toBe('412 ms > 300 ms');
    expect(
      checkValue(
        metric({
          max: undefined,
          min: 5,
          unit: 'req/s',
          measurements: [{ phase: 'Failed', value: 2, startedAt: 'x' }],
        }),
      ),
    ).toBe('2 req/s < 5 req/s');
    expect(checkValue(metric({ measurements: [{ phase: 'Inconclusive', startedAt: 'x' }] }))).toBe('no verdict');
    expect(checkValue(metric({ measurements: [] }))).toBe('not measured yet');
    expect(checkVerdict(metric())).toBe('ok so far');
    expect(checkVerdict(metric({ failed: 1 }))).toBe('failed 1x, within its limit');
    expect(checkVerdict(metric({ phase: 'Failed' }))).toBe('FAILED');
  });

  it('draws a block per rollout: phase, step, weight bar, checks, last decision', () => {
    expect(rolloutBlock(rollout({ metrics: [metric()] }))).toEqual([
      'demo/podinfo  Progressing  step 1/3  [##------------------] 10%',
      '    error-rate                   0.002 <= 0.01            ok so far',
      '    last: WeightSet: step 1/3: 10% of traffic to the canary.',
    ]);
    expect(
      summaryLine(
        rollout({
          phase: 'Healthy',
          canaryWeight: 0,
          reason: 'Promoted',
          message: 'Revision r2 was promoted and serves all traffic.',
        }),
      ),
    ).toBe('demo/podinfo Healthy weight 0% | Promoted: Revision r2 was promoted and serves all traffic.');
  });

  it('prints a plain line only when a rollout changed, when the output is not a terminal', () => {
    let text = '';
    const view = new LiveView({ write: (s: string) => (text += s) }, () => new Date('2026-11-26T12:00:05Z'));
    view.update([rollout({})]);
    view.update([rollout({})]);
    view.note('== a note');
    view.update([rollout({ canaryWeight: 50, currentStepIndex: 2 })]);
    expect(text.split('\n')).toEqual([
      '12:00:05 demo/podinfo Progressing step 1/3 weight 10% | WeightSet: step 1/3: 10% of traffic to the canary.',
      '== a note',
      '12:00:05 demo/podinfo Progressing step 3/3 weight 50% | WeightSet: step 1/3: 10% of traffic to the canary.',
      '',
    ]);
    expect(text).not.toContain('\x1b');
  });

  it('redraws in place on a terminal, keeping notes above the block', () => {
    let text = '';
    const view = new LiveView({ write: (s: string) => (text += s), isTTY: true, columns: 40 });
    view.update([rollout({})]);
    expect(text).toBe(
      '\x1b[J' + 'demo/podinfo  Progressing  step 1/3  [~\n' + '    last: WeightSet: step 1/3: 10% of ~\n',
    );
    text = '';
    view.note('note');
    expect(text.startsWith('\x1b[2F\x1b[Jnote\n\x1b[J')).toBe(true);
    text = '';
    view.update([rollout({ canaryWeight: 50 })]);
    expect(text.startsWith('\x1b[2F\x1b[J')).toBe(true);
    // a pty that reports no width: lines are cut at a common terminal width
    let wide = '';
    new LiveView({ write: (s: string) => (wide += s), isTTY: true, columns: 0 }).update([
      rollout({ message: 'x'.repeat(300) }),
    ]);
    expect(wide.split('\n').map((l) => l.replace('\x1b[J', '').length)).toEqual([63, 119, 0]);
  });
});
