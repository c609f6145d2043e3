/** Kubernetes-standard pieces shared by both kinds: object metadata and status conditions. */
import { Type } from '@sinclair/typebox';
import {
  Obj,
  Str,
  StringMap,
  Int,
  Enum,
  DateTime,
  DNS_SUBDOMAIN_PATTERN,
  DNS_LABEL_PATTERN,
  type Static,
} from './kit.js';

/** Standard object metadata; only what Sluice checks is spelled out, the rest is Kubernetes'. */
export const ObjectMeta = Type.Object(
  {
    name: Str({ description: 'Object name.', pattern: DNS_SUBDOMAIN_PATTERN, maxLength: 253 }),
    namespace: Type.Optional(Str({ description: 'Namespace.', pattern: DNS_LABEL_PATTERN, maxLength: 63 })),
    generation: Type.Optional(
      Int({ description: 'Sequence number of the desired state, set by the API server.', minimum: 0 }),
    ),
    resourceVersion: Type.Optional(Str({ description: 'Version of the object, for optimistic concurrency.' })),
    uid: Type.Optional(Str({ description: 'Unique id of the object.' })),
    finalizers: Type.Optional(
      Type.Array(Str({ description: 'A finalizer.' }), {
        description: 'Finalizers that must be removed before the object is deleted.',
      }),
    ),
    annotations: Type.Optional(
      StringMap({
        description: 'Annotations, e.g. sluice.dev/github-repository, sluice.dev/commit and sluice.dev/pull-request.',
      }),
    ),
    labels: Type.Optional(StringMap({ description: 'Labels.' })),
  },
  { description: 'Standard object metadata.' },
);

/** metav1.Condition, as the Kubernetes API conventions define it. */
export const Condition = Obj(
  {
    type: Str({
      description: 'Type of the condition, in CamelCase.',
      maxLength: 316,
      pattern:
        '^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$',
    }),
    status: Enum(['True', 'False', 'Unknown'] as const, { description: 'Status of the condition.' }),
    observedGeneration: Type.Optional(
      Int({ description: 'The .metadata.generation the condition was set for.', minimum: 0 }),
    ),
    lastTransitionTime: DateTime({ description: 'When the condition last changed status.' }),
    reason: Str({
      description: 'Machine-readable reason for the last transition, in CamelCase (see docs/reasons.md).',
      minLength: 1,
      maxLength: 1024,
      pattern: '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$',
    }),
    message: Str({ description: 'Human-readable details of the last transition.', maxLength: 32768 }),
  },
  { description: 'A condition, per the Kubernetes API conventions.' },
);

export type Condition = Static<typeof Condition>;

/**
 * When the object started being deleted (metadata.deletionTimestamp, set by the API server;
 * client libraries type it differently — a string or a Date — so it is read loosely here, once).
 */
export function deletionTimestamp(o: { metadata?: unknown }): string | undefined {
  const t = (o.metadata as { deletionTimestamp?: unknown } | undefined)?.deletionTimestamp;
  if (t === undefined || t === null) return undefined;
  if (t instanceof Date) return t.toISOString();
  return typeof t === 'string' ? t : JSON.stringify(t);
}
