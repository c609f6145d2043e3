/**
 * Autoscaling warnings (docs/autoscaling.md), for HorizontalPodAutoscalers and KEDA ScaledObjects
 * alike: a replica count in Git that a GitOps tool would set back under an autoscaler, an
 * autoscaler that leaves a released service no headroom, canaryScale or dynamicStableScale where
 * the autoscaler sizes the canary and the primary; for a ScaledObject also a pause annotation in
 * Git (Sluice sets it between runs) and a trigger query that names the target (its copy for the
 * primary would measure the canary). They apply when the objects involved are among the lint inputs.
 */
import { warning, type ObjectWarning } from '../api/problem.js';
import type { Rollout } from '../api/schema/rollout.js';

interface Workload {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown };
  spec?: { replicas?: unknown };
}

interface Trigger {
  name?: unknown;
  metadata?: { query?: unknown };
}

/** An HPA or a ScaledObject among the lint inputs, as far as the warnings need it. */
interface Autoscaler {
  object: Record<string, unknown>;
  kind: 'HorizontalPodAutoscaler' | 'ScaledObject';
  name: unknown;
  namespace: unknown;
  target: unknown;
  /** The minimum field's path and value (KEDA defaults to 0, an HPA to 1). */
  min: { field: string; value: number };
  triggers: Trigger[];
  annotations: Record<string, unknown>;
}

const PAUSED = ['autoscaling.keda.sh/paused-replicas', 'autoscaling.keda.sh/paused'];
type Json = Record<string, unknown>;
const isObject = (o: unknown): o is Json => typeof o === 'object' && o !== null && !Array.isArray(o);
const field = (o: unknown, k: string): Json => {
  const v = isObject(o) ? o[k] : undefined;
  return isObject(v) ? v : {};
};

/** The kind of autoscaler `o` is, if it is one. */
function kindOf(o: Json): Autoscaler['kind'] | undefined {
  const api = typeof o['apiVersion'] === 'string' ? o['apiVersion'] : '';
  if (o['kind'] === 'HorizontalPodAutoscaler' && api.startsWith('autoscaling/')) return 'HorizontalPodAutoscaler';
  if (o['kind'] === 'ScaledObject' && api.startsWith('keda.sh/')) return 'ScaledObject';
  return undefined;
}

function autoscaler(o: Json, kind: Autoscaler['kind']): Autoscaler | undefined {
  const so = kind === 'ScaledObject';
  const spec = field(o, 'spec');
  const ref = field(spec, 'scaleTargetRef');
  // (KEDA defaults the target's kind to Deployment)
  if ((ref['kind'] ?? (so ? 'Deployment' : undefined)) !== 'Deployment') return undefined;
  const meta = field(o, 'metadata');
  const min = so ? 'minReplicaCount' : 'minReplicas';
  const value = spec[min];
  return {
    object: o,
    kind,
    name: meta['name'],
    namespace: meta['namespace'],
    target: ref['name'],
    min: { field: min, value: typeof value === 'number' ? value : so ? 0 : 1 },
    triggers: Array.isArray(spec['triggers']) ? (spec['triggers'] as Trigger[]) : [],
    annotations: field(meta, 'annotations'),
  };
}

function autoscalers(others: readonly unknown[]): Autoscaler[] {
  return others.flatMap((o) => {
    const kind = isObject(o) ? kindOf(o) : undefined;
    const a = kind === undefined ? undefined : autoscaler(o as Json, kind);
    return a === undefined ? [] : [a];
  });
}

/** The autoscaler (among `list`) that scales Deployment `name` in `namespace`. */
function scaling(list: readonly Autoscaler[], name: unknown, namespace: unknown): Autoscaler | undefined {
  return list.find((a) => a.target === name && (a.namespace ?? namespace) === namespace);
}

/** Deployments in Git with spec.replicas that an autoscaler in Git scales. */
function replicaWarnings(list: readonly Autoscaler[], others: readonly unknown[]): ObjectWarning[] {
  const out: ObjectWarning[] = [];
  for (const o of others) {
    if (!isObject(o) || o['kind'] !== 'Deployment') continue;
    const d = o as Workload;
    const a = scaling(list, d.metadata?.name, d.metadata?.namespace);
    if (a === undefined || d.spec?.replicas === undefined) continue;
    out.push({
      object: o,
      problem: warning(
        ['spec', 'replicas'],
        [
          `is set, and ${a.kind} "${String(a.name)}" scales this Deployment: Argo CD / Flux would set it back on`,
          'every sync and fight the autoscaler; remove it from Git (docs/autoscaling.md)',
        ].join(' '),
      ),
    });
  }
  return out;
}

