/**
 * The informer caches a controller reads the world from besides Rollouts, and which Rollouts a
 * change of each object concerns (those get a pass). One watch per resource, shared by all
 * Rollouts.
 */
import type {
  KubernetesObject,
  V1Deployment,
  V1Job,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Rollout } from '../api/schema/rollout.js';
import type { AnalysisTemplate, TemplateKind } from '../api/schema/analysis-template.js';
import type { TemplateRef } from '../api/schema/rollout.js';
import { templateRefs } from './spec-memo.js';
import type { Kube } from '../kube/client.js';
import type { VirtualService } from '../traffic/istio/types.js';
import { virtualServiceName } from '../traffic/istio/router.js';
import { hosts } from '../traffic/istio/virtual-service.js';
import {
  ANALYSIS_TEMPLATES,
  cacheErrorLogger,
  CLUSTER_ANALYSIS_TEMPLATES,
  CONFIG_MAPS,
  DEPLOYMENTS,
  DESTINATION_RULES,
  HORIZONTAL_POD_AUTOSCALERS,
  JOBS,
  ResourceCache,
  SCALED_OBJECTS,
  SECRETS,
  SERVICES,
  VIRTUAL_SERVICES,
  type CacheOptions,
  type WatchedResource,
} from './cache.js';
import { configDigest, usesConfig, type ConfigDigest, type ConfigKind } from './configs.js';
import { primaryName } from './generated.js';
import { concernsAutoscaler } from './autoscaler.js';
import type { ScaledObject } from './autoscaler-kinds.js';
import { statusOf } from '../kube/client.js';
import type { Caches } from './observe.js';
import type { IstioCaches } from '../traffic/istio/router.js';
import { ROLLOUT_LABEL } from './analysis-jobs.js';

/** Tells the Rollouts in `namespace` (all when undefined) for which `concerns` holds that something changed. */
export type DependentChanged = (namespace: string | undefined, concerns: (r: Rollout) => boolean) => void;

export class Informers {
  readonly deployments: ResourceCache<V1Deployment>;
  readonly virtualServices: ResourceCache<VirtualService>;
  /** Every Service: the one clients call (spec.service.name) is usually Git's. */
  readonly services: ResourceCache<V1Service>;
  /** Every one: a DestinationRule with a generated name that someone else made is a conflict. */
  readonly destinationRules: ResourceCache<KubernetesObject>;
  /** ConfigMaps and Secrets, as content hashes only. */
  readonly configs: Record<ConfigKind, ResourceCache<ConfigDigest>>;
  readonly templates: ResourceCache<AnalysisTemplate>;
  /** Cluster-scoped: watched cluster-wide even by a controller that watches one namespace. */
  readonly clusterTemplates: ResourceCache<AnalysisTemplate>;
  /** HorizontalPodAutoscalers: the user's (found by their scaleTargetRef) and Sluice's -primary copies. */
  readonly autoscalers: ResourceCache<V2HorizontalPodAutoscaler>;
  /** KEDA ScaledObjects, when KEDA is installed (the user's, and Sluice's -primary copies). */
  readonly scaledObjects: ResourceCache<ScaledObject>;
  /** The Jobs of Job metrics: a Job that finishes is a measurement. */
  readonly jobs: ResourceCache<V1Job>;

