/** Label and field selectors, as `labelSelector=` and `fieldSelector=` carry them. */
import { errors } from './status.js';

type Requirement =
  | { op: 'eq' | 'neq'; key: string; value: string }
  | { op: 'in' | 'notin'; key: string; values: string[] }
  | { op: 'exists' | 'notexists'; key: string };

export type Matcher = (labels: Readonly<Record<string, string>>) => boolean;

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur.trim() !== '') out.push(cur);
  return out.map((t) => t.trim()).filter((t) => t !== '');
}

const KEY = /^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;

function checkKey(key: string, selector: string): string {
  if (!KEY.test(key))
    throw errors.badRequest(`unable to parse requirement: invalid label key "${key}" in selector "${selector}"`);
  return key;
}

function checkValue(value: string, selector: string): string {
  if (!VALUE.test(value))
    throw errors.badRequest(`unable to parse requirement: invalid label value "${value}" in selector "${selector}"`);
  return value;
}

function parseTerm(term: string, selector: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set !== null) {
    const values = (set[3] ?? '').split(',').map((v) => checkValue(v.trim(), selector));
    return { op: set[2] === 'in' ? 'in' : 'notin', key: checkKey(set[1] ?? '', selector), values };
  }
  const cmp = /^([^!=\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
  if (cmp !== null)
    return {
      op: cmp[2] === '!=' ? 'neq' : 'eq',
      key: checkKey(cmp[1] ?? '', selector),
      value: checkValue(cmp[3] ?? '', selector),
    };
  if (term.startsWith('!')) return { op: 'notexists', key: checkKey(term.slice(1).trim(), selector) };
  return { op: 'exists', key: checkKey(term, selector) };
}

function matches(r: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = labels[r.key];
  switch (r.op) {
    case 'eq':
      return has && value === r.value;
    case 'neq':
      return !has || value !== r.value;
    case 'in':
      return has && r.values.includes(value ?? '');
    case 'notin':
      return !has || !r.values.includes(value ?? '');
    case 'exists':
      return has;
    case 'notexists':
      return !has;
  }
}

export function parseLabelSelector(selector: string | undefined): Matcher {
  if (selector === undefined || selector.trim() === '') return () => true;
  const reqs = splitTerms(selector).map((t) => parseTerm(t, selector));
  return (labels) => reqs.every((r) => matches(r, labels));
}

/** A field selector: `a.b=x,c!=y` over the fields a resource supports. */
export function parseFieldSelector(
  selector: string | undefined,
  supported: readonly string[],
): (obj: unknown) => boolean {
  if (selector === undefined || selector.trim() === '') return () => true;
  const reqs = splitTerms(selector).map((term) => {
    const m = /^([^!=\s]+)\s*(==|=|!=)\s*(.*)$/.exec(term);
    if (m === null) throw errors.badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = m[1] ?? '';
    if (!supported.includes(field)) throw errors.badRequest(`field label not supported: ${field}`);
    return { field, negate: m[2] === '!=', value: m[3] ?? '' };
  });
  return (obj) =>
    reqs.every((r) => {
      let node: unknown = obj;
      for (const part of r.field.split('.'))
        node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
      const actual = typeof node === 'string' ? node : node === undefined || node === null ? '' : JSON.stringify(node);
      return r.negate ? actual !== r.value : actual === r.value;
    });
}
