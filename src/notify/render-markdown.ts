/**
 * The pull-request comment of a run: phase, a table of steps (weight, each check against its
 * threshold, verdict), a mermaid xychart of weight and key checks over time, the verdict with
 * its reason, and the commands people can comment. Pure; found again by its hidden marker.
 */
import type { MetricSeries, Timeline } from './timeline.js';
import {
  backgroundChecks,
  checkLine,
  headline,
  outcomeOf,
  replicasLine,
  stepRows,
  type RunSnapshot,
} from './run-report.js';

export function commentMarker(namespace: string, name: string): string {
  return `<!-- sluice:rollout=${namespace}/${name} -->`;
}

/** Markdown-safe text in a table cell or a line. */
function md(text: string): string {
  return text.replace(/[\\`*_[\]<>|]/g, (c) => `\\${c}`).replace(/\r?\n/g, ' ');
}

const BADGE = {
  running: '🟡 in progress',
  promoted: '🟢 promoted',
  'rolled-back': '🔴 rolled back',
  stopped: '⚪ stopped',
} as const;
const STATE = { done: '✅', current: '▶️', next: '', skipped: '—' } as const;

function stepsTable(snap: RunSnapshot): string {
  const rows = stepRows(snap).map((r) => {
    const checks = r.checks.map((m) => md(checkLine(m))).join('<br>');
    return `| ${STATE[r.state]} ${r.index + 1} | ${md(r.what)} | ${r.weight}% | ${checks} |`;
  });
  return ['| step | what | canary weight | checks |', '|---|---|---|---|', ...rows].join('\n');
}

/** Up to 3 checks worth charting: failed ones first, then background ones. */
function keyChecks(t: Timeline): MetricSeries[] {
  const charted = t.metrics.filter((m) => m.points.length > 0 && (m.max ?? m.min) !== undefined);
  const failed = (m: MetricSeries): number =>
    m.points.some((p) => p.phase === 'Failed') ? 0 : m.name.startsWith('background:') ? 1 : 2;
  return [...charted].sort((a, b) => failed(a) - failed(b)).slice(0, 3);
}

const round = (n: number): number => Math.round(n * 10) / 10;

/** The weight and key checks (as % of their threshold) at up to 12 moments of the run. */
export function mermaidChart(t: Timeline): string {
  const span = Math.max(1000, t.endedAt - t.startedAt);
  const n = Math.min(12, Math.max(2, Math.ceil(span / 5000) + 1));
  const times = Array.from({ length: n }, (_, i) => t.startedAt + (i * span) / (n - 1));
  const weightAt = (x: number): number => [...t.weights].reverse().find((w) => w.t <= x)?.weight ?? 0;
  const checks = keyChecks(t);
  const lines = checks.map((m) => {
    const limit = m.max ?? m.min ?? 1;
    const valueAt = (x: number): number => {
      const p = [...m.points].reverse().find((q) => q.t <= x);
      return p === undefined ? 0 : round((p.value / (limit === 0 ? 1 : limit)) * 100);
    };
    return `    line [${times.map(valueAt).join(', ')}]`;
  });
  const top = Math.max(
    100,
    ...checks.flatMap((m) => m.points.map((p) => round((p.value / ((m.max ?? m.min ?? 1) || 1)) * 100))),
  );
  return [
    '```mermaid',
    'xychart-beta',
    `    title "canary weight (bars, %) and checks (lines, % of their threshold)"`,
    `    x-axis "seconds since the run started" [${times.map((x) => Math.round((x - t.startedAt) / 1000)).join(', ')}]`,
    `    y-axis "%" 0 --> ${Math.ceil(top / 10) * 10}`,
    `    bar [${times.map(weightAt).join(', ')}]`,
    ...lines,
    '```',
    checks.length === 0
      ? ''
      : `Lines: ${checks.map((m, i) => `${i + 1}. ${md(m.label)} (100 = ${m.max !== undefined ? 'max' : 'min'} ${m.max ?? m.min ?? ''}${m.unit === undefined ? '' : ` ${m.unit}`})`).join(', ')}.`,
  ].join('\n');
}

const COMMANDS_RUNNING =
  '`/sluice promote` · `/sluice abort [reason]` · `/sluice pause` · `/sluice resume` · `/sluice status` · `/sluice help`';
const COMMANDS_DONE = '`/sluice retry` (runs a rolled-back revision again) · `/sluice status` · `/sluice help`';

export function renderComment(snap: RunSnapshot): string {
  const s = snap.status;
  const outcome = outcomeOf(s);
  const background = backgroundChecks(snap).map((m) => `- ${md(checkLine(m))}`);
  const verdict =
    outcome === 'running'
      ? `**Now:** ${md(s.message ?? s.reason ?? 'starting')}`
      : `**Verdict:** ${md(headline(snap, 1000))}${s.reason === undefined ? '' : ` (\`${s.reason}\`)`}`;
  return [
    commentMarker(snap.namespace, snap.name),
    `### Sluice canary of \`${snap.namespace}/${snap.name}\` — ${BADGE[outcome]}`,
    '',
    `Revision \`${md(s.canaryRevision ?? '?')}\`${snap.release?.commit === undefined ? '' : ` from commit ${snap.release.commit.slice(0, 12)}`} · phase **${s.phase ?? 'Pending'}** · canary weight **${s.canaryWeight ?? 0}%**${replicasLine(s) === '' ? '' : ` · ${replicasLine(s)}`} · run started ${s.runStartedAt ?? '?'}`,
    '',
    stepsTable(snap),
    '',
    ...(background.length === 0 ? [] : ['Checks for the whole run:', ...background, '']),
    mermaidChart(snap.timeline),
    '',
    verdict,
    '',
    `<sub>Comment on this pull request: ${outcome === 'running' ? COMMANDS_RUNNING : COMMANDS_DONE}.</sub>`,
    '',
  ].join('\n');
}
