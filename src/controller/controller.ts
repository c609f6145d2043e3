/**
 * The reconciler shell: observe (informer caches) -> plan (pure) -> act -> one status patch, with
 * Events for decisions. Work is keyed by rollout; a key is never reconciled twice at once, and a
 * change that arrives meanwhile causes one more pass.
 */
import type { Logger } from 'pino';
import type { Rollout } from '../api/schema/rollout.js';
import { DEFAULT_SCRAPE_INTERVAL_MS, resolveAnalysis, type ResolvedMetric } from '../analysis/resolve.js';
import { PrometheusProvider } from '../analysis/prometheus.js';
import type { MetricProvider } from '../analysis/provider.js';
import { StaleWrite, type Kube } from '../kube/client.js';
import { recordRolloutEvent } from '../kube/rollout-writes.js';
import type { PlanEvent } from '../rollout/context.js';
import { plan, type Plan } from '../rollout/plan.js';
import { act } from './act.js';
import { IstioRouter, type ConvergeMemory, type IstioCaches } from '../traffic/istio/router.js';
import { freshView } from './fresh.js';
import type { TrafficRouter } from '../traffic/router.js';
import { cacheErrorLogger, ResourceCache, ROLLOUTS } from './cache.js';
import { Informers } from './informers.js';
import { Analyst } from './analysis.js';
import type { ControllerMetrics } from './metrics.js';
import { MemoryQueue, type WorkQueue } from '../queue/work-queue.js';
import { MemoryLedger, type Ledger } from './ledger.js';
import { secretCredentials, secretReader, secretValue, TemplateStore } from './templates.js';
import { JobMetrics } from './analysis-jobs.js';
import { observe, specProblems, type Caches } from './observe.js';
import { SpecMemo } from './spec-memo.js';
import { StatusWriter } from './status-writer.js';
import { echoOf, Settle } from './settle.js';
import { canonicalJson } from '../rollout/revision.js';
import type { Observations } from '../rollout/model.js';
import { Reporting, type ReportingOptions } from './reporting.js';
import type { ScheduleSpec } from '../schedule/windows.js';

export interface ControllerOptions {
  kube: Kube;
  namespace?: string | undefined;
  log: Logger;
  /** How long to wait for the caches to show an action's effect before planning again anyway. */
  settleMs?: number;
  /** Where analysis queries go (Prometheus by default). */
  provider?: MetricProvider;
  /** The --prometheus-url: Prometheus for templates and Rollouts that name none. */
  prometheusUrl?: string | undefined;
  /** The --scrape-interval: how often that Prometheus scrapes, for templates and Rollouts that say not (default 15 s). */
  scrapeIntervalMs?: number;
  /** Where passes wait (in memory by default; BullMQ on Redis with --redis-url). */
  queue?: WorkQueue;
  /** Every this often, every Rollout gets a pass anyway (a safety net for lost events). */
  resyncMs?: number;
  /** What the last passes wrote, shared by replicas (in memory by default; on Redis with --redis-url). */
  ledger?: Ledger;
  metrics?: ControllerMetrics;
  /** Release reporting: resolve each release's GitHub origin (GitHubReporting condition), and notify. */
  reporting?: ReportingOptions;
  /** Cluster-wide promotion windows (--schedule-defaults). */
  defaultSchedule?: ScheduleSpec;
}

const key = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

/** How soon a pass is tried again when the caches have not caught up with the last write. */
const CATCH_UP_MS = 100;

export class Controller {
  private readonly rollouts: ResourceCache<Rollout>;
  private readonly informers: Informers;
  private readonly templateStore: TemplateStore;
  /** Spec validation and resolved analysis, per Rollout generation and templates. */
  private readonly specMemo: SpecMemo<{
    analysis: { metrics: ResolvedMetric[]; errors: string[] };
    problems: string[];
  }>;
  private readonly analyst: Analyst;
  private readonly jobMetrics: JobMetrics;
  private readonly caches: Caches;
  private readonly router: TrafficRouter;
  private readonly istio: IstioCaches;
  private readonly convergeMemory: ConvergeMemory = new Map();
  private readonly queue: WorkQueue;
  private resyncTimer: NodeJS.Timeout | undefined;
  /** The last failure of each key, for backoff and to record each new kind of failure once. */
  private readonly failures = new Map<string, { message: string; attempt: number }>();
  /** What the last passes wrote (shared by replicas), and whether this replica's caches show it (settle.ts). */
  private readonly ledger: Ledger;
  private readonly settle: Settle;
  private readonly reporting: Reporting;
  private readonly statusWriter: StatusWriter;
  private ready = false;
  private stopped = false;

