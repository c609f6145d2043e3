/**
 * The analysis part of the shell: takes the measurements that are due for a Rollout (PromQL
 * through the query batcher, so that canaries due together share queries; web calls; Jobs) and
 * judges them. Provider trouble becomes Error measurements; nothing here throws for a bad backend.
 */
import type { Rollout } from '../api/schema/rollout.js';
import { dueMetrics, type TakenMeasurement } from '../analysis/assess.js';
import { QueryBatcher } from '../analysis/batcher.js';
import { judge, type QueryValue } from '../analysis/judge.js';
import type { MetricProvider, ProviderTarget } from '../analysis/provider.js';
import type { ResolvedMetric } from '../analysis/resolve.js';
import { callWeb, type SecretValue } from '../analysis/web.js';
import type { JobMetrics } from './analysis-jobs.js';
import type { Measurement } from '../api/schema/rollout-status.js';

/** Credentials for a backend from a Secret; a string is an error to report. */
export type Credentials = (namespace: string, name: string) => Promise<ProviderTarget['auth'] | string>;

export interface AnalystOptions {
  provider: MetricProvider;
  /** The controller's --prometheus-url. */
  defaultAddress?: string | undefined;
  credentials: Credentials;
  /** Header values of web checks from Secrets. */
  secretValue: SecretValue;
  /** Runs the Jobs of Job metrics. */
  jobs: JobMetrics;
  batchWindowMs?: number;
  /** Told of each measurement taken (the controller's metrics). */
  onMeasurement?: (metric: string, result: string) => void;
}

export class Analyst {
  private readonly batcher: QueryBatcher;

  constructor(private readonly opts: AnalystOptions) {
    this.batcher = new QueryBatcher(opts.provider, opts.batchWindowMs);
  }

  private async target(m: ResolvedMetric): Promise<ProviderTarget | string> {
    const address = m.provider.address ?? this.opts.defaultAddress;
    if (address === undefined)
      return 'no Prometheus address: set spec.prometheus.address on the Rollout or the template, or start the controller with --prometheus-url';
    const secret = m.provider.authSecret;
    if (secret === undefined) return { address, timeoutMs: m.provider.timeoutMs };
    const auth = await this.opts.credentials(secret.namespace, secret.name);
    return typeof auth === 'string'
      ? auth
      : { address, timeoutMs: m.provider.timeoutMs, ...(auth === undefined ? {} : { auth }) };
  }

  private async measure(rollout: Rollout, m: ResolvedMetric, at: Date): Promise<TakenMeasurement | undefined> {
    const measurement = await this.measurement(rollout, m, at);
    if (measurement === undefined) return undefined;
    this.opts.onMeasurement?.(m.name, measurement.phase);
    return { key: m.key, measurement };
  }

  private async measurement(rollout: Rollout, m: ResolvedMetric, at: Date): Promise<Measurement | undefined> {
    const source = m.source;
    switch (source.kind) {
      case 'query':
        return this.query(m, source.queries, at);
      case 'web':
        return judge(m, at, { canary: await callWeb(source.web, this.opts.secretValue) });
      case 'job':
        return this.opts.jobs.measure(rollout, m, at);
    }
  }

  private async query(
    m: ResolvedMetric,
    queries: Extract<ResolvedMetric['source'], { kind: 'query' }>['queries'],
    at: Date,
  ): Promise<Measurement> {
    const target = await this.target(m);
    const ask = (q: (typeof queries)['canary'] | undefined): Promise<QueryValue> | undefined =>
      q === undefined
        ? undefined
        : typeof target === 'string'
          ? Promise.resolve({ kind: 'error', message: target })
          : this.batcher.value(target, q, at);
    const [canary, primary, sample] = await Promise.all([
      ask(queries.canary),
      ask(queries.primary),
      ask(queries.sample),
    ]);
    const raw = {
      canary: canary ?? { kind: 'empty' as const },
      ...(primary === undefined ? {} : { primary }),
      ...(sample === undefined ? {} : { sample }),
    };
    return judge(m, at, raw);
  }

  /** The measurements due now for this Rollout, taken. */
  async take(rollout: Rollout, metrics: readonly ResolvedMetric[], now: Date): Promise<TakenMeasurement[]> {
    const due = dueMetrics(metrics, rollout.status ?? {}, now);
    const taken = await Promise.all(due.map((d) => this.measure(rollout, d.metric, d.at)));
    return taken.filter((t) => t !== undefined);
  }
}
