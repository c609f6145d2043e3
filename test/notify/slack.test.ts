import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { MemoryRunStore } from '../../src/notify/run-store.js';
import { SlackChannel, type SlackApi } from '../../src/notify/slack/channel.js';
import { commandReplies, esc, rootMessage, severityOf, shown } from '../../src/notify/slack/render.js';
import type { RunSnapshot } from '../../src/notify/run-report.js';
import { rolledBackRun } from '../demo/fixtures.js';

const snap = (extra: Partial<RunSnapshot> = {}): RunSnapshot => ({
  key: 'demo/podinfo@t0',
  namespace: 'demo',
  name: 'podinfo',
  steps: [{ setWeight: 10 }, { pause: { duration: '30s' } }, { setWeight: 50 }],
  status: {
    phase: 'Paused',
    reason: 'PauseStep',
    message: 'pausing',
    canaryWeight: 10,
    currentStepIndex: 1,
    runStartedAt: 't0',
  },
  release: { repository: 'org/app', pullRequest: 7, source: 'annotations' },
  slack: { channel: '#deploys', dashboardUrl: 'https://grafana.example/d/1' },
  images: { stable: 'app:1', canary: 'app:2' },
  timeline: { ...rolledBackRun(), decisions: [] },
  ...extra,
});

describe('Slack rendering', () => {
  it('shows rollout, images, progress by step, checks and links in the root message', () => {
    const m = rootMessage(snap(), {
      githubWebUrl: 'https://github.com',
      images: { stable: 'app:1', canary: 'app:2' },
      dashboardUrl: 'https://grafana.example/d/1',
    });
    const text = JSON.stringify(m.blocks);
    expect(m.text).toBe('demo/podinfo: Canary at 10%, step 2/3: PauseStep.');
    expect(text).toContain('app:1 → *app:2*');
    expect(text).toContain('▰▱▱ step 2/3 · canary 10%');
    expect(text).toContain('<https://github.com/org/app/pull/7|org/app#7>');
    expect(text).toContain('<https://grafana.example/d/1|dashboard>');
    expect(esc('a <b> & c')).toBe('a &lt;b&gt; &amp; c');
    const held = snap({
      status: {
        phase: 'Paused',
        reason: 'OutsideWindow',
        message:
          'step 3/3: inside the freeze weekend; waiting for window, opens Mon 09:00 Europe/Berlin (sluice promote --force overrides).',
        canaryWeight: 10,
        currentStepIndex: 2,
        runStartedAt: 't0',
      },
    });
    // the replicas of primary and canary, as the controller last saw them
    const sized = snap({
      status: { ...snap().status, replicas: { primary: { replicas: 5, ready: 5 }, canary: { replicas: 3, ready: 2 } } },
    });
    expect(JSON.stringify(rootMessage(sized, {}).blocks)).toContain(
      '▰▱▱ step 2/3 · canary 10% · primary 5/5 ready · canary 2/3 ready',
    );
    expect(rootMessage(held, {}).text).toBe(
      'demo/podinfo: Canary held at 10%, inside the freeze weekend; waiting for window, opens Mon 09:00 Europe/Berlin (sluice promote --force overrides).',
    );
  });

  it('filters thread replies by severity', () => {
    expect(['WeightSet', 'ManualPause', 'AnalysisFailed'].map(severityOf)).toEqual(['info', 'warning', 'error']);
    expect(shown('WeightSet', 'warning')).toBe(false);
    expect(shown('AnalysisFailed', 'warning')).toBe(true);
    expect(shown('ManualPause', 'error')).toBe(false);
    expect(
      commandReplies(undefined, {
        commands: [
          {
            id: 'c1',
            action: 'abort',
            user: 'alice',
            source: 'github',
            at: 't',
            reason: 'slow',
            handledAt: 't',
            outcome: 'rolled back.',
          },
        ],
      }),
    ).toEqual([{ id: 'c1', text: ':speech_balloon: *alice* (github) asked to *abort* (slow): rolled back.' }]);
  });

  it('asks for a root message once per run, an update per visible change, and a reply per new decision', () => {
    const channel = new SlackChannel({} as SlackApi, new MemoryRunStore(), pino({ level: 'silent' }));
    const first = snap({
      timeline: { ...rolledBackRun(), decisions: [{ t: 1, reason: 'NewRevision', message: 'started' }] },
    });
    const kinds = (ms: { id: string }[]): string[] => ms.map((m) => m.id.split('|').slice(2, 4).join('|'));
    expect(kinds(channel.messages(undefined, first))).toEqual([
      expect.stringMatching(/^root/),
      expect.stringMatching(/^update\|/),
      'reply|decision',
    ]);
    const next = snap({
      status: { ...first.status, canaryWeight: 50, currentStepIndex: 2, reason: 'WeightSet' },
      timeline: {
        ...first.timeline,
        decisions: [...first.timeline.decisions, { t: 2, reason: 'WeightSet', message: '50%' }],
      },
    });
    expect(kinds(channel.messages(first, next))).toEqual([expect.stringMatching(/^update\|/), 'reply|decision']);
    const quiet = { ...next, slack: { channel: '#deploys', severity: 'error' as const } };
    expect(kinds(channel.messages(first, quiet))).toEqual([expect.stringMatching(/^update\|/)]);
    expect(channel.messages(undefined, { ...first, slack: undefined })).toEqual([]);
  });

  it('asks for an update whenever the view changes, also back to one it showed before', () => {
    const channel = new SlackChannel({} as SlackApi, new MemoryRunStore(), pino({ level: 'silent' }));
    const at = (sequence: number, paused: boolean): RunSnapshot =>
      snap({
        status: {
          phase: paused ? 'Paused' : 'Progressing',
          reason: paused ? 'ManualPause' : 'WeightSet',
          canaryWeight: 30,
          currentStepIndex: 1,
          runStartedAt: 't0',
          sequence,
        },
      });
    const runs = [at(1, false), at(2, true), at(3, false), at(4, true)];
    const updates = runs.slice(1).flatMap((s, i) =>
      channel
        .messages(runs[i], s)
        .filter((m) => m.id.includes('|update|'))
        .map((m) => m.id),
    );
    expect(updates).toHaveLength(3);
    expect(new Set(updates).size).toBe(3);
    expect(
      channel
        .messages(runs[1], { ...runs[1]!, status: { ...runs[1]!.status, sequence: 5 } })
        .filter((m) => m.id.includes('|update|')),
    ).toEqual([]);
  });
});
