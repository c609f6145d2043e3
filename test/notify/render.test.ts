import { describe, expect, it } from 'vitest';
import { githubMessages } from '../../src/notify/github/messages.js';
import { mermaidChart, renderComment } from '../../src/notify/render-markdown.js';
import { headline, type RunSnapshot } from '../../src/notify/run-report.js';
import { rolledBackRun } from '../demo/fixtures.js';

const T0 = Date.parse('2026-11-26T12:00:00Z');
const metric = (name: string, extra: object): any => ({
  name,
  phase: 'Running',
  successful: 1,
  failed: 0,
  inconclusive: 0,
  errors: 0,
  consecutiveErrors: 0,
  measurements: [{ phase: 'Successful', value: 0.002, startedAt: new Date(T0 + 8000).toISOString() }],
  ...extra,
});

function snapshot(status: object): RunSnapshot {
  return {
    key: 'demo/podinfo@2026-11-26T12:00:00.000Z',
    namespace: 'demo',
    name: 'podinfo',
    steps: [
      { setWeight: 10 },
      { pause: { duration: '30s' } },
      { analysis: { templates: [{ name: 'istio-error-rate' }, { name: 'istio-latency-p99' }] } },
      { setWeight: 50 },
      { pause: {} },
    ],
    status: {
      phase: 'Progressing',
      reason: 'AnalysisRunning',
      message: 'step 3/5: analysis running.',
      canaryWeight: 10,
      currentStepIndex: 2,
      canaryRevision: 'a613afa4413d3880',
      runStartedAt: '2026-11-26T12:00:00.000Z',
      replicas: { primary: { replicas: 5, ready: 5 }, canary: { replicas: 2, ready: 2 } },
      metrics: [
        metric('background:istio-error-rate/error-rate', { max: 0.01 }),
        metric('step[2]:istio-latency-p99/latency-p99', {
          unit: 'ms',
          max: 300,
          measurements: [{ phase: 'Successful', value: 93.75, startedAt: new Date(T0 + 8000).toISOString() }],
        }),
      ],
      ...status,
    },
    release: { repository: 'example-org/podinfo', commit: 'a'.repeat(40), pullRequest: 12, source: 'annotations' },
    timeline: rolledBackRun(),
  };
}

describe('PR comment', () => {
  it('renders a running run: steps table with checks, chart, what happens now, commands', async () => {
    await expect(renderComment(snapshot({}))).toMatchFileSnapshot('__snapshots__/comment-running.md');
  });

  it('renders a rolled-back run with its verdict and the deciding check', async () => {
    const s = snapshot({
      phase: 'RolledBack',
      reason: 'AnalysisFailed',
      message: 'Rolled back revision a613afa4413d3880: istio-error-rate/error-rate: 0.1778 > 0.01',
      canaryWeight: 0,
    });
    await expect(renderComment(s)).toMatchFileSnapshot('__snapshots__/comment-rolled-back.md');
    expect(headline(s)).toBe('Rolled back: istio-error-rate/error-rate: 0.1778 > 0.01');
  });

  it('charts weight as bars and key checks as % of their threshold, failed checks first', () => {
    const chart = mermaidChart(rolledBackRun());
    expect(chart.split('\n').slice(0, 7)).toEqual([
      '```mermaid',
      'xychart-beta',
      '    title "canary weight (bars, %) and checks (lines, % of their threshold)"',
      '    x-axis "seconds since the run started" [0, 4, 9, 13]',
      '    y-axis "%" 0 --> 2000',
      '    bar [0, 10, 10, 0]',
      '    line [0, 0, 2000, 1778]',
    ]);
  });
});

describe('GitHub messages of a run', () => {
  it('start with a deployment and pending statuses, end with the outcome, and update the comment only on a visible change', () => {
    const start = snapshot({});
    const first = githubMessages(undefined, start).map((m) => m.id.split('|').slice(1).join('|'));
    expect(first).toEqual([
      'deployment',
      'status|pending',
      'deployment-status|in_progress',
      expect.stringMatching(/^comment\|0\|[0-9a-f]{16}$/),
    ]);
    expect(githubMessages(start, start)).toEqual([]);
    const done = snapshot({ phase: 'RolledBack', reason: 'AnalysisFailed', message: 'x', canaryWeight: 0 });
    expect(githubMessages(start, done).map((m) => [m.id.split('|').slice(1, 3).join('|'), m.payload.kind])).toEqual([
      ['status|failure', 'status'],
      ['deployment-status|failure', 'deployment-status'],
      [expect.stringMatching(/^comment\|/), 'comment'],
    ]);
    expect(githubMessages(undefined, { ...start, release: undefined })).toEqual([]);
    expect(new Set(githubMessages(undefined, start).map((m) => m.stream))).toEqual(
      new Set(['github|demo/podinfo@2026-11-26T12:00:00.000Z']),
    );
  });

  it('update the comment again when the view comes back to one it showed before', () => {
    const views = [1, 2, 3, 4].map((sequence) =>
      snapshot({
        sequence,
        ...(sequence % 2 === 0 ? { phase: 'Paused', reason: 'ManualPause', message: 'paused' } : {}),
      }),
    );
    const ids = views.slice(1).flatMap((s, i) => githubMessages(views[i], s).map((m) => m.id));
    expect(ids).toHaveLength(3);
    expect(new Set(ids).size).toBe(3);
  });
});
