/**
 * From a Rollout and its AnalysisTemplates to the metrics a run measures, with every arg
 * resolved, queries rendered (and their grouping for batching), thresholds as numbers. Pure.
 */
import { parseDuration } from '../api/duration.js';
import type { AnalysisTemplate, Metric } from '../api/schema/analysis-template.js';
import type { AnalysisRef, Rollout, TemplateRef } from '../api/schema/rollout.js';
import { thresholdArg } from '../api/semantics/template.js';
import { groupingOf } from './group.js';
import type { MetricSource, QuerySpec } from './metric-source.js';

export type { MetricSource, QuerySpec, ResolvedWeb } from './metric-source.js';
import { renderQuery } from './render.js';
import { resolveJob, resolveWeb } from './resolve-sources.js';

export type Scope = 'step' | 'background';

export interface ProviderRef {
  /** Prometheus base URL; undefined means the controller's --prometheus-url. */
  address: string | undefined;
  timeoutMs: number;
  /** Secret with `token` (bearer) or `username` and `password` (basic), in the Rollout namespace. */
  authSecret?: { namespace: string; name: string };
}

export interface Bounds {
  min?: number;
  max?: number;
}

export interface ResolvedMetric {
  /** Unique in the Rollout: `<scope>[<step>]:<template>/<metric>`. */
  key: string;
  scope: Scope;
  /** Index of the analysis step, for step metrics. */
  step?: number;
  /** For background metrics: the step index from which they run. */
  startingStep: number;
  /** `<template>/<metric>`, as shown in status and messages. */
  name: string;
  unit?: string;
  provider: ProviderRef;
  intervalMs: number;
  /**
   * The range a measurement covers (built-in arg `window`): max(interval, 4 x scrapeInterval), so
   * that a `rate()` over it always holds several scrapes. A measurement at `at` judges [at - window, at].
   */
  windowMs: number;
  initialDelayMs: number;
  count: number;
  failureLimit: number;
  inconclusiveLimit: number;
  consecutiveErrorLimit: number;
  onConsecutiveErrors: 'Pause' | 'Rollback';
  thresholds: Bounds;
  failFast: Bounds;
  compare: { maxRatio?: number; maxDelta?: number; minPrimary?: number };
  sampleMin?: number;
  source: MetricSource;
}

export interface TemplateSource {
  /** The template a ref names: an AnalysisTemplate in `namespace`, or a ClusterAnalysisTemplate. */
  template(namespace: string, ref: TemplateRef): AnalysisTemplate | undefined;
}

/** What the controller knows about its Prometheus when neither the template nor the Rollout says. */
export interface AnalysisDefaults {
  /** The controller's --scrape-interval. */
  scrapeIntervalMs: number;
}

/** Istio's bundled Prometheus scrapes every 15 s. */
export const DEFAULT_SCRAPE_INTERVAL_MS = 15_000;

/** A `rate()` needs two samples; four scrapes per window leave room for a missed or late one (Prometheus' and Grafana's rule). */
const SCRAPES_PER_WINDOW = 4;

interface Context {
  rollout: Rollout;
  namespace: string;
  defaults: AnalysisDefaults;
  errors: string[];
}

/** Milliseconds as a Prometheus duration: whole seconds where they are, else milliseconds. */
export function promDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The range a measurement covers: the interval, widened to hold at least four scrapes. */
export function windowMs(intervalMs: number, scrapeIntervalMs: number): number {
  return Math.max(intervalMs, SCRAPES_PER_WINDOW * scrapeIntervalMs);
}

function numberOf(text: string | undefined, args: Readonly<Record<string, string>>): number | undefined {
  if (text === undefined) return undefined;
  const arg = thresholdArg(text);
  const value = arg === undefined ? text : args[arg];
  const n = value === undefined ? NaN : Number(value.trim());
  return Number.isFinite(n) ? n : undefined;
}

function bounds(b: { min?: string; max?: string } | undefined, args: Readonly<Record<string, string>>): Bounds {
  const min = numberOf(b?.min, args);
  const max = numberOf(b?.max, args);
  return { ...(min === undefined ? {} : { min }), ...(max === undefined ? {} : { max }) };
}

