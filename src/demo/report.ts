/**
 * The demo report: one self-contained HTML file (inline CSS and SVG, no scripts, nothing
 * fetched) with a summary table and, per run, a timeline chart: the canary weight over time,
 * each check's values against its threshold, and a marker wherever Sluice decided. Pure.
 */
import { formatValue } from '../analysis/judge.js';
import type { MetricSeries } from '../notify/timeline.js';
import type { RunTimeline } from './recorder.js';

const WIDTH = 960;
const LEFT = 70;
const RIGHT = 20;
const PANEL = 110;
const GAP = 36;
const TOP = 48;
const BOTTOM = 30;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const round = (n: number): string => String(Math.round(n * 10) / 10);

interface Frame {
  x: (t: number) => number;
  /** Top of panel i. */
  top: (i: number) => number;
}

function frameOf(run: RunTimeline): Frame {
  const span = Math.max(1000, run.endedAt - run.startedAt);
  return {
    x: (t) =>
      LEFT + ((Math.min(Math.max(t, run.startedAt), run.endedAt) - run.startedAt) / span) * (WIDTH - LEFT - RIGHT),
    top: (i) => TOP + i * (PANEL + GAP),
  };
}

function axis(top: number, label: string, ticks: [number, string][]): string {
  const lines = ticks.map(
    ([y, text]) =>
      `<line class="grid" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${round(y)}" y2="${round(y)}"/><text class="tick" x="${LEFT - 6}" y="${round(y + 4)}" text-anchor="end">${escapeHtml(text)}</text>`,
  );
  return `${lines.join('')}<text class="panel-label" x="${LEFT + 4}" y="${top - 8}">${escapeHtml(label)}</text>`;
}

function weightPanel(run: RunTimeline, f: Frame): string {
  const top = f.top(0);
  const y = (w: number): number => top + PANEL - (w / 100) * PANEL;
  let path = '';
  let previous: number | undefined;
  for (const p of run.weights) {
    path +=
      previous === undefined
        ? `M${round(f.x(p.t))},${round(y(p.weight))}`
        : ` H${round(f.x(p.t))} V${round(y(p.weight))}`;
    previous = p.weight;
  }
  if (previous !== undefined) path += ` H${round(f.x(run.endedAt))}`;
  return `${axis(top, 'canary weight (%)', [
    [y(0), '0'],
    [y(50), '50'],
    [y(100), '100'],
  ])}<path class="weight" d="${path}"/>`;
}

function metricPanel(m: MetricSeries, i: number, f: Frame): string {
  const top = f.top(i);
  const limit = m.max ?? m.min;
  const highest = Math.max(limit ?? 0, ...m.points.map((p) => p.value)) * 1.15 || 1;
  const y = (v: number): number => top + PANEL - (v / highest) * PANEL;
  const unit = m.unit === undefined ? '' : ` (${m.unit})`;
  const nice = (v: number): string => formatValue(Number(v.toPrecision(2)));
  const ticks: [number, string][] = [
    [y(0), '0'],
    [y(highest / 2), nice(highest / 2)],
    [y(highest), nice(highest)],
  ];
  const threshold =
    limit === undefined
      ? ''
      : `<line class="threshold" x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${round(y(limit))}" y2="${round(y(limit))}"><title>${escapeHtml(`threshold ${m.max !== undefined ? '<=' : '>='} ${formatValue(limit, m.unit)}`)}</title></line><text class="threshold-label" x="${WIDTH - RIGHT}" y="${round(y(limit) - 4)}" text-anchor="end">${m.max !== undefined ? 'max' : 'min'} ${escapeHtml(formatValue(limit, m.unit))}</text>`;
  const line =
    m.points.length > 1
      ? `<polyline class="value" points="${m.points.map((p) => `${round(f.x(p.t))},${round(y(p.value))}`).join(' ')}"/>`
      : '';
  const dots = m.points.map(
    (p) =>
      `<circle class="measurement ${p.phase === 'Failed' ? 'failed' : 'passed'}" cx="${round(f.x(p.t))}" cy="${round(y(p.value))}" r="4"><title>${escapeHtml(`${formatValue(p.value, m.unit)} (${p.phase})`)}</title></circle>`,
  );
  return `${axis(top, `${m.label}${unit}`, ticks)}${threshold}${line}${dots.join('')}`;
}

