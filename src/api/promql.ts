/** Offline PromQL syntax checks with Prometheus' own grammar (@prometheus-io/lezer-promql). */
import { parser } from '@prometheus-io/lezer-promql';
import { scanPlaceholders, substitute, type Placeholder } from './placeholders.js';

export interface PromqlSyntaxError {
  /** Offset in the original (templated) query. */
  offset: number;
  message: string;
}

function describeAt(text: string, offset: number): string {
  if (offset >= text.length) return 'the query ends too early';
  const near = text.slice(offset, offset + 24).replace(/\s+/g, ' ');
  return `unexpected input at column ${offset + 1} near "${near}"`;
}

/** Syntax errors of a plain PromQL expression (no placeholders). */
export function promqlSyntaxErrors(query: string): { offset: number; message: string } | undefined {
  if (query.trim() === '') return { offset: 0, message: 'the query is empty' };
  const tree = parser.parse(query);
  let first: number | undefined;
  tree.iterate({
    enter(node) {
      if (first === undefined && node.type.isError) first = node.from;
      return first === undefined;
    },
  });
  return first === undefined ? undefined : { offset: first, message: describeAt(query, first) };
}

/**
 * Checks a templated query: every placeholder is replaced by a harmless value of the kind its
 * position needs (a name inside a string literal, a duration in a range, otherwise a number or
 * the arg's default), then the result is parsed.
 */
export function checkTemplatedQuery(
  query: string,
  defaults: Readonly<Record<string, string>> = {},
): PromqlSyntaxError | undefined {
  const { placeholders } = scanPlaceholders(query);
  const sample = (p: Placeholder): string => {
    if (p.quote !== undefined) return 'x';
    const before = query.slice(0, p.start).trimEnd();
    const after = query.slice(p.end).trimStart();
    if (
      p.name === 'interval' ||
      p.name === 'window' ||
      before.endsWith('[') ||
      before.endsWith(':') ||
      after.startsWith(']') ||
      after.startsWith(':') ||
      /\boffset$/i.test(before)
    )
      return '1m';
    const given = defaults[p.name];
    return given !== undefined && /^-?[0-9.eE+]+$/.test(given) ? given : '1';
  };
  const sub = substitute(query, placeholders, sample);
  const error = promqlSyntaxErrors(sub.text);
  if (error === undefined) return undefined;
  const offset = sub.toOriginal(error.offset);
  return { offset, message: error.offset >= sub.text.length ? 'the query ends too early' : describeAt(query, offset) };
}