function querySpec(
  ctx: Context,
  where: string,
  query: string,
  args: Readonly<Record<string, string>>,
  workload: string,
): QuerySpec | undefined {
  const render = (namespace: string, wl: string): string | undefined => {
    const r = renderQuery(query, { ...args, namespace, workload: wl });
    return r.ok ? r.query : undefined;
  };
  const rendered = renderQuery(query, { ...args, namespace: ctx.namespace, workload });
  if (!rendered.ok) {
    ctx.errors.push(`${where}: ${rendered.error}`);
    return undefined;
  }
  const grouping = groupingOf(render);
  return { text: rendered.query, namespace: ctx.namespace, workload, ...(grouping === undefined ? {} : { grouping }) };
}

interface Where {
  scope: Scope;
  step?: number;
  startingStep?: number;
  path: string;
}

function argsOf(
  r: Rollout,
  t: AnalysisTemplate,
  ref: AnalysisRef,
  builtIn: { interval: string; window: string },
): Record<string, string> {
  const defaults = Object.fromEntries(
    (t.spec.args ?? []).filter((a) => a.value !== undefined).map((a) => [a.name, a.value ?? '']),
  );
  const given = Object.fromEntries((ref.args ?? []).map((a) => [a.name, a.value]));
  return {
    ...defaults,
    ...given,
    primary: `${r.spec.targetRef.name}-primary`,
    service: r.spec.service.name,
    ...builtIn,
  };
}

function scrapeIntervalOf(ctx: Context, t: AnalysisTemplate): number {
  const given = t.spec.prometheus?.scrapeInterval ?? ctx.rollout.spec.prometheus?.scrapeInterval;
  return (given === undefined ? undefined : parseDuration(given)) ?? ctx.defaults.scrapeIntervalMs;
}

function providerOf(ctx: Context, t: AnalysisTemplate): ProviderRef {
  const prom = t.spec.prometheus ?? ctx.rollout.spec.prometheus;
  const secret = prom?.authSecretRef;
  return {
    address: t.spec.prometheus?.address ?? ctx.rollout.spec.prometheus?.address,
    timeoutMs: parseDuration(prom?.timeout ?? '10s') ?? 10_000,
    ...(secret === undefined ? {} : { authSecret: { namespace: ctx.namespace, name: secret.name } }),
  };
}

function limitsOf(
  m: Metric,
): Pick<
  ResolvedMetric,
  'count' | 'failureLimit' | 'inconclusiveLimit' | 'consecutiveErrorLimit' | 'onConsecutiveErrors' | 'initialDelayMs'
> {
  return {
    count: m.count ?? 1,
    // a Job that failed is a verdict, not noise in a measurement
    failureLimit: m.failureLimit ?? (m.job === undefined ? 1 : 0),
    inconclusiveLimit: m.inconclusiveLimit ?? 2,
    consecutiveErrorLimit: m.consecutiveErrorLimit ?? 4,
    onConsecutiveErrors: m.onConsecutiveErrors ?? 'Pause',
    initialDelayMs: parseDuration(m.initialDelay ?? '0s') ?? 0,
  };
}

function boundsOf(
  m: Metric,
  args: Readonly<Record<string, string>>,
): Pick<ResolvedMetric, 'thresholds' | 'failFast' | 'compare' | 'sampleMin'> {
  const maxRatio = numberOf(m.compare?.maxRatio, args);
  const maxDelta = numberOf(m.compare?.maxDelta, args);
  const minPrimary = numberOf(m.compare?.minPrimary, args);
  const sampleMin = numberOf(m.sample?.min, args);
  return {
    thresholds: bounds(m.thresholds, args),
    failFast: bounds(m.failFast, args),
    compare: {
      ...(maxRatio === undefined ? {} : { maxRatio }),
      ...(maxDelta === undefined ? {} : { maxDelta }),
      ...(minPrimary === undefined ? {} : { minPrimary }),
    },
    ...(sampleMin === undefined ? {} : { sampleMin }),
  };
}

/** The canary query, the primary's (for comparisons) and the sample query; undefined when one cannot be rendered. */
function queriesOf(
  ctx: Context,
  m: Metric & { query: string },
  args: Readonly<Record<string, string>>,
  where: string,
): MetricSource | undefined {
  const target = ctx.rollout.spec.targetRef.name;
  const canary = querySpec(ctx, where, m.query, args, target);
  const primary = m.compare === undefined ? undefined : querySpec(ctx, where, m.query, args, `${target}-primary`);
  const sample = m.sample === undefined ? undefined : querySpec(ctx, `${where} (sample)`, m.sample.query, args, target);
  if (
    canary === undefined ||
    (m.compare !== undefined && primary === undefined) ||
    (m.sample !== undefined && sample === undefined)
  )
    return undefined;
  return {
    kind: 'query',
    queries: { canary, ...(primary === undefined ? {} : { primary }), ...(sample === undefined ? {} : { sample }) },
  };
}