  constructor(private readonly opts: ControllerOptions) {
    const { kube, namespace } = opts;
    this.queue = opts.queue ?? new MemoryQueue();
    this.ledger = opts.ledger ?? new MemoryLedger();
    this.rollouts = new ResourceCache<Rollout>(kube, ROLLOUTS, namespace, (r) => this.rolloutChanged(r), {
      onError: cacheErrorLogger(opts.log, ROLLOUTS),
    });
    this.informers = new Informers(kube, namespace, opts.log, (ns, concerns) => this.dependentChanged(ns, concerns));
    const { configs } = this.informers;
    const template = this.informers.template.bind(this.informers);
    this.templateStore = new TemplateStore(template);
    this.specMemo = new SpecMemo(template);
    const secrets = secretReader(kube, (ns, name) => configs.Secret.get(ns, name));
    this.jobMetrics = new JobMetrics(kube, {
      get: (ns, name) => this.informers.jobs.get(ns, name),
      list: (ns) => this.informers.jobs.list(ns),
    });
    this.analyst = new Analyst({
      provider: opts.provider ?? new PrometheusProvider(opts.metrics?.request),
      onMeasurement: (metric, result) => opts.metrics?.measurement(metric, result),
      defaultAddress: opts.prometheusUrl,
      credentials: secretCredentials(secrets),
      secretValue: secretValue(secrets),
      jobs: this.jobMetrics,
    });
    this.caches = this.informers.caches();
    this.istio = this.informers.istio();
    this.router = new IstioRouter(kube, this.istio, this.convergeMemory);
    this.reporting = new Reporting(
      opts.reporting,
      (ns, name) => this.informers.deployments.get(ns, name),
      (k) => this.enqueue(k),
      opts.log,
    );
    this.settle = new Settle({
      ledger: this.ledger,
      settleMs: opts.settleMs ?? 5000,
      cachedVersion: (object) => this.informers.cachedVersion(object),
      enqueue: (k, delayMs) => this.enqueue(k, delayMs),
    });
    this.statusWriter = new StatusWriter({
      kube,
      settle: this.settle,
      log: opts.log,
      notifier: opts.reporting?.notifier,
      images: (r) => this.reporting.images(r),
    });
  }

  get isReady(): boolean {
    return this.ready && this.queue.ready;
  }

  async start(): Promise<void> {
    await this.opts.reporting?.notifier?.start();
    await Promise.all(this.informers.all().map((c) => c.start()));
    await this.rollouts.start();
    await this.queue.start((k) => this.work(k));
    this.ready = true;
    this.resync();
    const every = this.opts.resyncMs ?? 300_000;
    this.resyncTimer = setInterval(() => this.resync(), every);
    this.opts.log.info({ rollouts: this.rollouts.list().length }, 'controller started');
  }

  /** A pass for every Rollout (at start, after a Redis outage, and now and then). */
  resync(): void {
    const rollouts = this.rollouts.list();
    this.specMemo.retain(new Set(rollouts.map((r) => r.metadata.uid ?? '')));
    const keys = new Set(rollouts.map((r) => key(r.metadata.namespace, r.metadata.name)));
    this.reporting.retain(keys);
    for (const r of rollouts) this.enqueue(key(r.metadata.namespace, r.metadata.name));
  }

  /** Stops taking work, finishes the passes in progress (up to `graceMs`), then stops watching. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    await this.queue.close(graceMs);
    await this.ledger.close();
    await this.opts.reporting?.notifier?.close();
    await Promise.all([this.rollouts, ...this.informers.all()].map((c) => c.stop()));
  }

  /** The Rollouts as the informer holds them now. */
  rolloutsNow(): readonly Rollout[] {
    return this.rollouts.list();
  }

