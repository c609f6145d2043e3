/**
 * Puts arg values into a templated query so that no value can change the query's shape: inside
 * a PromQL string literal a value is escaped as a string (and, for the built-in names in a regex
 * matcher, as a regex too); outside one it must be a plain number or duration. What cannot be
 * made safe is refused with a sentence naming the arg. As a last guard the rendered query must
 * parse into the same tree as the template does with harmless values.
 */
import { isBuiltinArg, scanPlaceholders, substitute, type Placeholder } from '../api/placeholders.js';
import { promqlSyntaxErrors } from '../api/promql.js';
import { parser } from '@prometheus-io/lezer-promql';

export type Rendered = { ok: true; query: string } | { ok: false; error: string };

const NUMBER = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;
const DURATION = /^(?:[0-9]+(?:ms|s|m|h|d|w|y))+$/;
const RE2_META = /[\\.+*?()|[\]{}^$]/g;
/** Control characters, and lone UTF-16 surrogates (not text at all): never put inside a PromQL string. */
/* eslint-disable no-control-regex -- control characters are what is refused here */
const UNQUOTABLE =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
/* eslint-enable no-control-regex */

export function regexEscape(value: string): string {
  return value.replace(RE2_META, (c) => `\\${c}`);
}

/** The value as the inside of a PromQL string literal quoted with `quote`; undefined when impossible. */
export function stringEscape(value: string, quote: '"' | "'" | '`'): string | undefined {
  if (UNQUOTABLE.test(value)) return undefined;
  if (quote === '`') return value.includes('`') ? undefined : value;
  return value.replace(/[\\"'\n\r\t]/g, (c) => {
    switch (c) {
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      default:
        return c === quote || c === '\\' ? `\\${c}` : c;
    }
  });
}

function inRegexMatcher(query: string, p: Placeholder): boolean {
  if (p.literalStart === undefined) return false;
  const before = query.slice(0, p.literalStart).trimEnd();
  return before.endsWith('=~') || before.endsWith('!~');
}

function valueFor(query: string, p: Placeholder, value: string): { text: string } | { error: string } {
  if (p.quote !== undefined) {
    const raw = isBuiltinArg(p.name) && inRegexMatcher(query, p) ? regexEscape(value) : value;
    const escaped = stringEscape(raw, p.quote);
    return escaped === undefined
      ? {
          error: `the value of arg "${p.name}" cannot be put in a ${p.quote === '`' ? 'raw (backtick) string' : 'string'}: it has ${p.quote === '`' ? 'a backtick or ' : ''}control characters`,
        }
      : { text: escaped };
  }
  if (NUMBER.test(value) || DURATION.test(value)) return { text: value };
  return {
    error: `arg "${p.name}" is used outside a string in the query, so its value must be a number or a duration such as 30s, not ${JSON.stringify(value.slice(0, 64))}`,
  };
}

/** Node names of a parse tree, literals aside: the query's shape. */
function shape(query: string): string {
  const names: string[] = [];
  parser.parse(query).iterate({
    enter(node) {
      if (!/Literal|Duration/.test(node.name)) names.push(node.name);
    },
  });
  return names.join(' ');
}

/** The query with harmless values in place of the placeholders, for the shape comparison. */
function harmless(
  query: string,
  placeholders: readonly Placeholder[],
  values: ReadonlyMap<Placeholder, string>,
): string {
  return substitute(query, placeholders, (p) =>
    p.quote !== undefined ? 'x' : DURATION.test(values.get(p) ?? '') ? '1m' : '1',
  ).text;
}

/** Renders `query` with `args`; every placeholder must have a value. */
export function renderQuery(query: string, args: Readonly<Record<string, string>>): Rendered {
  const scan = scanPlaceholders(query);
  if (scan.malformed.length > 0)
    return { ok: false, error: `${scan.malformed[0]?.text ?? '{{'} is not a placeholder; write {{ args.NAME }}` };
  const values = new Map<Placeholder, string>();
  for (const p of scan.placeholders) {
    const value = args[p.name];
    if (value === undefined)
      return {
        ok: false,
        error: `arg "${p.name}" has no value: give it in the Rollout's analysis args or as a default in the template`,
      };
    const v = valueFor(query, p, value);
    if ('error' in v) return { ok: false, error: v.error };
    values.set(p, v.text);
  }
  const rendered = substitute(query, scan.placeholders, (p) => values.get(p) ?? '').text;
  const syntax = promqlSyntaxErrors(rendered);
  if (syntax !== undefined)
    return { ok: false, error: `the query is not valid PromQL with these args: ${syntax.message}` };
  if (shape(rendered) !== shape(harmless(query, scan.placeholders, values)))
    return { ok: false, error: 'an arg value changes the structure of the query; refusing to run it' };
  return { ok: true, query: rendered };
}
