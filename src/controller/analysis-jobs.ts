/**
 * Job metrics: each measurement is a Job (owned by the Rollout, labelled with its Rollout and
 * run, named after the run, the metric and the measurement's number, so that a pass that comes
 * again finds it instead of starting another). A Job that finishes is the measurement: Complete
 * is Successful (value 1), Failed is Failed (value 0). Jobs whose run, step or metric is over
 * while they still run are deleted; finished ones stay for people to read until their TTL.
 */
import { createHash } from 'node:crypto';
import type { V1Job } from '@kubernetes/client-node';
import type { Measurement, RolloutStatus } from '../api/schema/rollout-status.js';
import type { Rollout } from '../api/schema/rollout.js';
import type { ResolvedMetric } from '../analysis/resolve.js';
import { FIELD_MANAGER, statusOf, type Kube } from '../kube/client.js';
import { ownerReference } from '../kube/ownership.js';

export const ROLLOUT_LABEL = 'sluice.dev/rollout';
export const RUN_LABEL = 'sluice.dev/run';
export const METRIC_ANNOTATION = 'sluice.dev/metric';
/** Finished Jobs stay this long for people to read (unless the template sets ttlSecondsAfterFinished). */
const DEFAULT_TTL_SECONDS = 3600;
/**
 * A finished Job must outlive the pass that reads it: one deleted before that would be created
 * again under the same name (its measurement lost). A template's shorter TTL is raised to this.
 */
export const MIN_TTL_SECONDS = 600;

const hash = (...parts: string[]): string => createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, 10);

/** The run a status is in, as a label value. */
export function runLabel(s: RolloutStatus): string {
  return hash(s.runStartedAt ?? '');
}

/** The Job of measurement `n` of metric `key` in this run: at most 63 characters, as a Job's name must be. */
export function jobName(rollout: Rollout, s: RolloutStatus, key: string, n: number): string {
  return `${rollout.metadata.name.slice(0, 40).replace(/-+$/, '')}-${hash(rollout.metadata.uid ?? '', runLabel(s), key, String(n))}`;
}

function ttlOf(spec: Record<string, unknown>): number {
  const given = spec['ttlSecondsAfterFinished'];
  return typeof given === 'number' ? Math.max(given, MIN_TTL_SECONDS) : DEFAULT_TTL_SECONDS;
}

function finished(job: V1Job): 'Complete' | 'Failed' | undefined {
  for (const c of job.status?.conditions ?? [])
    if ((c.type === 'Complete' || c.type === 'Failed') && c.status === 'True') return c.type;
  return undefined;
}

function measurementOf(m: ResolvedMetric, job: V1Job, at: Date): Measurement {
  const name = job.metadata?.name ?? '';
  const base = { startedAt: at.toISOString() };
  if (finished(job) === 'Complete')
    return { ...base, phase: 'Successful', value: 1, message: `${m.name}: Job ${name} succeeded` };
  const failure = job.status?.conditions?.find((c) => c.type === 'Failed');
  const why = [failure?.reason, failure?.message].filter((x) => x !== undefined && x !== '').join(': ');
  return {
    ...base,
    phase: 'Failed',
    value: 0,
    message: `${m.name}: Job ${name} failed${why === '' ? '' : ` (${why})`}`,
  };
}

const RUN_PHASES = new Set(['Progressing', 'Paused']);
const DECIDED = new Set(['Successful', 'Failed', 'Inconclusive']);

/**
 * The job metrics whose Jobs may run now: those of the current step not yet decided, and
 * background ones from their starting step — also while the canary is at 0% (a background Job
 * is not measured then, but one already running is kept rather than started over).
 */
export function wantedJobMetrics(metrics: readonly ResolvedMetric[], s: RolloutStatus): string[] {
  if (!RUN_PHASES.has(s.phase ?? '')) return [];
  const index = s.currentStepIndex ?? 0;
  return metrics
    .filter((m) => m.source.kind === 'job')
    .filter((m) => (m.scope === 'step' ? m.step === index : index >= m.startingStep))
    .filter((m) => !DECIDED.has(s.metrics?.find((e) => e.name === m.key)?.phase ?? ''))
    .map((m) => m.key);
}