/** Sizing options an autoscaler makes moot. */
function sizingWarnings(r: Rollout, a: Autoscaler): ObjectWarning[] {
  const target = r.spec.targetRef.name;
  const canary = r.spec.strategy.canary;
  const moot = (field: string, sized: string): ObjectWarning => ({
    object: r,
    problem: warning(
      ['spec', 'strategy', 'canary', field],
      `is not used: ${a.kind} "${String(a.name)}" scales ${target}, so ${sized}; remove ${field}`,
    ),
  });
  return [
    ...(canary.canaryScale === undefined ? [] : [moot('canaryScale', 'it sizes the canary')]),
    ...(canary.dynamicStableScale === true ? [moot('dynamicStableScale', `its copy sizes ${target}-primary`)] : []),
  ];
}

/** Labels that name a Service, not pods: a query on them measures all the service's traffic, primary's too. */
const SERVICE_LABELS = new Set([
  'destination_service_name',
  'destination_service',
  'service',
  'destination_service_namespace',
]);

/**
 * Whether a PromQL query selects the target's pods by a label value (`deployment="podinfo"`,
 * `destination_workload="podinfo"`, `pod=~"podinfo-.*"`): its copy for the primary would measure the
 * canary. Service labels and the `-primary`/`-canary` names do not count.
 */
export function measuresTarget(query: string, target: string): boolean {
  const name = target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const matcher = new RegExp(`([A-Za-z_][A-Za-z0-9_]*)\\s*=~?\\s*"${name}(-[^"]*)?"`, 'g');
  for (const m of query.matchAll(matcher)) {
    const suffix = m[2] ?? '';
    if (SERVICE_LABELS.has(m[1] ?? '') || suffix.startsWith('-primary') || suffix.startsWith('-canary')) continue;
    return true;
  }
  return false;
}

/** A ScaledObject's own: Sluice's pause annotation in Git, trigger queries that name the target. */
function kedaWarnings(r: Rollout, a: Autoscaler): ObjectWarning[] {
  const out: ObjectWarning[] = [];
  const target = r.spec.targetRef.name;
  for (const k of PAUSED.filter((x) => a.annotations[x] !== undefined))
    out.push({
      object: a.object,
      problem: warning(
        ['metadata', 'annotations', k],
        `is in Git: Sluice pauses this ScaledObject between runs and resumes it for a run; remove the annotation (docs/autoscaling.md)`,
      ),
    });
  const rewritten = r.spec.autoscalerRef?.primaryScalerQueries ?? {};
  a.triggers.forEach((t, i) => {
    const query = t.metadata?.query;
    if (typeof query !== 'string' || !measuresTarget(query, target)) return;
    if (typeof t.name === 'string' && rewritten[t.name] !== undefined) return;
    out.push({
      object: a.object,
      problem: warning(
        ['spec', 'triggers', i, 'metadata', 'query'],
        [
          `names "${target}", which Rollout "${r.metadata.name}" releases: its copy for ${target}-primary would`,
          'measure the canary too; name the trigger and give its query for the primary in',
          'spec.autoscalerRef.primaryScalerQueries (docs/autoscaling.md)',
        ].join(' '),
      ),
    });
  });
  return out;
}

/** What an autoscaler on a Rollout's target means for that Rollout. */
function rolloutWarnings(r: Rollout, a: Autoscaler): ObjectWarning[] {
  const target = r.spec.targetRef.name;
  const headroom: ObjectWarning[] =
    a.min.value > 1
      ? []
      : [
          {
            object: a.object,
            problem: warning(
              ['spec', a.min.field],
              [
                `is ${a.min.value} for Deployment "${target}", which Rollout "${r.metadata.name}" releases: its copy lets`,
                `${target}-primary, which serves all traffic, run on one pod at quiet times (no headroom for a restart`,
                'or a lost node); set 2 or more',
              ].join(' '),
            ),
          },
        ];
  return [...headroom, ...sizingWarnings(r, a), ...(a.kind === 'ScaledObject' ? kedaWarnings(r, a) : [])];
}

export function autoscalingWarnings(rollouts: readonly Rollout[], others: readonly unknown[]): ObjectWarning[] {
  const list = autoscalers(others);
  if (list.length === 0) return [];
  const out = replicaWarnings(list, others);
  for (const r of rollouts) {
    const named = r.spec.autoscalerRef?.name;
    const a =
      named === undefined
        ? scaling(list, r.spec.targetRef.name, r.metadata.namespace)
        : list.find((x) => x.name === named && (x.namespace ?? r.metadata.namespace) === r.metadata.namespace);
    if (a !== undefined) out.push(...rolloutWarnings(r, a));
  }
  return out;
}

/** Whether an autoscaler among `others` scales Deployment `name` (its replica count is then autoscaling's to warn about). */
export function autoscaled(others: readonly unknown[], name: unknown, namespace: unknown): boolean {
  return scaling(autoscalers(others), name, namespace) !== undefined;
}