/** The metric's source with its args rendered; undefined (with an error) when it cannot be. */
function sourceOf(
  ctx: Context,
  m: Metric,
  args: Readonly<Record<string, string>>,
  where: string,
): MetricSource | undefined {
  if (m.query !== undefined) return queriesOf(ctx, { ...m, query: m.query }, args, where);
  // a call or a Job concerns the canary: {{ args.workload }} is the target
  const own = { ...args, namespace: ctx.namespace, workload: ctx.rollout.spec.targetRef.name };
  const r =
    m.web !== undefined
      ? resolveWeb(m.web, own, ctx.namespace)
      : m.job !== undefined
        ? resolveJob(m.job, own)
        : undefined;
  if (r === undefined) ctx.errors.push(`${where}: has none of query, web and job`);
  else if (!r.ok) ctx.errors.push(`${where}: ${r.error}`);
  else return r.source;
  return undefined;
}

function metricOf(
  ctx: Context,
  t: AnalysisTemplate,
  m: Metric,
  ref: AnalysisRef,
  scope: Where,
): ResolvedMetric | undefined {
  const interval = m.interval ?? '1m';
  const intervalMs = parseDuration(interval) ?? 60_000;
  // a range over scrapes is what a PromQL measurement covers; a call or a Job measures the moment
  const window = m.query === undefined ? 0 : windowMs(intervalMs, scrapeIntervalOf(ctx, t));
  const args = argsOf(ctx.rollout, t, ref, { interval, window: promDuration(window) });
  const name = `${t.metadata.name}/${m.name}`;
  const source = sourceOf(ctx, m, args, `${scope.path}: ${name}`);
  if (source === undefined) return undefined;
  return {
    key: `${scope.scope}${scope.step === undefined ? '' : `[${scope.step}]`}:${name}`,
    scope: scope.scope,
    ...(scope.step === undefined ? {} : { step: scope.step }),
    startingStep: scope.startingStep ?? 0,
    name,
    ...(m.unit === undefined ? {} : { unit: m.unit }),
    provider: providerOf(ctx, t),
    intervalMs,
    windowMs: window,
    ...limitsOf(m),
    ...boundsOf(m, args),
    source,
  };
}

function refMetrics(ctx: Context, source: TemplateSource, ref: AnalysisRef, scope: Where): ResolvedMetric[] {
  const out: ResolvedMetric[] = [];
  for (const tr of ref.templates) {
    const t = source.template(ctx.namespace, tr);
    if (t === undefined) {
      ctx.errors.push(
        tr.kind === 'ClusterAnalysisTemplate'
          ? `${scope.path}: ClusterAnalysisTemplate "${tr.name}" not found`
          : `${scope.path}: AnalysisTemplate "${tr.name}" not found in namespace ${ctx.namespace}`,
      );
      continue;
    }
    for (const m of t.spec.metrics) {
      const resolved = metricOf(ctx, t, m, ref, scope);
      if (resolved !== undefined) out.push(resolved);
    }
  }
  return out;
}

/** Every metric of the Rollout's analysis steps and background analysis; errors name the field. */
export function resolveAnalysis(
  rollout: Rollout,
  source: TemplateSource,
  defaults: AnalysisDefaults = { scrapeIntervalMs: DEFAULT_SCRAPE_INTERVAL_MS },
): { metrics: ResolvedMetric[]; errors: string[] } {
  const ctx: Context = { rollout, namespace: rollout.metadata.namespace ?? 'default', defaults, errors: [] };
  const canary = rollout.spec.strategy.canary;
  const metrics: ResolvedMetric[] = [];
  canary.steps.forEach((step, i) => {
    if (step.analysis !== undefined)
      metrics.push(
        ...refMetrics(ctx, source, step.analysis, {
          scope: 'step',
          step: i,
          path: `spec.strategy.canary.steps[${i}].analysis`,
        }),
      );
  });
  if (canary.analysis !== undefined)
    metrics.push(
      ...refMetrics(ctx, source, canary.analysis, {
        scope: 'background',
        startingStep: canary.analysis.startingStep ?? 0,
        path: 'spec.strategy.canary.analysis',
      }),
    );
  return { metrics, errors: ctx.errors };
}
