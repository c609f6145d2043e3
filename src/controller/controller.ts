/**
 * The reconciler shell: observe (informer caches) -> plan (pure) -> act -> one status patch, with
 * Events for decisions. Work is keyed by rollout; a key is never reconciled twice at once, and a
 * change that arrives meanwhile causes one more pass.
 */
import { hostname } from 'node:os';
import { PatchStrategy, setHeaderOptions, type KubernetesObject, type V1Deployment } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Rollout } from '../api/schema/rollout.js';
import type { AnalysisTemplate } from '../api/schema/analysis-template.js';
import { resolveAnalysis } from '../analysis/resolve.js';
import { PrometheusProvider } from '../analysis/prometheus.js';
import type { MetricProvider } from '../analysis/provider.js';
import type { Kube } from '../kube/client.js';
import type { PlanEvent } from '../rollout/context.js';
import { plan } from '../rollout/plan.js';
import type { VirtualService } from '../traffic/istio/types.js';
import { act } from './act.js';
import { MANAGED_BY_SELECTOR } from '../kube/ownership.js';
import { IstioRouter, virtualServiceName } from '../traffic/istio/router.js';
import { hosts } from '../traffic/istio/virtual-service.js';
import type { TrafficRouter } from '../traffic/router.js';
import { ANALYSIS_TEMPLATES, CONFIG_MAPS, DEPLOYMENTS, DESTINATION_RULES, ResourceCache, ROLLOUTS, SECRETS, SERVICES, VIRTUAL_SERVICES, type CacheOptions, type WatchedResource } from './cache.js';
import { Analyst } from './analysis.js';
import type { ControllerMetrics } from './metrics.js';
import { MemoryQueue, type WorkQueue } from '../queue/work-queue.js';
import { secretCredentials, TemplateStore } from './templates.js';
import { configDigest, referencedConfigs, type ConfigDigest, type ConfigKind } from './configs.js';
import { primaryName } from './generated.js';
import { observe, type Caches } from './observe.js';

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
  /** Where passes wait (in memory by default; BullMQ on Redis with --redis-url). */
  queue?: WorkQueue;
  /** Every this often, every Rollout gets a pass anyway (a safety net for lost events). */
  resyncMs?: number;
  metrics?: ControllerMetrics;
}

const key = (namespace: string | undefined, name: string): string => `${namespace ?? ''}/${name}`;

/**
 * A JSON merge patch from one status to the next: a field the planner removed (metrics of an
 * old run, a rolled-back revision after a promotion) must be sent as null, or it would stay.
 */
export function statusPatch(previous: object | undefined, next: object): Record<string, unknown> {
  const removed = Object.keys(previous ?? {}).filter((k) => !(k in next));
  return { ...next, ...Object.fromEntries(removed.map((k) => [k, null])) };
}

function usesTemplate(r: Rollout, name: string): boolean {
  const canary = r.spec.strategy.canary;
  return [...canary.steps.map((s) => s.analysis), canary.analysis].some((a) => a?.templates.some((t) => t.name === name) === true);
}

/** What identifies a Rollout's own status echo: its generation (spec) and status. */
const echoOf = (r: Rollout): string => JSON.stringify([r.metadata.generation, r.status]);

export class Controller {
  private readonly rollouts: ResourceCache<Rollout>;
  private readonly deployments: ResourceCache<V1Deployment>;
  private readonly virtualServices: ResourceCache<VirtualService>;
  /** Services and DestinationRules Sluice generated (selected by its managed-by label). */
  private readonly generated: { Service: ResourceCache<KubernetesObject>; DestinationRule: ResourceCache<KubernetesObject> };
  /** ConfigMaps and Secrets, as content hashes only. */
  private readonly configs: Record<ConfigKind, ResourceCache<ConfigDigest>>;
  private readonly templates: ResourceCache<AnalysisTemplate>;
  private readonly templateStore: TemplateStore;
  private readonly analyst: Analyst;
  private readonly caches: Caches;
  private readonly router: TrafficRouter;
  private readonly queue: WorkQueue;
  private resyncTimer: NodeJS.Timeout | undefined;
  /** The last failure of each key, for backoff and to record each new kind of failure once. */
  private readonly failures = new Map<string, { message: string; attempt: number }>();
  /**
   * Keys whose last actions the caches have not shown yet, with the Rollout as this controller
   * left it: the echo of its own status patch is ignored (the dependent's change will come), any
   * other change of the Rollout (a command, a spec edit) is handled at once.
   */
  private readonly settling = new Map<string, { until: number; echo: string }>();
  private ready = false;
  private stopped = false;

