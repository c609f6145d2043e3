/**
 * Before acting, a decision made on the informer caches is confirmed on a fresh view: the
 * Rollout, its target and primary Deployments and its VirtualService read from the API server.
 * With several replicas (or a lagging watch) a cache can be behind what another actor already
 * wrote — a pass acting on it would repeat or undo a step. Steady passes (no action) read nothing.
 */
import type { KubernetesObject, V1Deployment } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import { statusOf, type Kube } from '../kube/client.js';
import { IstioRouter, virtualServiceName, type ConvergeMemory, type IstioCaches } from '../traffic/istio/router.js';
import type { VirtualService } from '../traffic/istio/types.js';
import { primaryName } from './generated.js';
import type { Caches } from './observe.js';

async function orUndefined<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
}

export interface FreshView {
  rollout: Rollout | undefined;
  caches: Caches;
  router: IstioRouter;
}

/** The objects a pass decides on, read now; everything else still comes from the caches. */
export async function freshView(
  kube: Kube,
  rollout: Rollout,
  caches: Caches,
  istio: IstioCaches,
  memory: ConvergeMemory,
): Promise<FreshView> {
  const namespace = rollout.metadata.namespace ?? 'default';
  const vsName = virtualServiceName(rollout);
  const deployment = (name: string): Promise<V1Deployment | undefined> =>
    orUndefined(kube.apps.readNamespacedDeployment({ name, namespace }));
  const [fresh, target, primary, vs] = await Promise.all([
    orUndefined(
      kube.custom.getNamespacedCustomObject({
        group: 'sluice.dev',
        version: 'v1alpha1',
        namespace,
        plural: 'rollouts',
        name: rollout.metadata.name,
      }) as Promise<Rollout>,
    ),
    deployment(rollout.spec.targetRef.name),
    deployment(primaryName(rollout)),
    orUndefined(
      kube.custom.getNamespacedCustomObject({
        group: 'networking.istio.io',
        version: 'v1',
        namespace: vsName.namespace ?? 'default',
        plural: 'virtualservices',
        name: vsName.name,
      }) as Promise<VirtualService>,
    ),
  ]);
  const deployments = new Map<string, V1Deployment | undefined>([
    [rollout.spec.targetRef.name, target],
    [primaryName(rollout), primary],
  ]);
  const freshCaches: Caches = {
    ...caches,
    deployment: (ns, name) =>
      ns === rollout.metadata.namespace && deployments.has(name) ? deployments.get(name) : caches.deployment(ns, name),
  };
  const freshIstio: IstioCaches = {
    virtualService: (ns, name) =>
      (ns ?? 'default') === (vsName.namespace ?? 'default') && name === vsName.name
        ? vs
        : istio.virtualService(ns, name),
    destinationRule: (ns, name): KubernetesObject | undefined => istio.destinationRule(ns, name),
  };
  return { rollout: fresh, caches: freshCaches, router: new IstioRouter(kube, freshIstio, memory) };
}
