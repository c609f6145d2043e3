/** Pods as the kubelet would run them: created Pending, Running and Ready after a delay, or never ready. */
import { createHash, randomBytes } from 'node:crypto';
import type { KubeObject } from '../apiserver/store.js';

type Json = Record<string, any>;

export const TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** A stable short hash of a pod template, like the Deployment controller's pod-template-hash. */
export function templateHash(template: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(template ?? {}))
    .digest('hex')
    .slice(0, 10);
}

export function randomSuffix(): string {
  const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
  return Array.from(randomBytes(5), (b) => alphabet[b % alphabet.length]).join('');
}

/** The env of the pod's containers, first value wins. */
export function podEnv(pod: KubeObject): Record<string, string> {
  const env: Record<string, string> = {};
  for (const c of ((pod as Json)['spec']?.['containers'] ?? []) as Json[]) {
    for (const e of (c['env'] ?? []) as Json[])
      if (typeof e['name'] === 'string' && typeof e['value'] === 'string' && !(e['name'] in env))
        env[e['name']] = e['value'];
  }
  return env;
}

export function isReady(pod: KubeObject): boolean {
  const conditions = ((pod as Json)['status']?.['conditions'] ?? []) as Json[];
  return conditions.some((c) => c['type'] === 'Ready' && c['status'] === 'True');
}

export function newPod(rs: KubeObject, nowIso: string): KubeObject {
  const template = ((rs as Json)['spec']?.['template'] ?? {}) as Json;
  const labels = { ...(template['metadata']?.['labels'] ?? {}) } as Record<string, string>;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `${rs.metadata.name}-${randomSuffix()}`,
      namespace: rs.metadata.namespace ?? 'default',
      labels,
      ...(template['metadata']?.['annotations'] === undefined
        ? {}
        : { annotations: template['metadata']['annotations'] }),
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: rs.metadata.name,
          uid: rs.metadata.uid ?? '',
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: { ...(template['spec'] ?? {}), nodeName: 'sandbox-node' },
    status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: nowIso }] },
  };
}

let nextIp = 1;

/** The status of a started pod: Running, ready unless its env says SANDBOX_NOT_READY=true. */
export function startedStatus(pod: KubeObject, nowIso: string): Json {
  const ready = podEnv(pod)['SANDBOX_NOT_READY'] !== 'true';
  const n = nextIp++;
  const ip = `10.244.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
  const containers = ((pod as Json)['spec']?.['containers'] ?? []) as Json[];
  const condition = (type: string, status: boolean): Json => ({
    type,
    status: status ? 'True' : 'False',
    lastTransitionTime: nowIso,
    ...(status ? {} : { reason: 'ContainersNotReady', message: 'containers with unready status' }),
  });
  return {
    phase: 'Running',
    hostIP: '10.0.0.10',
    podIP: ip,
    podIPs: [{ ip }],
    startTime: nowIso,
    conditions: [
      condition('Initialized', true),
      condition('Ready', ready),
      condition('ContainersReady', ready),
      condition('PodScheduled', true),
    ],
    containerStatuses: containers.map((c) => ({
      name: c['name'],
      image: c['image'],
      imageID: `${String(c['image'])}@sha256:sandbox`,
      ready,
      started: true,
      restartCount: 0,
      state: { running: { startedAt: nowIso } },
    })),
  };
}