  constructor(private readonly opts: ControllerOptions) {
    const { kube, namespace } = opts;
    this.queue = opts.queue ?? new MemoryQueue();
    const onError = (r: WatchedResource) => (err: unknown): void => opts.log.warn({ resource: r.plural, err: err instanceof Error ? err.message : String(err) }, 'watch failed; restarting');
    const cache = <T extends KubernetesObject>(r: WatchedResource, onChange: (obj: T) => void, options?: CacheOptions<T>): ResourceCache<T> => new ResourceCache<T>(kube, r, namespace, onChange, { onError: onError(r), ...options });
    this.rollouts = cache<Rollout>(ROLLOUTS, (r) => this.rolloutChanged(r));
    this.deployments = cache<V1Deployment>(DEPLOYMENTS, (d) => this.dependentChanged(d.metadata?.namespace, (r) => [r.spec.targetRef.name, primaryName(r)].includes(d.metadata?.name ?? '')));
    this.virtualServices = cache<VirtualService>(VIRTUAL_SERVICES, (vs) => this.dependentChanged(undefined, (r) => {
      const n = virtualServiceName(r);
      return n.name === vs.metadata.name && (n.namespace ?? '') === (vs.metadata.namespace ?? '');
    }));
    const routing = (o: KubernetesObject): void => this.dependentChanged(o.metadata?.namespace, (r) => Object.values(hosts(r)).includes(o.metadata?.name ?? ''));
    this.generated = {
      Service: cache(SERVICES, routing, { labelSelector: MANAGED_BY_SELECTOR }),
      DestinationRule: cache(DESTINATION_RULES, routing, { labelSelector: MANAGED_BY_SELECTOR }),
    };
    const configChanged = (kind: ConfigKind) => (c: ConfigDigest): void => this.dependentChanged(c.metadata?.namespace, (r) => {
      const refs = referencedConfigs(this.deployments.get(r.metadata.namespace, r.spec.targetRef.name)?.spec?.template);
      return (kind === 'ConfigMap' ? refs.configMaps : refs.secrets).includes(c.metadata?.name ?? '');
    });
    this.configs = {
      ConfigMap: cache(CONFIG_MAPS, configChanged('ConfigMap'), { digest: configDigest }),
      Secret: cache(SECRETS, configChanged('Secret'), { digest: configDigest }),
    };
    this.templates = cache<AnalysisTemplate>(ANALYSIS_TEMPLATES, (t) => this.dependentChanged(t.metadata.namespace, (r) => usesTemplate(r, t.metadata.name)));
    this.templateStore = new TemplateStore((ns, name) => this.templates.get(ns, name));
    this.analyst = new Analyst({
      provider: opts.provider ?? new PrometheusProvider(),
      defaultAddress: opts.prometheusUrl,
      credentials: secretCredentials(kube, (ns, name) => this.configs.Secret.get(ns, name)),
    });
    this.caches = {
      deployment: (ns, name) => this.deployments.get(ns, name),
      service: (ns, name) => this.generated.Service.get(ns, name),
      config: (kind, ns, name) => this.configs[kind].get(ns, name),
    };
    this.router = new IstioRouter(kube, {
      virtualService: (ns, name) => this.virtualServices.get(ns, name),
      destinationRule: (ns, name) => this.generated.DestinationRule.get(ns, name),
    });
  }

  private dependents(): ResourceCache<KubernetesObject>[] {
    return [this.deployments, this.virtualServices, this.generated.Service, this.generated.DestinationRule, this.configs.ConfigMap, this.configs.Secret, this.templates] as ResourceCache<KubernetesObject>[];
  }

  get isReady(): boolean {
    return this.ready && this.queue.ready;
  }

  async start(): Promise<void> {
    await Promise.all(this.dependents().map((c) => c.start()));
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
    for (const r of this.rollouts.list()) this.enqueue(key(r.metadata.namespace, r.metadata.name));
  }

