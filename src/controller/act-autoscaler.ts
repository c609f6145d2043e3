/** The autoscaler actions: Sluice's copy for the primary, stray copies, and pausing a KEDA ScaledObject. */
import { PatchStrategy } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import type { Kube } from '../kube/client.js';
import { createIfMissing, FIELD_MANAGER, guarded, statusOf, written, type Written } from '../kube/client.js';
import { existingCopy, userAutoscaler } from './autoscaler.js';
import { API_VERSION, autoscalerCopy, PAUSED_BY, PAUSED_REPLICAS, type AutoscalerKind } from './autoscaler-kinds.js';
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
        {
          ...want,
          // (KEDA's finalizer on a ScaledObject stays: it does KEDA's cleanup when the copy goes)
          metadata: {
            ...want.metadata,
            resourceVersion: have.metadata?.resourceVersion,
            ...(have.metadata?.finalizers === undefined ? {} : { finalizers: have.metadata.finalizers }),
          },
        },
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
 * Pauses a ScaledObject with `autoscaling.keda.sh/paused-replicas: "0"` (KEDA deletes its HPA and
 * holds the target at 0) and Sluice's mark `sluice.dev/paused-by: <rollout uid>`, or removes both
 * (KEDA scales the target again): the only fields Sluice writes on it. A merge patch of them only.
 */
export async function pauseAutoscaler(
  kube: Kube,
  caches: Caches,
  rollout: Rollout,
  a: { name: string; paused: boolean },
): Promise<Written[]> {
  const ns = rollout.metadata.namespace;
  const have = caches.autoscalers(ns).scaledObjects.find((o) => o.metadata?.name === a.name);
  const annotations = {
    [PAUSED_REPLICAS]: a.paused ? '0' : null,
    [PAUSED_BY]: a.paused ? (rollout.metadata.uid ?? '') : null,
  };
  try {
    await kube.objects.patch(
      {
        apiVersion: API_VERSION.ScaledObject,
        kind: 'ScaledObject',
        metadata: { name: a.name, namespace: ns ?? 'default', annotations },
      } as never,
      undefined,
      undefined,
      FIELD_MANAGER,
      undefined,
      PatchStrategy.MergePatch,
    );
  } catch (e) {
    if (statusOf(e) !== 404) throw e; // (gone: nothing to resume)
    return [];
  }
  return [written('ScaledObject', ns, a.name, have)];
}
