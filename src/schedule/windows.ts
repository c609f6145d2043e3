/**
 * Promotion and freeze windows, pure: whether traffic may move forward at a moment, and if not,
 * why and when it may. Recurring windows open at each time of a cron expression in an IANA time
 * zone (cron-parser, DST-aware) and stay open for a duration; one-off windows are a range.
 * Traffic may move when the moment is inside an allow window (or there are none) and inside no
 * deny window. Rollback is never asked here: it is never blocked.
 */
import { CronExpressionParser } from 'cron-parser';
import { parseDuration } from '../api/duration.js';
import type { Window } from '../api/schema/rollout.js';

export interface ScheduleSpec {
  timeZone?: string;
  allow?: Window[];
  deny?: Window[];
}

export interface WindowState {
  open: boolean;
  /** Why traffic may not move now (a sentence fragment). */
  why?: string;
  /** When it may, if within a year. */
  opensAt?: Date;
}

interface Span {
  from: number;
  to: number;
}

const YEAR_MS = 366 * 24 * 3600 * 1000;

function label(w: Window, kind: 'allow' | 'deny', i: number): string {
  return w.name ?? `${kind}[${i}]`;
}

/** The occurrence of `w` that contains `t`, if any. */
export function containing(w: Window, zone: string, t: number): Span | undefined {
  if (w.start !== undefined && w.end !== undefined) {
    const from = Date.parse(w.start);
    const to = Date.parse(w.end);
    return from <= t && t < to ? { from, to } : undefined;
  }
  if (w.cron === undefined || w.duration === undefined) return undefined;
  const duration = parseDuration(w.duration) ?? 0;
  // The latest opening at or before t is the one whose end is latest.
  const from = CronExpressionParser.parse(w.cron, { tz: w.timeZone ?? zone, currentDate: new Date(t + 1) })
    .prev()
    .getTime();
  return from + duration > t ? { from, to: from + duration } : undefined;
}

/** The first opening of `w` after `t`. */
function nextStart(w: Window, zone: string, t: number): number | undefined {
  if (w.start !== undefined) {
    const from = Date.parse(w.start);
    return from > t ? from : undefined;
  }
  if (w.cron === undefined) return undefined;
  return CronExpressionParser.parse(w.cron, { tz: w.timeZone ?? zone, currentDate: new Date(t) })
    .next()
    .getTime();
}

/** Why traffic may not move at `t`, and the earliest later moment worth checking; undefined when it may. */
function closedAt(s: ScheduleSpec, t: number): { why: string; retry: number | undefined } | undefined {
  const zone = s.timeZone ?? 'UTC';
  const deny = (s.deny ?? [])
    .map((w, i) => ({ w, i, span: containing(w, zone, t) }))
    .filter((x) => x.span !== undefined);
  if (deny.length > 0)
    return {
      why: `inside the freeze ${deny.map((d) => label(d.w, 'deny', d.i)).join(', ')}`,
      retry: Math.max(...deny.map((d) => d.span?.to ?? t)),
    };
  const allow = s.allow ?? [];
  if (allow.length === 0 || allow.some((w) => containing(w, zone, t) !== undefined)) return undefined;
  const starts = allow.map((w) => nextStart(w, zone, t)).filter((x): x is number => x !== undefined);
  return { why: 'outside the allowed windows', retry: starts.length === 0 ? undefined : Math.min(...starts) };
}

export function windowState(s: ScheduleSpec | undefined, now: Date): WindowState {
  if (s === undefined) return { open: true };
  const first = closedAt(s, now.getTime());
  if (first === undefined) return { open: true };
  let t = first.retry;
  for (let i = 0; i < 1000 && t !== undefined && t - now.getTime() < YEAR_MS; i++) {
    const closed = closedAt(s, t);
    if (closed === undefined) return { open: false, why: first.why, opensAt: new Date(t) };
    t = closed.retry === undefined || closed.retry <= t ? undefined : closed.retry;
  }
  return { open: false, why: first.why };
}

/**
 * Several schedules at once (cluster-wide defaults and the Rollout's own, which may only
 * tighten them): open when every one is open; opens when all are open together.
 */
export function allWindows(
  schedules: readonly (ScheduleSpec | undefined)[],
  now: Date,
): WindowState & { zone: string } {
  const present = schedules.filter((s): s is ScheduleSpec => s !== undefined);
  const zone = present[present.length - 1]?.timeZone ?? 'UTC';
  const states = present.map((s) => windowState(s, now));
  const closed = states.find((x) => !x.open);
  if (closed === undefined) return { open: true, zone };
  let t = Math.max(...states.map((x) => (x.open ? now.getTime() : (x.opensAt?.getTime() ?? Infinity))));
  for (let i = 0; i < 100 && Number.isFinite(t); i++) {
    const at = new Date(t);
    const later = present.map((s) => windowState(s, at));
    if (later.every((x) => x.open))
      return { open: false, why: closed.why ?? 'the window is closed', opensAt: at, zone };
    t = Math.max(...later.map((x) => (x.open ? t : (x.opensAt?.getTime() ?? Infinity))));
  }
  return { open: false, why: closed.why ?? 'the window is closed', zone };
}

/** "Mon 09:00 Europe/Berlin", as people read an opening time. */
export function humanTime(d: Date, zone: string): string {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone: zone,
    weekday: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hour12: false,
  }).format(d);
  return `${parts.replace(',', '')} ${zone}`;
}