  /** Stops taking work, finishes the passes in progress (up to `graceMs`), then stops watching. */
  async stop(graceMs = 30_000): Promise<void> {
    this.stopped = true;
    clearInterval(this.resyncTimer);
    await this.queue.close(graceMs);
    await Promise.all([this.rollouts, ...this.dependents()].map((c) => c.stop()));
  }

  queueDepth(): Promise<number> {
    return this.queue.depth();
  }

  private rolloutChanged(r: Rollout): void {
    const k = key(r.metadata.namespace, r.metadata.name);
    const s = this.settling.get(k);
    if (s !== undefined && Date.now() < s.until && s.echo === echoOf(r)) return;
    this.enqueue(k);
  }

  private dependentChanged(namespace: string | undefined, concerns: (r: Rollout) => boolean): void {
    for (const r of this.rollouts.list(namespace)) {
      if (!concerns(r)) continue;
      const k = key(r.metadata.namespace, r.metadata.name);
      this.settling.delete(k);
      this.enqueue(k);
    }
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
    const delayMs = Math.min(60_000, 1000 * 2 ** Math.min(attempt - 1, 6));
    this.opts.log.warn({ rollout: k, err: message, attempt, retryInMs: delayMs }, 'reconcile failed; retrying');
    this.enqueue(k, delayMs);
    const [ns, name] = k.split('/', 2) as [string, string];
    const rollout = this.rollouts.get(ns === '' ? undefined : ns, name);
    if (rollout === undefined || previous?.message === message) return;
    await this.recordEvent(rollout, { type: 'Warning', reason: 'ReconcileFailed', message: message.slice(0, 1000) }).catch(() => undefined);
  }

  private async reconcile(k: string): Promise<void> {
    const [ns, name] = k.split('/', 2) as [string, string];
    const rollout = this.rollouts.get(ns === '' ? undefined : ns, name);
    if (rollout === undefined) return;
    const analysis = resolveAnalysis(rollout, this.templateStore);
    const taken = await this.analyst.take(rollout, analysis.metrics, new Date());
    const observations = observe(rollout, this.caches, this.router, { ...analysis, taken }, this.templateStore);
    const decided = plan(rollout, observations, new Date());
    const log = this.opts.log.child({ rollout: k });
    log.debug({ phase: rollout.status?.phase, target: observations.target?.revision, stable: rollout.status?.stableRevision, measured: taken.length }, 'reconcile');
    for (const action of decided.actions) {
      log.info({ action }, 'acting');
      await act(this.opts.kube, this.caches, this.router, rollout, action);
    }
    if (decided.actions.length > 0) {
      const settleMs = this.opts.settleMs ?? 5000;
      this.settling.set(k, { until: Date.now() + settleMs, echo: echoOf({ ...rollout, status: decided.status }) });
      this.enqueue(k, settleMs);
    }
    for (const e of decided.events) await this.recordEvent(rollout, e).catch((err: unknown) => log.warn({ err: (err as Error).message }, 'event not recorded'));
    if (decided.actions.some((a) => a.type === 'removeFinalizer')) return; // the Rollout is gone now
    if (JSON.stringify(decided.status) !== JSON.stringify(rollout.status)) {
      await this.opts.kube.custom.patchNamespacedCustomObjectStatus({ group: 'sluice.dev', version: 'v1alpha1', namespace: ns, plural: 'rollouts', name, body: { status: statusPatch(rollout.status, decided.status) } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      log.info({ phase: decided.status.phase, reason: decided.status.reason, weight: decided.status.canaryWeight, step: decided.status.currentStepIndex }, 'status');
    }
    if (decided.requeueAfterMs !== undefined) this.enqueue(k, Math.max(50, decided.requeueAfterMs));
  }

  private async recordEvent(rollout: Rollout, e: PlanEvent): Promise<void> {
    const ns = rollout.metadata.namespace ?? 'default';
    await this.opts.kube.events.createNamespacedEvent({
      namespace: ns,
      body: {
        metadata: { generateName: `${rollout.metadata.name}.` },
        eventTime: new Date(),
        reportingController: 'sluice.dev/controller',
        reportingInstance: hostname(),
        action: e.reason,
        reason: e.reason,
        type: e.type,
        note: e.message,
        regarding: { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: rollout.metadata.name, namespace: ns, ...(rollout.metadata.uid === undefined ? {} : { uid: rollout.metadata.uid }) },
      },
    });
  }
}
