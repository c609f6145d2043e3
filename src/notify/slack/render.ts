/**
 * Slack messages of a run, pure: the root message (blocks: rollout, namespace, old -> new
 * image, a progress bar by step, each check against its threshold, links to the pull request
 * and a dashboard) and the thread replies for decisions, filtered by severity.
 */
import type { MetricStatus, RolloutStatus } from '../../api/schema/rollout-status.js';
import { checkLabel } from '../labels.js';
import { checkLine, headline, outcomeOf, replicasLine, type RunSnapshot } from '../run-report.js';
import type { Decision } from '../timeline.js';

export type Severity = 'info' | 'warning' | 'error';
const RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2 };

const ERROR_REASONS = new Set([
  'AnalysisFailed',
  'Aborted',
  'ProgressDeadlineExceeded',
  'RolledBack',
  'InvalidSpec',
  'TargetNotFound',
]);
const WARNING_REASONS = new Set([
  'AnalysisInconclusive',
  'MetricsUnavailable',
  'WaitingForMetrics',
  'ManualPause',
  'CanaryLostEndpoints',
  'ReconcileFailed',
  'Reverted',
  'RestartedForNewRevision',
]);

export function severityOf(reason: string): Severity {
  return ERROR_REASONS.has(reason) ? 'error' : WARNING_REASONS.has(reason) ? 'warning' : 'info';
}

export function shown(reason: string, least: Severity | undefined): boolean {
  return RANK[severityOf(reason)] >= RANK[least ?? 'info'];
}

/** Slack mrkdwn: &, < and > escaped; the rest is text. */
export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function progress(snap: RunSnapshot): string {
  const total = snap.steps.length;
  const done = outcomeOf(snap.status) === 'promoted' ? total : Math.min(snap.status.currentStepIndex ?? 0, total);
  const bar = `${'▰'.repeat(done)}${'▱'.repeat(Math.max(0, total - done))}`;
  const step = Math.min(done + (done < total ? 1 : 0), total);
  const replicas = replicasLine(snap.status);
  return `${bar} step ${step}/${total} · canary ${snap.status.canaryWeight ?? 0}%${replicas === '' ? '' : ` · ${replicas}`}`;
}

const ICON = {
  running: ':large_yellow_circle:',
  promoted: ':large_green_circle:',
  'rolled-back': ':red_circle:',
  stopped: ':white_circle:',
} as const;

export interface SlackContext {
  images?: { stable?: string; canary?: string };
  dashboardUrl?: string;
  /** Web URL of GitHub (https://github.com unless GitHub Enterprise). */
  githubWebUrl?: string;
}

/** The root message: `text` (notifications, screen readers) and `blocks`. */
export function rootMessage(snap: RunSnapshot, ctx: SlackContext): { text: string; blocks: unknown[] } {
  const outcome = outcomeOf(snap.status);
  const title = `${ICON[outcome]} Canary of *${esc(snap.name)}* in \`${esc(snap.namespace)}\`: ${esc(headline(snap, 300))}`;
  const images =
    ctx.images?.canary === undefined ? [] : [`${esc(ctx.images.stable ?? '?')} → *${esc(ctx.images.canary)}*`];
  const checks = (snap.status.metrics ?? []).map((m) => `• ${esc(checkLine(m))}`);
  const pr = snap.release?.pullRequest;
  const repo = esc(snap.release?.repository ?? '');
  const links = [
    pr === undefined ? undefined : `<${ctx.githubWebUrl ?? 'https://github.com'}/${repo}/pull/${pr}|${repo}#${pr}>`,
    ctx.dashboardUrl === undefined ? undefined : `<${ctx.dashboardUrl}|dashboard>`,
  ].filter((x) => x !== undefined);
  const blocks: unknown[] = [
    { type: 'section', text: { type: 'mrkdwn', text: title } },
    { type: 'section', text: { type: 'mrkdwn', text: [progress(snap), ...images].join('\n') } },
  ];
  if (checks.length > 0)
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: checks.join('\n').slice(0, 2900) } });
  if (links.length > 0) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: links.join(' · ') }] });
  return { text: `${snap.namespace}/${snap.name}: ${headline(snap, 300)}`, blocks };
}

/** A thread reply for a decision. */
export function decisionReply(d: Decision): string {
  const icon =
    severityOf(d.reason) === 'error'
      ? ':red_circle:'
      : severityOf(d.reason) === 'warning'
        ? ':warning:'
        : ':small_blue_diamond:';
  return `${icon} *${esc(d.reason)}*: ${esc(d.message)}`;
}

/** Checks whose failure count grew from `prev` to `now`: a reply each, with the values. */
export function newlyFailing(prev: RolloutStatus | undefined, now: RolloutStatus): MetricStatus[] {
  return (now.metrics ?? []).filter(
    (m) => m.failed > ((prev?.metrics ?? []).find((p) => p.name === m.name)?.failed ?? 0),
  );
}

export function failingReply(m: MetricStatus): string {
  return `:warning: *${esc(checkLabel(m.name))}* failed: ${esc(checkLine(m))}`;
}

/** Commands handled since `prev`: who commanded what, and what came of it. */
export function commandReplies(prev: RolloutStatus | undefined, now: RolloutStatus): { id: string; text: string }[] {
  const before = new Set((prev?.commands ?? []).filter((c) => c.handledAt !== undefined).map((c) => c.id));
  return (now.commands ?? [])
    .filter((c) => c.handledAt !== undefined && !before.has(c.id))
    .map((c) => ({
      id: c.id,
      text: `:speech_balloon: *${esc(c.user)}* (${c.source}) asked to *${c.action}*${
        c.reason === undefined ? '' : ` (${esc(c.reason)})`
      }: ${esc(c.outcome ?? 'done')}`,
    }));
}
