/**
 * `{{ args.NAME }}` placeholders in AnalysisTemplate queries and thresholds. Where a placeholder
 * stands decides how its value is escaped at run time: inside a PromQL string literal it is
 * escaped as a string, outside one it must be a plain number or duration.
 */

export const BUILTIN_ARGS = {
  namespace: 'Namespace of the Rollout.',
  workload: 'Name of the workload measured: the canary Deployment, or the primary for comparative checks.',
  primary: 'Name of the primary Deployment (<target>-primary).',
  service: 'Name of the Service in spec.service.',
  interval: 'The metric interval, e.g. 1m: the time between measurements.',
  window:
    'The range one measurement covers, for range selectors such as rate(...[{{ args.window }}]): the interval, widened to four scrapes (max(interval, 4 x scrapeInterval)) so that a rate always has samples.',
} as const;
export type BuiltinArg = keyof typeof BUILTIN_ARGS;

export function isBuiltinArg(name: string): name is BuiltinArg {
  return Object.hasOwn(BUILTIN_ARGS, name);
}

export interface Placeholder {
  name: string;
  start: number;
  end: number;
  /** The quote character of the PromQL string literal around the placeholder, if any. */
  quote: '"' | "'" | '`' | undefined;
  /** Offset of that literal's opening quote. */
  literalStart?: number;
}

const PLACEHOLDER = /\{\{\s*args\.([A-Za-z][A-Za-z0-9_]*)\s*\}\}/y;
const LOOSE = /\{\{[^}]*\}\}/y;

export interface PlaceholderScan {
  placeholders: Placeholder[];
  /** `{{ ... }}` sequences that are not valid placeholders, e.g. `{{ namespace }}`. */
  malformed: { text: string; start: number }[];
}

/** Reads the `{{ ... }}` at `start` into the scan; returns its length. */
function readBraces(
  text: string,
  start: number,
  literal: { quote: Placeholder['quote']; at: number },
  scan: PlaceholderScan,
): number {
  PLACEHOLDER.lastIndex = start;
  const m = PLACEHOLDER.exec(text);
  if (m !== null) {
    const { quote, at } = literal;
    scan.placeholders.push({
      name: m[1] ?? '',
      start,
      end: start + m[0].length,
      quote,
      ...(quote === undefined ? {} : { literalStart: at }),
    });
    return m[0].length;
  }
  LOOSE.lastIndex = start;
  const loose = LOOSE.exec(text);
  scan.malformed.push({ text: loose?.[0] ?? text.slice(start, start + 20), start });
  return loose?.[0].length ?? 2;
}

/** Finds the placeholders of a query, tracking PromQL string literals and comments. */
export function scanPlaceholders(text: string): PlaceholderScan {
  const scan: PlaceholderScan = { placeholders: [], malformed: [] };
  let quote: Placeholder['quote'];
  let literalStart = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (text.startsWith('{{', i)) {
      i += readBraces(text, i, { quote, at: literalStart }, scan) - 1;
      continue;
    }
    if (quote !== undefined) {
      if (ch === '\\' && quote !== '`') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'" || ch === '`') {
      quote = ch;
      literalStart = i;
    } else if (ch === '#') {
      const eol = text.indexOf('\n', i);
      i = eol === -1 ? text.length : eol;
    }
  }
  return scan;
}

/** Replaces placeholders by values chosen per placeholder (no escaping: callers decide). */
export function substitute(
  text: string,
  placeholders: readonly Placeholder[],
  valueOf: (p: Placeholder) => string,
): { text: string; toOriginal: (offset: number) => number } {
  let out = '';
  let last = 0;
  const marks: { outStart: number; outEnd: number; origStart: number; origEnd: number }[] = [];
  for (const p of placeholders) {
    out += text.slice(last, p.start);
    const value = valueOf(p);
    marks.push({ outStart: out.length, outEnd: out.length + value.length, origStart: p.start, origEnd: p.end });
    out += value;
    last = p.end;
  }
  out += text.slice(last);
  const toOriginal = (offset: number): number => {
    let shift = 0;
    for (const m of marks) {
      if (offset < m.outStart) break;
      if (offset < m.outEnd) return m.origStart;
      shift = m.origEnd - m.outEnd;
    }
    return offset + shift;
  };
  return { text: out, toOriginal };
}
