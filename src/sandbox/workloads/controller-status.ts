/**
 * What the sandbox's controllers (HPA, KEDA) share when they write an object's status as
 * Kubernetes controllers do: conditions keep their lastTransitionTime while their status stays,
 * and an unchanged status is not written (no watch event, no resourceVersion change).
 */
import type { Api } from '../apiserver/api.js';
import type { ResourceType } from '../apiserver/resource-type.js';

type Json = Record<string, any>;

export type ConditionOf = (type: string, status: string, reason: string, message: string) => Json;

/** Now as Kubernetes writes times (to the second). */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/** Makes conditions against the object's previous status: the transition time moves only when the status does. */
export function conditionsSince(previous: Json, nowIso: string): ConditionOf {
  return (type, status, reason, message) => {
    const before = ((previous['conditions'] ?? []) as Json[]).find((c) => c['type'] === type);
    const transition = before?.['status'] === status ? (before['lastTransitionTime'] as string) : nowIso;
    return { type, status, reason, message, lastTransitionTime: transition };
  };
}

/** Writes `status` through the status subresource, unless the object has it already. */
export function writeStatusIfChanged(api: Api, type: ResourceType, obj: Json, status: Json): void {
  if (JSON.stringify(status) === JSON.stringify(obj['status'] ?? {})) return;
  api.update(
    {
      type,
      namespace: obj['metadata']['namespace'] as string,
      name: obj['metadata']['name'] as string,
      subresource: 'status',
    },
    { ...obj, status },
  );
}
