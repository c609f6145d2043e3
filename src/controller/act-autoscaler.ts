/** The autoscaler actions: Sluice's copy for the primary, stray copies, and pausing a KEDA ScaledObject. */
import { PatchStrategy } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import type { Kube } from '../kube/client.js';
import { createIfMissing, FIELD_MANAGER, guarded, statusOf, written, type Written } from '../kube/client.js';
import { existingCopy, userAutoscaler } from './autoscaler.js';
import { API_VERSION, autoscalerCopy, PAUSED_REPLICAS, type AutoscalerKind } from './autoscaler-kinds.js';
import type { Caches } from './observe.js';

function theAutoscaler(caches: Caches, rollout: Rollout): ReturnType<typeof userAutoscaler> & object {
  const user = userAutoscaler(rollout, caches.autoscalers(rollout.metadata.namespace));
  if (user === undefined) throw new Error('the autoscaler of the target is gone; planning again');
  return user;
}

/** Creates or updates `<name>-primary` from the user's autoscaler as the caches have it (an update guarded by resourceVersion). */
export async function ensureAutoscaler(
  kube: Kube,
  caches: Caches,
  rollout: Rollout,
  minReplicas: number,
): Promise<Written[]> {
  const ns = rollout.metadata.namespace;
  const user = theAutoscaler(caches, rollout);
  const want = autoscalerCopy(rollout, user, minReplicas);
  const have = existingCopy(user, caches.autoscalers(ns));
  const name = want.metadata?.name ?? '';
  if (have === undefined) await createIfMissing(kube, want);
  else
    await guarded(`${user.kind} ${name}`, () =>
      kube.objects.replace(
        { ...want, metadata: { ...want.metadata, resourceVersion: have.metadata?.resourceVersion } },
        undefined,
        undefined,
        FIELD_MANAGER,
      ),
    );
  return [written(user.kind, ns, name, have)];
}

export async function deleteAutoscaler(
  kube: Kube,
  rollout: Rollout,
  kind: AutoscalerKind,
  name: string,
): Promise<void> {
  try {
    await kube.objects.delete({
      apiVersion: API_VERSION[kind],
      kind,
      metadata: { name, namespace: rollout.metadata.namespace ?? 'default' },
    });
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
}

/**
 * Pauses the user's ScaledObject with `autoscaling.keda.sh/paused-replicas: "0"` (KEDA deletes its
 * HPA and holds the target at 0), or removes the annotation (KEDA scales the target again): the
 * one field Sluice writes on it. A merge patch of that annotation only.
 */
export async function pauseAutoscaler(
  kube: Kube,
  caches: Caches,
  rollout: Rollout,
  paused: boolean,
): Promise<Written[]> {
  const user = theAutoscaler(caches, rollout);
  if (user.kind !== 'ScaledObject') return [];
  const ns = rollout.metadata.namespace;
  const name = user.object.metadata?.name ?? '';
  await kube.objects.patch(
    {
      apiVersion: API_VERSION.ScaledObject,
      kind: 'ScaledObject',
      metadata: { name, namespace: ns ?? 'default', annotations: { [PAUSED_REPLICAS]: paused ? '0' : null } },
    } as never,
    undefined,
    undefined,
    FIELD_MANAGER,
    undefined,
    PatchStrategy.MergePatch,
  );
  return [written('ScaledObject', ns, name, user.object)];
}
