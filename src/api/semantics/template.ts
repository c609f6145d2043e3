/** Semantic checks of a schema-valid AnalysisTemplate, shared by the controller and `sluice lint`. */
import { parseDuration } from '../duration.js';
import { isBuiltinArg, scanPlaceholders } from '../placeholders.js';
import { checkPlaceholders, checkSource } from './metric-sources.js';
import { checkTemplatedQuery } from '../promql.js';
import { error, warning, type PathSegment, type Problem } from '../problem.js';
import type { AnalysisTemplate, Metric } from '../schema/analysis-template.js';

const NUMBER = /^\s*-?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?\s*$/;
const ARG_REF = /^\s*\{\{\s*args\.([A-Za-z][A-Za-z0-9_]*)\s*\}\}\s*$/;

export function isNumeric(text: string): boolean {
  return NUMBER.test(text);
}

/** The arg a threshold refers to (`{{ args.NAME }}`), if it is one. */
export function thresholdArg(text: string): string | undefined {
  return ARG_REF.exec(text)?.[1];
}

/** Every threshold-like field of a metric with its path, for checks and arg bookkeeping. */
export function metricThresholds(m: Metric): { path: PathSegment[]; value: string }[] {
  const out: { path: PathSegment[]; value: string }[] = [];
  const add = (path: PathSegment[], value: string | undefined): void => {
    if (value !== undefined) out.push({ path, value });
  };
  add(['thresholds', 'min'], m.thresholds?.min);
  add(['thresholds', 'max'], m.thresholds?.max);
  add(['failFast', 'min'], m.failFast?.min);
  add(['failFast', 'max'], m.failFast?.max);
  add(['compare', 'maxRatio'], m.compare?.maxRatio);
  add(['compare', 'maxDelta'], m.compare?.maxDelta);
  add(['compare', 'minPrimary'], m.compare?.minPrimary);
  add(['sample', 'min'], m.sample?.min);
  return out;
}

/** Names of the args used where a number is expected (thresholds). */
export function numericArgs(t: AnalysisTemplate): Set<string> {
  const names = new Set<string>();
  for (const m of t.spec.metrics)
    for (const th of metricThresholds(m)) {
      const arg = thresholdArg(th.value);
      if (arg !== undefined) names.add(arg);
    }
  return names;
}

function checkQuery(
  query: string,
  path: PathSegment[],
  declared: Map<string, string | undefined>,
  used: Set<string>,
): Problem[] {
  const problems = checkPlaceholders(query, path, declared, used);
  const scan = scanPlaceholders(query);
  const defaults: Record<string, string> = {};
  for (const [name, value] of declared) if (value !== undefined) defaults[name] = value;
  const syntax = scan.malformed.length > 0 ? undefined : checkTemplatedQuery(query, defaults);
  if (syntax !== undefined) problems.push(error(path, `is not valid PromQL: ${syntax.message}`));
  return problems;
}

function checkThresholdArgs(
  m: Metric,
  path: PathSegment[],
  declared: Map<string, string | undefined>,
  used: Set<string>,
): Problem[] {
  const problems: Problem[] = [];
  for (const th of metricThresholds(m)) {
    const arg = thresholdArg(th.value);
    if (arg === undefined) continue;
    used.add(arg);
    const fallback = declared.get(arg);
    if (isBuiltinArg(arg))
      problems.push(error([...path, ...th.path], `{{ args.${arg} }} is a built-in arg and not a number`));
    else if (!declared.has(arg))
      problems.push(error([...path, ...th.path], `uses {{ args.${arg} }}, but spec.args does not declare "${arg}"`));
    else if (fallback !== undefined && !isNumeric(fallback))
      problems.push(
        error([...path, ...th.path], `uses {{ args.${arg} }}, whose default "${fallback}" is not a number`),
      );
  }
  return problems;
}

function checkBounds(m: Metric, path: PathSegment[]): Problem[] {
  const problems: Problem[] = [];
  for (const bounds of ['thresholds', 'failFast'] as const) {
    const { min, max } = m[bounds] ?? {};
    if (min !== undefined && max !== undefined && isNumeric(min) && isNumeric(max) && Number(min) > Number(max)) {
      problems.push(error([...path, bounds], `min (${min}) is above max (${max}): no value can pass`));
    }
  }
  return problems;
}

function checkMetric(
  m: Metric,
  path: PathSegment[],
  declared: Map<string, string | undefined>,
  used: Set<string>,
): Problem[] {
  if (m.query === undefined) {
    const problems = [...checkSource(m, path, declared, used), ...checkThresholdArgs(m, path, declared, used)];
    return [...problems, ...checkBounds(m, path), ...checkInterval(m, path)];
  }
  const problems = checkQuery(m.query, [...path, 'query'], declared, used);
  if (m.sample !== undefined)
    problems.push(...checkQuery(m.sample.query, [...path, 'sample', 'query'], declared, used));
  if (m.thresholds === undefined && m.compare === undefined && m.failFast === undefined && m.sample === undefined) {
    problems.push(
      error(path, 'has nothing to judge, so it can never fail: add thresholds (min/max), compare or sample'),
    );
  }
  problems.push(...checkThresholdArgs(m, path, declared, used), ...checkBounds(m, path));
  if (m.compare !== undefined && !scanPlaceholders(m.query).placeholders.some((p) => p.name === 'workload')) {
    problems.push(
      error(
        [...path, 'compare'],
        'needs the query to select the workload with {{ args.workload }}, so that the same query can measure the primary',
      ),
    );
  }
  return [...problems, ...checkInterval(m, path)];
}

function checkInterval(m: Metric, path: PathSegment[]): Problem[] {
  return (parseDuration(m.interval ?? '1m') ?? 0) <= 0 ? [error([...path, 'interval'], 'must be longer than 0s')] : [];
}

export function checkTemplateSemantics(t: AnalysisTemplate): Problem[] {
  const problems: Problem[] = [];
  const declared = new Map<string, string | undefined>();
  (t.spec.args ?? []).forEach((a, i) => {
    if (isBuiltinArg(a.name))
      problems.push(
        error(
          ['spec', 'args', i, 'name'],
          `"${a.name}" is a built-in arg that Sluice supplies; remove it or choose another name`,
        ),
      );
    else declared.set(a.name, a.value);
  });
  const used = new Set<string>();
  t.spec.metrics.forEach((m, i) => problems.push(...checkMetric(m, ['spec', 'metrics', i], declared, used)));
  (t.spec.args ?? []).forEach((a, i) => {
    if (!isBuiltinArg(a.name) && !used.has(a.name))
      problems.push(
        warning(['spec', 'args', i, 'name'], `arg "${a.name}" is declared but no query or threshold uses it`),
      );
  });
  const timeout = parseDuration(t.spec.prometheus?.timeout ?? '10s') ?? 0;
  t.spec.metrics.forEach((m, i) => {
    if (m.query !== undefined && timeout > (parseDuration(m.interval ?? '1m') ?? 0)) {
      problems.push(
        warning(
          ['spec', 'prometheus', 'timeout'],
          `is longer than the interval of metric "${m.name}" (spec.metrics[${i}].interval)`,
        ),
      );
    }
  });
  return problems;
}
