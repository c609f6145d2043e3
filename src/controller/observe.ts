/** Observations for the planner, from the informer caches only. */
import { deletionTimestamp } from '../api/schema/meta.js';
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import { validateRollout } from '../api/validate-object.js';
import { formatPath } from '../api/problem.js';
import type { AnalysisObservation, Observations, WorkloadObservation } from '../rollout/model.js';
import type { TemplateCatalog } from '../api/semantics/references.js';
import { REVISION_ANNOTATION, revisionOf } from '../rollout/revision.js';
import { hosts } from '../traffic/istio/virtual-service.js';
import type { TrafficRouter } from '../traffic/router.js';
import { isManagedBySluice } from '../kube/ownership.js';
import { configHashes, type ConfigDigest, type ConfigKind } from './configs.js';
import { driftedServices, primaryName } from './generated.js';
import { primaryDrift } from './primary-drift.js';
import { serviceReach } from '../rollout/pod-labels.js';
import { observeAutoscaler, type Autoscalers } from './autoscaler.js';

export interface Caches {
  deployment(namespace: string | undefined, name: string): V1Deployment | undefined;
  /** Services (Sluice's and others). */
  service(namespace: string | undefined, name: string): V1Service | undefined;
  config(kind: ConfigKind, namespace: string | undefined, name: string): ConfigDigest | undefined;
  /** The HorizontalPodAutoscalers of a namespace. */
  /** HorizontalPodAutoscalers and KEDA ScaledObjects (none when KEDA is not installed). */
  autoscalers(namespace: string | undefined): Autoscalers;
}

function workload(d: V1Deployment, revision: string): WorkloadObservation {
  const replicas = d.spec?.replicas ?? 1;
  const { observedGeneration = 0, updatedReplicas = 0, replicas: pods = 0, readyReplicas = 0 } = d.status ?? {};
  const allUpdated = observedGeneration >= (d.metadata?.generation ?? 0) && updatedReplicas === pods;
  return { revision, replicas, readyReplicas, rolledOut: allUpdated && pods === replicas, allUpdated };
}

/** The content hashes of the configs the target's template uses, as the caches know them. */
export function targetConfigs(d: V1Deployment, caches: Pick<Caches, 'config'>): Record<string, string> {
  return configHashes(d.spec?.template, (kind, name) => caches.config(kind, d.metadata?.namespace, name)?.hash);
}

/** The revision of the target: its pod template and the content of the configs it uses. */
export function targetRevision(d: V1Deployment, caches: Pick<Caches, 'config'>): string {
  return revisionOf(d.spec?.template, targetConfigs(d, caches));
}

/** The generated Services and routing objects that do not exist (someone deleted them), as `Kind/name`. */
function missingRouting(rollout: Rollout, caches: Caches, router: TrafficRouter): string[] {
  const ns = rollout.metadata.namespace;
  const h = hosts(rollout);
  const services = [rollout.spec.service.name, h.primary, h.canary]
    .filter((n) => caches.service(ns, n) === undefined)
    .map((n) => `Service/${n}`);
  return [...services, ...router.missing(rollout)];
}

/** What the Service clients call selects, when it exists, is not Sluice's own and has a selector. */
function reach(rollout: Rollout, caches: Caches, target: V1Deployment | undefined): Pick<Observations, 'serviceReach'> {
  const svc = caches.service(rollout.metadata.namespace, rollout.spec.service.name);
  const selector = svc?.spec?.selector;
  if (target === undefined || selector === undefined || isManagedBySluice(svc?.metadata?.labels)) return {};
  return { serviceReach: serviceReach(selector, target) };
}

/** Objects with the names Sluice generates that someone else made (Sluice never acts with them), as `Kind/name: why`. */
function conflicts(rollout: Rollout, caches: Caches, router: TrafficRouter): string[] {
  const ns = rollout.metadata.namespace;
  const h = hosts(rollout);
  const foreign = (labels: Record<string, string> | undefined): boolean => !isManagedBySluice(labels);
  const primary = caches.deployment(ns, primaryName(rollout));
  return [
    ...(primary !== undefined && foreign(primary.metadata?.labels)
      ? [`Deployment/${primaryName(rollout)}: not made by Sluice`]
      : []),
    ...[h.primary, h.canary]
      .filter((n) => {
        const svc = caches.service(ns, n);
        return svc !== undefined && foreign(svc.metadata?.labels);
      })
      .map((n) => `Service/${n}: not made by Sluice`),
    ...router.conflicts(rollout),
    ...autoscalerConflict(rollout, caches),
  ];
}

