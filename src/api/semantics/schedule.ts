/** Checks of `spec.schedule`: window forms, cron expressions and time zones. */
import { CronExpressionParser } from 'cron-parser';
import { parseDuration } from '../duration.js';
import { error, type PathSegment, type Problem } from '../problem.js';
import type { Window } from '../schema/rollout.js';

export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

export function cronError(expr: string, timeZone: string): string | undefined {
  const fields = expr.trim().split(/\s+/).length;
  if (!expr.trim().startsWith('@') && (fields < 5 || fields > 6))
    return `has ${fields} field(s); use 5 (minute hour day month weekday) or 6 (with seconds first)`;
  try {
    CronExpressionParser.parse(expr, { tz: timeZone }).next();
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function checkWindow(w: Window, path: PathSegment[], defaultZone: string): Problem[] {
  const problems: Problem[] = [];
  const zone = w.timeZone ?? defaultZone;
  if (w.timeZone !== undefined && !isTimeZone(w.timeZone)) {
    problems.push(
      error(
        [...path, 'timeZone'],
        `unknown time zone "${w.timeZone}": use an IANA name such as Europe/Berlin or America/New_York`,
      ),
    );
  }
  const recurring = w.cron !== undefined || w.duration !== undefined;
  const oneOff = w.start !== undefined || w.end !== undefined;
  if (recurring && oneOff)
    problems.push(
      error(path, 'set either cron + duration (a recurring window) or start + end (a one-off window), not both'),
    );
  else if (recurring) problems.push(...checkRecurring(w, path, zone));
  else if (oneOff) problems.push(...checkOneOff(w, path));
  else problems.push(error(path, 'an empty window: set cron + duration, or start + end'));
  return problems;
}

function checkRecurring(w: Window, path: PathSegment[], zone: string): Problem[] {
  const problems: Problem[] = [];
  if (w.cron === undefined)
    problems.push(error([...path, 'cron'], 'is required with duration: when does the window open? e.g. "0 9 * * 1-5"'));
  else if (isTimeZone(zone)) {
    const why = cronError(w.cron, zone);
    if (why !== undefined)
      problems.push(
        error(
          [...path, 'cron'],
          `is not a valid cron expression (${why}); e.g. "0 9 * * 1-5" opens at 09:00 on weekdays`,
        ),
      );
  }
  if (w.duration === undefined)
    problems.push(error([...path, 'duration'], 'is required with cron: how long does the window stay open? e.g. 8h'));
  else if ((parseDuration(w.duration) ?? 0) <= 0) problems.push(error([...path, 'duration'], 'must be longer than 0s'));
  return problems;
}

function checkOneOff(w: Window, path: PathSegment[]): Problem[] {
  if (w.start === undefined) return [error([...path, 'start'], 'is required with end')];
  if (w.end === undefined) return [error([...path, 'end'], 'is required with start')];
  return Date.parse(w.end) <= Date.parse(w.start) ? [error([...path, 'end'], 'must be after start')] : [];
}

export function checkSchedule(
  schedule: { timeZone?: string; allow?: Window[]; deny?: Window[] } | undefined,
  path: PathSegment[],
): Problem[] {
  if (schedule === undefined) return [];
  const problems: Problem[] = [];
  const zone = schedule.timeZone ?? 'UTC';
  if (!isTimeZone(zone))
    problems.push(
      error(
        [...path, 'timeZone'],
        `unknown time zone "${zone}": use an IANA name such as Europe/Berlin or America/New_York`,
      ),
    );
  for (const key of ['allow', 'deny'] as const) {
    (schedule[key] ?? []).forEach((w, i) => problems.push(...checkWindow(w, [...path, key, i], zone)));
  }
  return problems;
}