  queueDepth(): Promise<number> {
    return this.queue.depth();
  }

  /** A Rollout changed: a pass, unless it is only the echo of the last status write. */
  private rolloutChanged(r: Rollout): void {
    const k = key(r.metadata.namespace, r.metadata.name);
    void this.settle.isEcho(k, r).then(
      (echo) => {
        if (!echo) this.enqueue(k);
      },
      () => this.enqueue(k),
    );
  }

  private dependentChanged(namespace: string | undefined, concerns: (r: Rollout) => boolean): void {
    for (const r of this.rollouts.list(namespace))
      if (concerns(r)) this.enqueue(key(r.metadata.namespace, r.metadata.name));
  }

  enqueue(k: string, delayMs = 0): void {
    if (!this.stopped) this.queue.enqueue(k, delayMs);
  }

  private async work(k: string): Promise<void> {
    const done = this.opts.metrics?.reconcileDuration.startTimer();
    try {
      await this.reconcile(k);
      this.failures.delete(k);
    } catch (e) {
      this.opts.metrics?.reconcileFailures.inc();
      await this.failed(k, e);
    } finally {
      done?.();
    }
  }

  /** Retries with backoff (1 s doubling to 60 s); a new kind of failure is a Warning Event on the Rollout. */
  private async failed(k: string, e: unknown): Promise<void> {
    const message = e instanceof Error ? e.message : String(e);
    const previous = this.failures.get(k);
    const attempt = (previous?.attempt ?? 0) + 1;
    this.failures.set(k, { message, attempt });
    // someone else's write came first: plan again on it (a few times, then it is a failure like any other)
    if (e instanceof StaleWrite && attempt <= 3) {
      this.enqueue(k, CATCH_UP_MS * attempt);
      return;
    }
    const delayMs = Math.min(60_000, 1000 * 2 ** Math.min(attempt - 1, 6));
    this.opts.log.warn({ rollout: k, err: message, attempt, retryInMs: delayMs }, 'reconcile failed; retrying');
    this.enqueue(k, delayMs);
    const [ns, name] = k.split('/', 2) as [string, string];
    const rollout = this.rollouts.get(ns === '' ? undefined : ns, name);
    if (rollout === undefined || previous?.message === message) return;
    await this.recordEvent(rollout, {
      type: 'Warning',
      reason: 'ReconcileFailed',
      message: message.slice(0, 1000),
    }).catch(() => undefined);
  }

  private async reconcile(k: string): Promise<void> {
    const [ns, name] = k.split('/', 2) as [string, string];
    const rollout = this.rollouts.get(ns === '' ? undefined : ns, name);
    if (rollout === undefined) return;
    const log = this.opts.log.child({ rollout: k });
    const caughtUp = await this.settle.caughtUp(k, rollout);
    if (caughtUp && (await this.completeUnwritten(k, rollout, log))) return;
    const decision = caughtUp ? await this.decide(rollout) : undefined;
    if (decision === undefined) {
      log.debug('the caches are behind the last write; planning again shortly');
      this.enqueue(k, CATCH_UP_MS);
      return;
    }
    await this.reporting.catchUp(rollout);
    const { decided, metrics } = decision;
    const expect = await this.act(k, rollout, decision, log);
    for (const e of decided.events)
      await this.recordEvent(rollout, e).catch((err: unknown) =>
        log.warn({ err: (err as Error).message }, 'event not recorded'),
      );
    if (decided.actions.some((a) => a.type === 'removeFinalizer')) return; // the Rollout is gone now
    const written = await this.statusWriter.write(k, rollout, decided, expect);
    if (written === 'conflict') {
      // the status the actions led to stays pending: the next pass completes it (with the command recorded meanwhile)
      this.enqueue(k);
      return;
    }
    if (written === 'written' && decided.actions.every((a) => a.type === 'setWeight') && decided.actions.length > 0)
      await this.settle.settled(k);
    const stopped = await this.jobMetrics.sweep(rollout, metrics, decided.status);
    if (stopped.length > 0) log.info({ jobs: stopped }, 'deleted Jobs of measurements no longer wanted');
    if (decided.requeueAfterMs !== undefined) this.enqueue(k, Math.max(50, decided.requeueAfterMs));
  }