function autoscalerConflict(rollout: Rollout, caches: Caches): string[] {
  const a = observeAutoscaler(rollout, caches.autoscalers(rollout.metadata.namespace)).autoscaler;
  return a?.copy === 'foreign' ? [`${a.kind}/${a.name}-primary: not made by Sluice`] : [];
}

/** The generated objects whose settings differ from what spec.service says now, as `Kind/name`. */
function drift(rollout: Rollout, caches: Caches, router: TrafficRouter, target: V1Deployment | undefined): string[] {
  const services =
    target === undefined
      ? []
      : driftedServices(rollout, target, (n) => caches.service(rollout.metadata.namespace, n)).map(
          (s) => `Service/${s.metadata?.name ?? ''}`,
        );
  return [...services, ...router.drift(rollout)];
}

/** While the Rollout is being deleted: where the hand-over stands. */
function deletion(rollout: Rollout, caches: Caches, router: TrafficRouter): Pick<Observations, 'deletion'> {
  if (deletionTimestamp(rollout) === undefined) return {};
  const svc = caches.service(rollout.metadata.namespace, rollout.spec.service.name);
  return {
    deletion: {
      handedOver: router.handedOver(rollout),
      serviceIsSluices: isManagedBySluice(svc?.metadata?.labels),
    },
  };
}

/** What the shell found about the run's analysis: resolved metrics, fresh measurements, resolution errors. */
export interface AnalysisFindings extends AnalysisObservation {
  errors: string[];
}

/** The errors that make a Rollout's spec unusable, as `path: message` lines. */
export function specProblems(rollout: Rollout, catalog?: TemplateCatalog): string[] {
  return validateRollout(rollout, catalog)
    .filter((p) => p.severity === 'error')
    .map((p) => `${formatPath(p.path)}: ${p.message}`);
}

/** `problems`: specProblems() of the Rollout (the caller may keep them per spec). */
export function observe(
  rollout: Rollout,
  caches: Caches,
  router: TrafficRouter,
  analysis: AnalysisFindings,
  problems: readonly string[],
): Observations {
  const ns = rollout.metadata.namespace;
  // Reference problems are found by both; the validator's wording (with the field path) wins.
  const specErrors = problems.length > 0 ? [...problems] : analysis.errors;
  const target = caches.deployment(ns, rollout.spec.targetRef.name);
  const primary = caches.deployment(ns, primaryName(rollout));
  const revision = target === undefined ? undefined : targetRevision(target, caches);
  const drifted =
    target === undefined || revision === undefined || primary === undefined
      ? []
      : primaryDrift(rollout, caches, target, revision, primary);
  return {
    specErrors,
    target: target === undefined || revision === undefined ? undefined : workload(target, revision),
    ...(drifted.length === 0 ? {} : { primaryDrift: drifted }),
    primary:
      primary === undefined ? undefined : workload(primary, primary.metadata?.annotations?.[REVISION_ANNOTATION] ?? ''),
    ...reach(rollout, caches, target),
    ...deletion(rollout, caches, router),
    routedWeight: router.weight(rollout),
    ...routingVersion(router.version(rollout)),
    missingRouting: missingRouting(rollout, caches, router),
    conflicts: conflicts(rollout, caches, router),
    drift: drift(rollout, caches, router, target),
    ...observeAutoscaler(rollout, caches.autoscalers(ns)),
    analysis: { metrics: analysis.metrics, taken: analysis.taken },
    commands: (rollout.status?.commands ?? [])
      .filter((c) => c.handledAt === undefined)
      .map((c) => ({
        id: c.id,
        action: c.action,
        user: c.user,
        ...(c.revision === undefined ? {} : { revision: c.revision }),
        ...(c.force === true ? { force: true } : {}),
      })),
  };
}

const routingVersion = (v: string | undefined): { routingVersion?: string } =>
  v === undefined ? {} : { routingVersion: v };
