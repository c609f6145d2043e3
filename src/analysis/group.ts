/**
 * Batching: one query for many canaries. A query whose only per-canary parts are
 * `L="{{ args.namespace }}"` and `W="{{ args.workload }}"` matchers in every selector can be
 * asked once for a whole set of workloads: the matchers become `=~"a|b|..."` alternations and
 * every aggregation and vector match also keeps L and W (`sum by (L, W) (...)`), so the result
 * has one series per workload. Queries that would change meaning under that rewrite (label-less
 * vectors, `without`, selectors not scoped to the workload...) are not groupable and run one per
 * canary.
 */
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { regexEscape, stringEscape } from './render.js';

/** Stand-ins for the placeholders while the query is parsed (valid label values, never real ones). */
const NS = '__sluice_namespace__';
const WL = '__sluice_workload__';

export interface Grouping {
  /** The query with namespace and workload left as stand-ins (every other arg rendered). */
  shape: string;
  namespaceLabel: string;
  workloadLabel: string;
}

/** Functions whose result carries no labels (or drops them): a grouped query would change meaning. */
const LABEL_DROPPING = new Set([
  'vector',
  'scalar',
  'time',
  'absent',
  'absent_over_time',
  'label_replace',
  'label_join',
  'timestamp',
  'pi',
  'day_of_month',
  'day_of_week',
  'day_of_year',
  'days_in_month',
  'hour',
  'minute',
  'month',
  'year',
]);

interface Edit {
  from: number;
  to: number;
  text: string;
}

const text = (q: string, n: SyntaxNode): string => q.slice(n.from, n.to);

function unquote(literal: string): string {
  return literal.slice(1, -1);
}

interface Scan {
  namespaceLabel?: string;
  workloadLabel?: string;
  ok: boolean;
  matchers: { node: SyntaxNode; which: 'ns' | 'wl'; label: string }[];
  aggregations: SyntaxNode[];
  onClauses: SyntaxNode[];
}

function scanMatcher(q: string, n: SyntaxNode, scan: Scan): void {
  const label = n.getChild('LabelName');
  const op = n.getChild('MatchOp');
  const value = n.getChild('StringLiteral');
  if (label === null || op === null || value === null) return;
  const v = unquote(text(q, value));
  const which = v === NS ? 'ns' : v === WL ? 'wl' : undefined;
  if (which === undefined) {
    if (v.includes(NS) || v.includes(WL)) scan.ok = false;
    return;
  }
  if (text(q, op) !== '=') scan.ok = false;
  const key = which === 'ns' ? 'namespaceLabel' : 'workloadLabel';
  const name = text(q, label);
  if (scan[key] !== undefined && scan[key] !== name) scan.ok = false;
  scan[key] = name;
  scan.matchers.push({ node: n, which, label: name });
}

function scanSelector(q: string, n: SyntaxNode, scan: Scan): void {
  const matchers = n.getChild('LabelMatchers');
  const body = matchers === null ? '' : text(q, matchers);
  if (!body.includes(`"${NS}"`) || !body.includes(`"${WL}"`)) scan.ok = false;
}

/** `on(...)` gets the labels added; `ignoring(...)` must not drop them. */
function scanMatching(q: string, n: SyntaxNode, scan: Scan): void {
  if (n.getChild('Ignoring') !== null) {
    const labels = text(q, n);
    if ([scan.namespaceLabel, scan.workloadLabel].some((l) => l !== undefined && labels.includes(l))) scan.ok = false;
  }
  if (n.getChild('On') !== null) scan.onClauses.push(n);
}

function scanNode(q: string, n: SyntaxNode, scan: Scan): void {
  switch (n.name) {
    case 'UnquotedLabelMatcher':
    case 'QuotedLabelMatcher':
      scanMatcher(q, n, scan);
      break;
    case 'VectorSelector':
      scanSelector(q, n, scan);
      break;
    case 'AggregateExpr':
      if (n.getChild('AggregateModifier')?.getChild('Without') != null) scan.ok = false;
      scan.aggregations.push(n);
      break;
    case 'MatchingModifierClause':
      scanMatching(q, n, scan);
      break;
    case 'FunctionCall':
      if (LABEL_DROPPING.has(text(q, n.getChild('FunctionIdentifier') ?? n).trim())) scan.ok = false;
      break;
    default:
      if (n.type.isError) scan.ok = false;
  }
}

function scanQuery(q: string): Scan {
  const scan: Scan = { ok: true, matchers: [], aggregations: [], onClauses: [] };
  const cursor = parser.parse(q).cursor();
  do scanNode(q, cursor.node, scan);
  while (cursor.next());
  if (scan.namespaceLabel === undefined || scan.workloadLabel === undefined) scan.ok = false;
  return scan;
}

/**
 * Whether `render` (a function rendering the templated query with given namespace and workload
 * values, every other arg fixed) gives a groupable query, and its grouping.
 */
export function groupingOf(render: (namespace: string, workload: string) => string | undefined): Grouping | undefined {
  const shape = render(NS, WL);
  if (shape === undefined) return undefined;
  const scan = scanQuery(shape);
  if (!scan.ok || scan.namespaceLabel === undefined || scan.workloadLabel === undefined) return undefined;
  return { shape, namespaceLabel: scan.namespaceLabel, workloadLabel: scan.workloadLabel };
}

function alternation(values: Iterable<string>): string {
  return [...new Set(values)]
    .sort()
    .map((v) => stringEscape(regexEscape(v), '"') ?? '')
    .join('|');
}

/**
 * The grouped query for these namespaces: one series per workload of each namespace, labelled
 * with both labels. Every workload is asked for (`W!=""`), so that a canary whose measurement
 * comes a moment after the query was sent finds its value in the same answer.
 */
export function groupedQuery(g: Grouping, namespaces: readonly string[]): string {
  const q = g.shape;
  const scan = scanQuery(q);
  const extra = `${g.namespaceLabel}, ${g.workloadLabel}`;
  const edits: Edit[] = [];
  for (const m of scan.matchers)
    edits.push({
      from: m.node.from,
      to: m.node.to,
      text: m.which === 'ns' ? `${m.label}=~"${alternation(namespaces)}"` : `${m.label}!=""`,
    });
  const addLabels = (grouping: SyntaxNode): void => {
    const close = grouping.to - 1; // the ")"
    const inner = q.slice(grouping.from + 1, close).trim();
    edits.push({ from: close, to: close, text: inner === '' ? extra : `, ${extra}` });
  };
  for (const a of scan.aggregations) {
    const labels = a.getChild('AggregateModifier')?.getChild('GroupingLabels');
    if (labels != null) addLabels(labels);
    else {
      const op = a.getChild('AggregateOp');
      if (op !== null) edits.push({ from: op.to, to: op.to, text: ` by (${extra}) ` });
    }
  }
  for (const on of scan.onClauses) {
    const labels = on.getChild('GroupingLabels');
    if (labels !== null) addLabels(labels);
  }
  edits.sort((a, b) => b.from - a.from);
  let out = q;
  for (const e of edits) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  return out;
}