  constructor(kube: Kube, namespace: string | undefined, log: Logger, changed: DependentChanged) {
    const cache = <T extends KubernetesObject>(
      r: WatchedResource,
      onChange: (obj: T) => void,
      options?: CacheOptions<T>,
    ): ResourceCache<T> =>
      new ResourceCache<T>(kube, r, namespace, onChange, { onError: cacheErrorLogger(log, r), ...options });
    this.deployments = cache<V1Deployment>(DEPLOYMENTS, (d) =>
      changed(d.metadata?.namespace, (r) => [r.spec.targetRef.name, primaryName(r)].includes(d.metadata?.name ?? '')),
    );
    this.virtualServices = cache<VirtualService>(VIRTUAL_SERVICES, (vs) =>
      changed(undefined, (r) => {
        const n = virtualServiceName(r);
        return n.name === vs.metadata.name && (n.namespace ?? '') === (vs.metadata.namespace ?? '');
      }),
    );
    const routing = (o: KubernetesObject): void =>
      changed(o.metadata?.namespace, (r) =>
        [r.spec.service.name, ...Object.values(hosts(r))].includes(o.metadata?.name ?? ''),
      );
    this.services = cache<V1Service>(SERVICES, routing);
    this.destinationRules = cache(DESTINATION_RULES, routing);
    const configChanged =
      (kind: ConfigKind) =>
      (c: ConfigDigest): void =>
        changed(c.metadata?.namespace, (r) =>
          usesConfig(
            this.deployments.get(r.metadata.namespace, r.spec.targetRef.name)?.spec?.template,
            kind,
            c.metadata?.name ?? '',
          ),
        );
    this.configs = {
      ConfigMap: cache(CONFIG_MAPS, configChanged('ConfigMap'), { digest: configDigest }),
      Secret: cache(SECRETS, configChanged('Secret'), { digest: configDigest }),
    };
    this.templates = cache<AnalysisTemplate>(ANALYSIS_TEMPLATES, (t) =>
      changed(t.metadata.namespace, (r) => usesTemplate(r, t.metadata.name, 'AnalysisTemplate')),
    );
    this.clusterTemplates = new ResourceCache<AnalysisTemplate>(
      kube,
      CLUSTER_ANALYSIS_TEMPLATES,
      undefined,
      (t) => changed(undefined, (r) => usesTemplate(r, t.metadata.name, 'ClusterAnalysisTemplate')),
      { onError: cacheErrorLogger(log, CLUSTER_ANALYSIS_TEMPLATES) },
    );
    this.autoscalers = cache<V2HorizontalPodAutoscaler>(HORIZONTAL_POD_AUTOSCALERS, (h) =>
      changed(h.metadata?.namespace, (r) => concernsAutoscaler(r, h, 'HorizontalPodAutoscaler')),
    );
    this.jobs = cache<V1Job>(
      JOBS,
      (j) => changed(j.metadata?.namespace, (r) => r.metadata.name === j.metadata?.labels?.[ROLLOUT_LABEL]),
      { labelSelector: ROLLOUT_LABEL },
    );
    let told = false;
    this.scaledObjects = cache<ScaledObject>(
      SCALED_OBJECTS,
      (o) => changed(o.metadata?.namespace, (r) => concernsAutoscaler(r, o, 'ScaledObject')),
      {
        optional: true,
        onError: (err) => {
          if (statusOf(err) !== 404 && !/HTTP-Code: 404\b/.test(String(err))) {
            cacheErrorLogger(log, SCALED_OBJECTS)(err);
          } else if (!told) {
            told = true;
            log.info('KEDA is not installed (no ScaledObjects served): only HorizontalPodAutoscalers are looked for');
          }
        },
      },
    );
  }

  /** Every cache, to start and stop together. */
  all(): ResourceCache<KubernetesObject>[] {
    return [
      this.deployments,
      this.virtualServices,
      this.services,
      this.destinationRules,
      this.configs.ConfigMap,
      this.configs.Secret,
      this.templates,
      this.clusterTemplates,
      this.autoscalers,
      this.scaledObjects,
      this.jobs,
    ] as ResourceCache<KubernetesObject>[];
  }

  /** The template a Rollout's ref names. */
  template(namespace: string, ref: TemplateRef): AnalysisTemplate | undefined {
    return ref.kind === 'ClusterAnalysisTemplate'
      ? this.clusterTemplates.get(undefined, ref.name)
      : this.templates.get(namespace, ref.name);
  }

  /** What the planner's observations read. */
  caches(): Caches {
    return {
      deployment: (ns, name) => this.deployments.get(ns, name),
      service: (ns, name) => this.services.get(ns, name),
      config: (kind, ns, name) => this.configs[kind].get(ns, name),
      autoscalers: (ns) => ({ hpas: this.autoscalers.list(ns), scaledObjects: this.scaledObjects.list(ns) }),
    };
  }

  istio(): IstioCaches {
    return {
      virtualService: (ns, name) => this.virtualServices.get(ns, name),
      destinationRule: (ns, name) => this.destinationRules.get(ns, name),
    };
  }

  /** The resourceVersion the caches hold for `Kind/namespace/name` (what the ledger compares with). */
  cachedVersion(object: string): string | undefined {
    const [kind, ns, name] = object.split('/', 3) as [string, string, string];
    const caches: Record<string, ResourceCache<KubernetesObject> | undefined> = {
      Deployment: this.deployments,
      VirtualService: this.virtualServices,
      Service: this.services,
      DestinationRule: this.destinationRules,
      HorizontalPodAutoscaler: this.autoscalers,
      ScaledObject: this.scaledObjects,
    };
    return caches[kind]?.get(ns === '' ? undefined : ns, name)?.metadata?.resourceVersion;
  }
}

function usesTemplate(r: Rollout, name: string, kind: TemplateKind): boolean {
  return templateRefs(r).some((t) => t.name === name && (t.kind ?? 'AnalysisTemplate') === kind);
}