function markers(run: RunTimeline, f: Frame, height: number): string {
  return run.decisions
    .map((d, i) => {
      const x = round(f.x(d.t));
      return `<g class="decision" data-reason="${escapeHtml(d.reason)}"><line x1="${x}" x2="${x}" y1="${TOP - 24}" y2="${height - BOTTOM}"/><text x="${x}" y="${TOP - 28}" text-anchor="middle">${i + 1}</text><title>${escapeHtml(`${i + 1}. +${seconds(d.t - run.startedAt)} ${d.reason}: ${d.message}`)}</title></g>`;
    })
    .join('');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** One run's chart: weight on top, one panel per check, decision markers across all. */
export function timelineSvg(run: RunTimeline): string {
  const f = frameOf(run);
  const panels = 1 + run.metrics.length;
  const height = f.top(panels) - GAP + BOTTOM;
  const span = run.endedAt - run.startedAt;
  const xTicks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (k) =>
        `<text class="tick" x="${round(f.x(run.startedAt + k * span))}" y="${height - 10}" text-anchor="middle">${seconds(k * span)}</text>`,
    )
    .join('');
  const body = [
    weightPanel(run, f),
    ...run.metrics.map((m, i) => metricPanel(m, i + 1, f)),
    markers(run, f, height),
    xTicks,
  ].join('');
  return `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" width="${WIDTH}" height="${height}" role="img" aria-label="${escapeHtml(`${run.scenario}: canary weight and checks over time`)}">${body}</svg>`;
}

function decisionTable(run: RunTimeline): string {
  const rows = run.decisions.map(
    (d, i) =>
      `<tr><td>${i + 1}</td><td>+${seconds(d.t - run.startedAt)}</td><td><code>${escapeHtml(d.reason)}</code></td><td>${escapeHtml(d.message)}</td></tr>`,
  );
  return `<table class="decisions"><thead><tr><th>#</th><th>at</th><th>reason</th><th>what Sluice decided</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function verdict(run: RunTimeline): string {
  return `<span class="${run.ok ? 'ok' : 'bad'}">${escapeHtml(run.got || 'no outcome')}${run.ok ? '' : ` (expected ${escapeHtml(run.expected)})`}</span>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1000px;color:#1b1f24}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
.ok{color:#1a7f37;font-weight:600}.bad{color:#cf222e;font-weight:600}
svg.timeline{display:block;margin:1em 0;font-size:11px}
.grid{stroke:#eaeef2}.tick{fill:#57606a}.panel-label{fill:#1b1f24;font-weight:600;paint-order:stroke;stroke:#fff;stroke-width:4px}
.weight{fill:none;stroke:#0969da;stroke-width:2.5}.value{fill:none;stroke:#8250df;stroke-width:1.5}
.measurement.passed{fill:#1a7f37}.measurement.failed{fill:#cf222e}
.threshold{stroke:#cf222e;stroke-dasharray:6 4}.threshold-label{fill:#cf222e}
.decision line{stroke:#9a6700;stroke-dasharray:2 3}.decision text{fill:#9a6700;font-weight:600}`;

/** The whole report. */
export function renderReport(runs: readonly RunTimeline[], meta: { generatedAt: Date; version: string }): string {
  const summary = runs.map(
    (r) =>
      `<tr><td><a href="#${escapeHtml(r.scenario)}">${escapeHtml(r.scenario)}</a></td><td>${escapeHtml(r.expected)}</td><td>${verdict(r)}</td><td>${seconds(r.endedAt - r.startedAt)}</td></tr>`,
  );
  const sections = runs.map(
    (r, i) =>
      `<section class="run" id="${escapeHtml(r.scenario)}"><h2>${i + 1}. ${escapeHtml(r.scenario)} — ${verdict(r)}</h2><p>${escapeHtml(r.title)}. ${escapeHtml(r.detail)}</p>${timelineSvg(r)}${decisionTable(r)}</section>`,
  );
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Sluice demo report</title><style>${STYLE}</style></head>
<body>
<h1>Sluice demo report</h1>
<p>Generated ${escapeHtml(meta.generatedAt.toISOString())} by sluice ${escapeHtml(meta.version)}. Each chart shows one canary run: the weight Sluice gave the canary, every measurement of every check against its threshold (red: failed), and numbered markers where Sluice decided (listed below each chart).</p>
<table class="summary"><thead><tr><th>scenario</th><th>expected</th><th>got</th><th>duration</th></tr></thead><tbody>${summary.join('')}</tbody></table>
${sections.join('\n')}
</body>
</html>
`;
}
