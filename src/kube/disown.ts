/** Leaving an object in place when its owner goes: its ownerReferences removed, so garbage collection keeps it. */
import { PatchStrategy, type KubernetesObject } from '@kubernetes/client-node';
import { FIELD_MANAGER, statusOf, type Kube } from './client.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  namespace: string | undefined;
  name: string;
}

/** Removes every owner reference of the object (a JSON merge patch); one that is gone already is fine. */
export async function disown(kube: Pick<Kube, 'objects'>, ref: ObjectRef): Promise<void> {
  const body = {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, namespace: ref.namespace ?? 'default', ownerReferences: null },
  } as unknown as KubernetesObject;
  try {
    await kube.objects.patch(body, undefined, undefined, FIELD_MANAGER, undefined, PatchStrategy.MergePatch);
  } catch (e) {
    if (statusOf(e) !== 404) throw e;
  }
}
