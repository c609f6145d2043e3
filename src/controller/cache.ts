/**
 * Informer caches: the controller reads the world from these, never with GETs, so that a steady
 * state costs no API traffic. An informer that stops on an error is restarted. A cache is started
 * (synced) only once a LIST has succeeded: an empty cache after a failed first LIST would make
 * every AnalysisTemplate "not found" and every Deployment missing.
 *
 * A cache may keep only what Sluice needs of each object (`digest`): ConfigMaps and Secrets are
 * kept as a content hash, so that their data (and a Secret's values) never sit in the
 * controller's memory, and a cluster full of large Secrets costs little.
 */
import { kubeOperation, record } from '../telemetry/requests.js';
import { kubeRequestObserver, statusOf } from '../kube/client.js';
import type { Logger } from 'pino';
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type KubernetesObjectApi,
} from '@kubernetes/client-node';

export interface WatchedResource {
  apiVersion: string;
  kind: string;
  plural: string;
}

export const ROLLOUTS: WatchedResource = { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', plural: 'rollouts' };
export const DEPLOYMENTS: WatchedResource = { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' };
export const VIRTUAL_SERVICES: WatchedResource = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  plural: 'virtualservices',
};
export const DESTINATION_RULES: WatchedResource = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  plural: 'destinationrules',
};
export const SERVICES: WatchedResource = { apiVersion: 'v1', kind: 'Service', plural: 'services' };
export const CONFIG_MAPS: WatchedResource = { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps' };
export const ANALYSIS_TEMPLATES: WatchedResource = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'AnalysisTemplate',
  plural: 'analysistemplates',
};
export const CLUSTER_ANALYSIS_TEMPLATES: WatchedResource = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'ClusterAnalysisTemplate',
  plural: 'clusteranalysistemplates',
};
export const HORIZONTAL_POD_AUTOSCALERS: WatchedResource = {
  apiVersion: 'autoscaling/v2',
  kind: 'HorizontalPodAutoscaler',
  plural: 'horizontalpodautoscalers',
};
export const SECRETS: WatchedResource = { apiVersion: 'v1', kind: 'Secret', plural: 'secrets' };
/** The Jobs of Job metrics (Sluice's only: selected by their label). */
export const JOBS: WatchedResource = { apiVersion: 'batch/v1', kind: 'Job', plural: 'jobs' };
/** KEDA's: optional (a cluster without KEDA has none, and the controller is ready without them). */
export const SCALED_OBJECTS: WatchedResource = {
  apiVersion: 'keda.sh/v1alpha1',
  kind: 'ScaledObject',
  plural: 'scaledobjects',
};

function pathOf(r: WatchedResource, namespace: string | undefined): string {
  const base = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  return `${base}${namespace === undefined ? '' : `/namespaces/${namespace}`}/${r.plural}`;
}

export interface CacheOptions<T> {
  /** Only objects with these labels (e.g. the ones Sluice generated). */
  labelSelector?: string;
  /** What to keep of each object instead of the whole object. */
  digest?: (obj: KubernetesObject) => T;
  /** Told when the informer fails (it restarts a second later). */
  onError?: (err: unknown) => void;
  /**
   * The resource may not be served (an optional CRD): start() resolves after one try, and a cache
   * whose LIST failed reads as empty until a LIST succeeds, tried again in the background.
   */
  optional?: boolean;
}

const OBJECT_PHASES = new Set(['ADDED', 'MODIFIED', 'DELETED']);

/**
 * A Watch that hands the informer the digest of each object instead of the object (when given
 * one), and tells the config's request observer of each watch request when it ends.
 */
class CacheWatch<T> extends Watch {
  constructor(
    private readonly kc: KubeConfig,
    private readonly digest: ((obj: KubernetesObject) => T) | undefined,
  ) {
    super(kc);
  }

  override watch(
    path: string,
    params: Record<string, string | number | boolean | undefined>,
    callback: (phase: string, apiObj: unknown, watchObj?: unknown) => void,
    done: (err: unknown) => void,
  ): Promise<AbortController> {
    const digest = this.digest;
    const observer = kubeRequestObserver(this.kc);
    const started = performance.now();
    const ended = (err: unknown): void => {
      if (observer !== undefined) {
        const aborted = err instanceof Error && err.name === 'AbortError';
        const code =
          err === null || err === undefined || aborted
            ? 200
            : (statusOf(err) ?? (err as { statusCode?: number }).statusCode);
        observer(record('kubernetes', kubeOperation('GET', `${path}?watch=true`), code, started));
      }
      done(err);
    };
    const each =
      digest === undefined
        ? callback
        : (phase: string, obj: unknown, watchObj?: unknown): void =>
            callback(phase, OBJECT_PHASES.has(phase) ? digest(obj as KubernetesObject) : obj, watchObj);
    return super.watch(path, params, each, ended);
  }
}

