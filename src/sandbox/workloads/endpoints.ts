/** Endpoints and EndpointSlices of a Service, as the endpoint controllers keep them. */
import type { KubeObject } from '../apiserver/store.js';
import { isReady, randomSuffix } from './pods.js';

type Json = Record<string, any>;

/** The container port a Service port's targetPort means for this pod. */
function targetPort(port: Json, pod: KubeObject): number | undefined {
  const target = port['targetPort'] ?? port['port'];
  if (typeof target === 'number') return target;
  for (const c of ((pod as Json)['spec']?.['containers'] ?? []) as Json[]) {
    for (const p of (c['ports'] ?? []) as Json[]) if (p['name'] === target) return p['containerPort'] as number;
  }
  return undefined;
}

function address(pod: KubeObject): Json {
  return {
    ip: (pod as Json)['status']['podIP'],
    nodeName: 'sandbox-node',
    targetRef: { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name, uid: pod.metadata.uid },
  };
}

const withIp = (pods: KubeObject[]): KubeObject[] =>
  pods.filter((p) => typeof (p as Json)['status']?.['podIP'] === 'string');

export function endpointsFor(svc: KubeObject, pods: KubeObject[]): KubeObject {
  const ports = ((svc as Json)['spec']?.['ports'] ?? []) as Json[];
  const running = withIp(pods);
  const first = running[0];
  const subsetPorts = ports.map((p) => ({
    ...(p['name'] === undefined ? {} : { name: p['name'] }),
    port: first === undefined ? (p['port'] as number) : (targetPort(p, first) ?? p['port']),
    protocol: p['protocol'] ?? 'TCP',
  }));
  const ready = running.filter(isReady).map(address);
  const notReady = running.filter((p) => !isReady(p)).map(address);
  const subsets =
    running.length === 0
      ? []
      : [
          {
            ...(ready.length > 0 ? { addresses: ready } : {}),
            ...(notReady.length > 0 ? { notReadyAddresses: notReady } : {}),
            ports: subsetPorts,
          },
        ];
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: {
      name: svc.metadata.name,
      namespace: svc.metadata.namespace ?? 'default',
      labels: { ...(svc.metadata.labels ?? {}) },
    },
    subsets,
  };
}

export function endpointSliceFor(svc: KubeObject, pods: KubeObject[], name: string | undefined): KubeObject {
  const ports = ((svc as Json)['spec']?.['ports'] ?? []) as Json[];
  const running = withIp(pods);
  const first = running[0];
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: name ?? `${svc.metadata.name}-${randomSuffix()}`,
      namespace: svc.metadata.namespace ?? 'default',
      labels: {
        'kubernetes.io/service-name': svc.metadata.name,
        'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
      },
      ownerReferences: [
        {
          apiVersion: 'v1',
          kind: 'Service',
          name: svc.metadata.name,
          uid: svc.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    addressType: 'IPv4',
    endpoints: running.map((p) => {
      const ready = isReady(p);
      return {
        addresses: [(p as Json)['status']['podIP']],
        conditions: { ready, serving: ready, terminating: false },
        nodeName: 'sandbox-node',
        targetRef: { kind: 'Pod', namespace: p.metadata.namespace, name: p.metadata.name, uid: p.metadata.uid },
      };
    }),
    ports: ports.map((p) => ({
      ...(p['name'] === undefined ? {} : { name: p['name'] }),
      port: first === undefined ? p['port'] : (targetPort(p, first) ?? p['port']),
      protocol: p['protocol'] ?? 'TCP',
    })),
  };
}
