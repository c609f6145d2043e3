/** Deployment status as the Deployment controller computes it, including the progress deadline. */
import { now } from '../apiserver/admission.js';

type Json = Record<string, any>;

/** When each Deployment (by uid) last made progress, and what its progress looked like then. */
export type ProgressClock = Map<string, { signature: string; since: number }>;

interface Condition {
  type: string;
  status: 'True' | 'False';
  reason: string;
  message: string;
  lastUpdateTime?: string;
  lastTransitionTime?: string;
}

/** Keeps timestamps of conditions that did not change, so that an unchanged status is byte-identical. */
function stamp(next: Condition, previous: Json[] | undefined, at: string): Condition {
  const prev: Json | undefined = previous?.find((c) => c['type'] === next.type);
  if (prev === undefined) return { ...next, lastUpdateTime: at, lastTransitionTime: at };
  const sameStatus = prev['status'] === next.status;
  const same = sameStatus && prev['reason'] === next.reason && prev['message'] === next.message;
  return {
    ...next,
    lastUpdateTime: same ? (prev['lastUpdateTime'] as string) : at,
    lastTransitionTime: sameStatus ? (prev['lastTransitionTime'] as string) : at,
  };
}

function sum(sets: Json[], field: string): number {
  return sets.reduce((n, rs) => n + ((rs['status']?.[field] ?? 0) as number), 0);
}

function maxUnavailable(d: Json, desired: number): number {
  const value = d['spec']?.['strategy']?.['rollingUpdate']?.['maxUnavailable'] ?? '25%';
  if (typeof value === 'number') return value;
  const pct = /^(\d+)%$/.exec(String(value));
  return pct === null ? 0 : Math.floor((desired * Number(pct[1])) / 100);
}

/** Milliseconds since the rollout's counts last changed. */
function sinceProgress(clock: ProgressClock, uid: string, signature: string): number {
  const t = Date.now();
  const tracked = clock.get(uid);
  if (tracked?.signature === signature) return t - tracked.since;
  clock.set(uid, { signature, since: t });
  return 0;
}

function progressingCondition(rsName: string, complete: boolean, pastDeadline: boolean): Condition {
  if (complete)
    return {
      type: 'Progressing',
      status: 'True',
      reason: 'NewReplicaSetAvailable',
      message: `ReplicaSet "${rsName}" has successfully progressed.`,
    };
  if (pastDeadline)
    return {
      type: 'Progressing',
      status: 'False',
      reason: 'ProgressDeadlineExceeded',
      message: `ReplicaSet "${rsName}" has timed out progressing.`,
    };
  return {
    type: 'Progressing',
    status: 'True',
    reason: 'ReplicaSetUpdated',
    message: `ReplicaSet "${rsName}" is progressing.`,
  };
}

export function deploymentStatus(d: Json, current: Json, olds: Json[], clock: ProgressClock): Json {
  const desired = (d['spec']?.['replicas'] ?? 1) as number;
  const all = [current, ...olds];
  const replicas = sum(all, 'replicas');
  const updated = (current['status']?.['replicas'] ?? 0) as number;
  const ready = sum(all, 'readyReplicas');
  const available = sum(all, 'availableReplicas');
  const rsName = current['metadata']['name'] as string;
  const complete = updated === desired && replicas === desired && available === desired;
  const stalledMs = sinceProgress(
    clock,
    d['metadata']['uid'] as string,
    JSON.stringify([rsName, desired, replicas, updated, available]),
  );
  const deadlineMs = ((d['spec']?.['progressDeadlineSeconds'] ?? 600) as number) * 1000;
  const previous = d['status']?.['conditions'] as Json[] | undefined;
  const at = now();
  const progressing = progressingCondition(rsName, complete, stalledMs > deadlineMs);
  const availableOk = available >= desired - maxUnavailable(d, desired);
  const availableCondition: Condition = availableOk
    ? {
        type: 'Available',
        status: 'True',
        reason: 'MinimumReplicasAvailable',
        message: 'Deployment has minimum availability.',
      }
    : {
        type: 'Available',
        status: 'False',
        reason: 'MinimumReplicasUnavailable',
        message: 'Deployment does not have minimum availability.',
      };
  return {
    observedGeneration: d['metadata']['generation'] ?? 1,
    replicas,
    updatedReplicas: updated,
    readyReplicas: ready,
    availableReplicas: available,
    ...(desired - available > 0 ? { unavailableReplicas: desired - available } : {}),
    conditions: [stamp(availableCondition, previous, at), stamp(progressing, previous, at)],
  };
}
