/** Observations for the planner, from the informer caches only. */
import type { V1Deployment } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import { validateRollout } from '../api/validate-object.js';
import { formatPath } from '../api/problem.js';
import type { Observations, WorkloadObservation } from '../rollout/model.js';
import { REVISION_ANNOTATION, revisionOf } from '../rollout/revision.js';
import type { VirtualService } from '../traffic/istio/types.js';
import { canaryWeight } from '../traffic/istio/virtual-service.js';
import { primaryName } from './generated.js';

export interface Caches {
  deployment(namespace: string | undefined, name: string): V1Deployment | undefined;
  virtualService(namespace: string | undefined, name: string): VirtualService | undefined;
}

function workload(d: V1Deployment, revision: string): WorkloadObservation {
  const replicas = d.spec?.replicas ?? 1;
  const status = d.status;
  const rolledOut = (status?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && (status?.updatedReplicas ?? 0) === replicas && (status?.replicas ?? 0) === replicas;
  return { revision, replicas, readyReplicas: status?.readyReplicas ?? 0, rolledOut };
}

export function targetRevision(d: V1Deployment): string {
  return revisionOf(d.spec?.template);
}

export function virtualServiceName(rollout: Rollout): { namespace: string | undefined; name: string } {
  const ref = rollout.spec.virtualServiceRef;
  return ref === undefined ? { namespace: rollout.metadata.namespace, name: rollout.spec.service.name } : { namespace: ref.namespace ?? rollout.metadata.namespace, name: ref.name };
}

export function observe(rollout: Rollout, caches: Caches): Observations {
  const ns = rollout.metadata.namespace;
  const specErrors = validateRollout(rollout).filter((p) => p.severity === 'error').map((p) => `${formatPath(p.path)}: ${p.message}`);
  const target = caches.deployment(ns, rollout.spec.targetRef.name);
  const primary = caches.deployment(ns, primaryName(rollout));
  const vsName = virtualServiceName(rollout);
  const vs = caches.virtualService(vsName.namespace, vsName.name);
  return {
    specErrors,
    target: target === undefined ? undefined : workload(target, targetRevision(target)),
    primary: primary === undefined ? undefined : workload(primary, primary.metadata?.annotations?.[REVISION_ANNOTATION] ?? ''),
    routedWeight: canaryWeight(rollout, vs),
    analysis: {},
    commands: (rollout.status?.commands ?? []).filter((c) => c.handledAt === undefined).map((c) => ({ id: c.id, action: c.action, user: c.user, ...(c.revision === undefined ? {} : { revision: c.revision }) })),
  };
}