  /**
   * The actions of the plan, the status they lead to recorded first (the ledger's `pending`): a
   * pass that stops between its actions and its status write is completed by the next one.
   */
  private async act(
    k: string,
    rollout: Rollout,
    { decided, caches, router }: { decided: Plan; caches: Caches; router: TrafficRouter },
    log: Logger,
  ): Promise<Record<string, string>> {
    const expect: Record<string, string> = {};
    if (decided.actions.length === 0) return expect;
    // Only a routing step is completed this way: the planner sees the weight it set and converges
    // it (were the write lost with the pass, the next pass sets it); other actions it re-plans.
    const routing = decided.actions.every((a) => a.type === 'setWeight');
    if (routing && canonicalJson(decided.status) !== canonicalJson(rollout.status))
      await this.settle.intend(k, rollout, { ...decided.status, sequence: (rollout.status?.sequence ?? 0) + 1 });
    try {
      for (const action of decided.actions) {
        log.info({ action }, 'acting');
        for (const w of await act(this.opts.kube, caches, router, rollout, action)) expect[w.object] ??= w.before ?? '';
      }
    } catch (e) {
      await this.settle.settled(k);
      throw e;
    }
    return expect;
  }

  /** Writes the status a pass that acted on this Rollout did not write (it stopped); true when it did. */
  private async completeUnwritten(k: string, rollout: Rollout, log: Logger): Promise<boolean> {
    const status = await this.settle.unwritten(k, rollout);
    if (status === undefined) return false;
    log.info({ sequence: status.sequence }, 'writing the status of a pass that acted and stopped before writing it');
    const { sequence: _next, ...planned } = status;
    const done: Plan = { actions: [], status: planned, events: [], requeueAfterMs: undefined };
    const result = await this.statusWriter.write(k, rollout, done, {});
    if (result === 'written') await this.settle.settled(k);
    this.enqueue(k, result === 'conflict' ? CATCH_UP_MS : 0);
    return true;
  }

  /**
   * Plans on the caches; a plan that acts is confirmed on a fresh view (a cache behind someone
   * else's write would repeat or undo a step). Undefined when the cached Rollout is behind.
   */
  private async decide(
    rollout: Rollout,
  ): Promise<{ decided: Plan; caches: Caches; router: TrafficRouter; metrics: ResolvedMetric[] } | undefined> {
    const { analysis, problems } = this.specMemo.get(rollout, () => ({
      analysis: resolveAnalysis(rollout, this.templateStore, {
        scrapeIntervalMs: this.opts.scrapeIntervalMs ?? DEFAULT_SCRAPE_INTERVAL_MS,
      }),
      problems: specProblems(rollout, this.templateStore),
    }));
    const taken = await this.analyst.take(rollout, analysis.metrics, new Date());
    const findings = { ...analysis, taken };
    const reporting = await this.reporting.observe(rollout);
    const defaults = this.opts.defaultSchedule;
    const withRelease = (o: Observations): Observations => ({
      ...o,
      ...reporting,
      ...(defaults === undefined ? {} : { defaultSchedule: defaults }),
    });
    const decided = plan(
      rollout,
      withRelease(observe(rollout, this.caches, this.router, findings, problems)),
      new Date(),
    );
    const { metrics } = analysis;
    if (decided.actions.length === 0) return { decided, caches: this.caches, router: this.router, metrics };
    const fresh = await freshView(this.opts.kube, rollout, this.caches, this.istio, this.convergeMemory);
    if (fresh.rollout === undefined || echoOf(fresh.rollout) !== echoOf(rollout)) return undefined;
    return {
      decided: plan(rollout, withRelease(observe(rollout, fresh.caches, fresh.router, findings, problems)), new Date()),
      caches: fresh.caches,
      router: fresh.router,
      metrics,
    };
  }

  private async recordEvent(rollout: Rollout, e: PlanEvent): Promise<void> {
    await recordRolloutEvent(this.opts.kube, rollout, e);
  }
}