export interface JobSource {
  get(namespace: string, name: string): V1Job | undefined;
  list(namespace: string): readonly V1Job[];
}

export class JobMetrics {
  constructor(
    private readonly kube: Pick<Kube, 'objects'>,
    private readonly jobs: JobSource,
  ) {}

  /** The measurement of a Job metric due now: its Job's outcome, or undefined while it runs (it is started here). */
  async measure(rollout: Rollout, m: ResolvedMetric, at: Date): Promise<Measurement | undefined> {
    if (m.source.kind !== 'job') return undefined;
    const s = rollout.status ?? {};
    const e = s.metrics?.find((x) => x.name === m.key);
    const n = e === undefined ? 0 : e.successful + e.failed + e.inconclusive + e.errors;
    const name = jobName(rollout, s, m.key, n);
    const ns = rollout.metadata.namespace ?? 'default';
    const job = this.jobs.get(ns, name);
    if (job !== undefined) return finished(job) === undefined ? undefined : measurementOf(m, job, at);
    try {
      await this.kube.objects.create(
        this.jobFor(rollout, m, name, m.source.job.spec),
        undefined,
        undefined,
        FIELD_MANAGER,
      );
      return undefined;
    } catch (err) {
      if (statusOf(err) === 409) return undefined; // made by an earlier pass; the cache has not shown it yet
      const body = (err as { body?: unknown }).body;
      const detail =
        typeof body === 'string' ? (/"message":"([^"]*)"/.exec(body)?.[1] ?? body) : (err as Error).message;
      return {
        startedAt: at.toISOString(),
        phase: 'Error',
        message: `${m.name}: Job ${name} could not be created: ${detail.slice(0, 400)}`,
      };
    }
  }

  private jobFor(rollout: Rollout, m: ResolvedMetric, name: string, spec: Record<string, unknown>): V1Job {
    const s = rollout.status ?? {};
    return {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: rollout.metadata.namespace ?? 'default',
        labels: { [ROLLOUT_LABEL]: rollout.metadata.name, [RUN_LABEL]: runLabel(s) },
        annotations: { [METRIC_ANNOTATION]: m.key },
        // no blockOwnerDeletion: it would need update on rollouts/finalizers where owner references are enforced
        ownerReferences: [ownerReference(rollout)],
      },
      spec: { ...spec, ttlSecondsAfterFinished: ttlOf(spec) } as V1Job['spec'],
    };
  }

  /**
   * Deletes this Rollout's Jobs that still run although their measurement is no longer wanted: a
   * run that ended (promoted, rolled back, aborted), a step left, a metric already decided.
   */
  async sweep(rollout: Rollout, metrics: readonly ResolvedMetric[], s: RolloutStatus): Promise<string[]> {
    if (!metrics.some((m) => m.source.kind === 'job')) return [];
    const ns = rollout.metadata.namespace ?? 'default';
    const mine = this.jobs
      .list(ns)
      .filter((j) => j.metadata?.labels?.[ROLLOUT_LABEL] === rollout.metadata.name && finished(j) === undefined);
    if (mine.length === 0) return [];
    const run = runLabel(s);
    const wanted = new Set(wantedJobMetrics(metrics, s));
    const stale = mine.filter(
      (j) => j.metadata?.labels?.[RUN_LABEL] !== run || !wanted.has(j.metadata.annotations?.[METRIC_ANNOTATION] ?? ''),
    );
    for (const j of stale) {
      try {
        await this.kube.objects.delete(
          { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: j.metadata?.name ?? '', namespace: ns } },
          undefined,
          undefined,
          undefined,
          undefined,
          'Background',
        );
      } catch (e) {
        if (statusOf(e) !== 404) throw e;
      }
    }
    return stale.map((j) => j.metadata?.name ?? '');
  }
}
