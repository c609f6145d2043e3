/** Carries out the planner's actions against the API; each is idempotent. */
import { PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import type { Kube } from '../kube/client.js';
import { statusOf } from '../kube/client.js';
import { FINALIZER, type Action } from '../rollout/model.js';
import { destinationRules, virtualService, weightPatch } from '../traffic/istio/virtual-service.js';
import { primaryDeployment, primaryName, services } from './generated.js';
import { targetRevision, virtualServiceName, type Caches } from './observe.js';

const FIELD_MANAGER = 'sluice';

async function createIfMissing(kube: Kube, obj: KubernetesObject): Promise<void> {
  try {
    await kube.objects.create(obj, undefined, undefined, FIELD_MANAGER);
  } catch (e) {
    if (statusOf(e) !== 409) throw e;
  }
}

/** Edits only the weights (JSON patch with tests on the hosts), creating the generated VirtualService if missing. */
async function setWeight(kube: Kube, caches: Caches, rollout: Rollout, weight: number): Promise<void> {
  const name = virtualServiceName(rollout);
  const vs = caches.virtualService(name.namespace, name.name);
  if (vs === undefined) {
    if (rollout.spec.virtualServiceRef !== undefined) throw new Error(`VirtualService ${name.name} to adopt does not exist`);
    await createIfMissing(kube, virtualService(rollout, weight));
    return;
  }
  const ops = weightPatch(rollout, vs, weight);
  await kube.custom.patchNamespacedCustomObject({ group: 'networking.istio.io', version: 'v1', namespace: name.namespace ?? 'default', plural: 'virtualservices', name: name.name, body: ops }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch));
}

/** Creates or updates `<target>-primary` from the target's template, which must still be the revision decided on. */
async function ensurePrimary(kube: Kube, caches: Caches, rollout: Rollout, action: { revision: string; replicas: number }): Promise<void> {
  const ns = rollout.metadata.namespace;
  const target = caches.deployment(ns, rollout.spec.targetRef.name);
  if (target === undefined || targetRevision(target) !== action.revision) throw new Error(`the target no longer has revision ${action.revision}; planning again`);
  const wanted = primaryDeployment(rollout, target, action.revision, action.replicas);
  const existing = caches.deployment(ns, primaryName(rollout));
  if (existing === undefined) await kube.objects.create(wanted, undefined, undefined, FIELD_MANAGER);
  else await kube.objects.replace({ ...wanted, metadata: { ...wanted.metadata, resourceVersion: existing.metadata?.resourceVersion } }, undefined, undefined, FIELD_MANAGER);
}

/** Adds or removes Sluice's finalizer, guarded by the resourceVersion the decision was made on. */
async function setFinalizer(kube: Kube, rollout: Rollout, present: boolean): Promise<void> {
  const others = (rollout.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  const body = { metadata: { resourceVersion: rollout.metadata.resourceVersion, finalizers: present ? [...others, FINALIZER] : others } };
  await kube.custom.patchNamespacedCustomObject({ group: 'sluice.dev', version: 'v1alpha1', namespace: rollout.metadata.namespace ?? 'default', plural: 'rollouts', name: rollout.metadata.name, body }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
}

export async function act(kube: Kube, caches: Caches, rollout: Rollout, action: Action): Promise<void> {
  const ns = rollout.metadata.namespace;
  const target = caches.deployment(ns, rollout.spec.targetRef.name);
  switch (action.type) {
    case 'ensurePrimary':
      await ensurePrimary(kube, caches, rollout, action);
      return;
    case 'ensureServices': {
      if (target === undefined) throw new Error('the target is gone; planning again');
      for (const svc of services(rollout, target)) await createIfMissing(kube, svc);
      for (const dr of destinationRules(rollout)) await createIfMissing(kube, dr);
      if (rollout.spec.virtualServiceRef === undefined) await createIfMissing(kube, virtualService(rollout, 0));
      return;
    }
    case 'setWeight':
      await setWeight(kube, caches, rollout, action.canaryWeight);
      return;
    case 'scaleCanary':
      await kube.apps.patchNamespacedDeploymentScale({ name: rollout.spec.targetRef.name, namespace: ns ?? 'default', body: { spec: { replicas: action.replicas } } }, setHeaderOptions('Content-Type', PatchStrategy.MergePatch));
      return;
    case 'addFinalizer':
    case 'removeFinalizer':
      await setFinalizer(kube, rollout, action.type === 'addFinalizer');
      return;
  }
}