/** What to do when the API server does not serve a resource the controller watches. */
function notServed(r: WatchedResource): string {
  const install = r.apiVersion.endsWith('istio.io/v1')
    ? 'install Istio (its CRDs)'
    : r.apiVersion.startsWith('sluice.dev/')
      ? "install Sluice's CRDs (kubectl apply -f deploy/crds/)"
      : 'check the API server';
  return `the API server does not serve ${r.kind} (${r.apiVersion}): ${install}; the controller is not ready until it does`;
}

/** Logs a cache's failures: a resource the API server does not serve (its CRD is missing) as an error saying what to install. */
export function cacheErrorLogger(log: Logger, r: WatchedResource): (err: unknown) => void {
  return (err) => {
    const message = err instanceof Error ? err.message : String(err);
    if (statusOf(err) === 404 || /HTTP-Code: 404\b/.test(message))
      log.error({ resource: r.plural, apiVersion: r.apiVersion, err: message }, notServed(r));
    else log.warn({ resource: r.plural, err: message }, 'watch failed; restarting');
  };
}

const RESTART_MS = 1000;
const MAX_START_RETRY_MS = 30_000;

export class ResourceCache<T extends KubernetesObject> {
  private readonly informer: ListWatch<T>;
  private stopped = false;
  /** Whether a LIST has succeeded (the cache holds the world, not nothing). */
  private listed = false;
  private readonly onError: (err: unknown) => void;
  private readonly optional: boolean;

  constructor(
    kube: { config: KubeConfig; objects: KubernetesObjectApi },
    readonly resource: WatchedResource,
    namespace: string | undefined,
    onChange: (obj: T) => void,
    options: CacheOptions<T> = {},
  ) {
    const { labelSelector, digest } = options;
    this.optional = options.optional === true;
    const { config: kc, objects } = kube;
    const list = async (): Promise<KubernetesListObject<T>> => {
      const result = await objects.list<KubernetesObject>(
        resource.apiVersion,
        resource.kind,
        namespace,
        undefined,
        undefined,
        undefined,
        undefined,
        labelSelector,
      );
      // The informer puts the items in right after this returns, before its start() resolves.
      this.listed = true;
      return { ...result, items: result.items.map((o) => (digest === undefined ? (o as T) : digest(o))) };
    };
    const watch = new CacheWatch(kc, digest);
    this.onError = (err): void => options.onError?.(err);
    this.informer = new ListWatch<T>(pathOf(resource, namespace), watch, list, false, labelSelector);
    for (const verb of ['add', 'update', 'delete'] as const) this.informer.on(verb, onChange);
    this.informer.on('error', (err) => {
      this.onError(err);
      // Until the first LIST succeeds, start() retries itself.
      if (this.listed) this.restartLater();
    });
  }

  private restartLater(): void {
    if (this.stopped) return;
    setTimeout(() => {
      if (this.stopped) return;
      this.informer.start().catch((e: unknown) => {
        this.onError(e);
        this.restartLater();
      });
    }, RESTART_MS);
  }

  /**
   * Resolves once the cache holds a successful LIST, trying again after 1 s, doubling to 30 s,
   * until then (a resource whose CRD is not installed keeps the controller not ready).
   */
  async start(): Promise<void> {
    if (this.optional) {
      // one try before the controller starts, so that what is there is known (not read as "none");
      // a resource that is not served is looked for again in the background
      try {
        await this.informer.start();
      } catch (e) {
        this.onError(e);
      }
      if (!this.listed) void this.firstList();
      return;
    }
    await this.firstList();
  }

  private async firstList(): Promise<void> {
    for (let attempt = 0; !this.stopped; attempt++) {
      try {
        await this.informer.start();
      } catch (e) {
        this.onError(e);
        if (this.listed) {
          this.restartLater();
          return;
        }
      }
      if (this.listed) return;
      await new Promise((r) => setTimeout(r, Math.min(MAX_START_RETRY_MS, RESTART_MS * 2 ** attempt)));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }
}
