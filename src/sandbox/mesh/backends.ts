/** What a request finds behind a Service: its ready endpoints' pods, and the workload Istio names a pod by. */
import type { Store, KubeObject } from '../apiserver/store.js';

type Json = Record<string, any>;

/** The pods of a Service's ready endpoint addresses, as the Endpoints object lists them now. */
export function readyEndpointPods(store: Store, namespace: string, service: string): KubeObject[] {
  const endpoints = store.get('/endpoints', namespace, service) as Json | undefined;
  const names = new Set<string>();
  for (const subset of (endpoints?.['subsets'] ?? []) as Json[])
    for (const a of (subset['addresses'] ?? []) as Json[]) names.add(a['targetRef']?.['name'] as string);
  return names.size === 0 ? [] : store.list('/pods', namespace).filter((p) => names.has(p.metadata.name));
}

/** The workload Istio names a pod by: its Deployment, else its owner, else itself. */
export function workloadOf(store: Store, pod: KubeObject): string {
  const owner = pod.metadata.ownerReferences?.find((o) => o.controller === true);
  if (owner?.kind !== 'ReplicaSet') return owner?.name ?? pod.metadata.name;
  const rs = store.get('apps/replicasets', pod.metadata.namespace, owner.name);
  return rs?.metadata.ownerReferences?.find((o) => o.kind === 'Deployment')?.name ?? owner.name;
}
