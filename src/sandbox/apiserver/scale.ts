/** The `/scale` subresource: an autoscaling/v1 Scale view of an object's replicas. */
import type { Api, ObjectRef, PatchType, WriteOptions } from './api.js';
import { applyJsonPatch, mergePatch } from './patch.js';
import { jsonPath } from './table.js';
import type { ResourceType, ScaleSubresource } from './resource-type.js';
import { errors, fieldInvalid } from './status.js';
import type { KubeObject } from './store.js';

function setAt(obj: Record<string, unknown>, path: string, value: unknown): Record<string, unknown> {
  const [head, ...rest] = path.replace(/^\./, '').split('.');
  const key = head ?? '';
  if (rest.length === 0) return { ...obj, [key]: value };
  const child = (typeof obj[key] === 'object' && obj[key] !== null ? obj[key] : {}) as Record<string, unknown>;
  return { ...obj, [key]: setAt(child, rest.join('.'), value) };
}

function selectorString(obj: KubeObject, scale: ScaleSubresource): string {
  const fromStatus = scale.labelSelectorPath === undefined ? undefined : jsonPath(obj, scale.labelSelectorPath)[0];
  if (typeof fromStatus === 'string') return fromStatus;
  const match = jsonPath(obj, '.spec.selector.matchLabels')[0] as Record<string, string> | undefined;
  return Object.entries(match ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

export function scaleOf(t: ResourceType, obj: KubeObject): object {
  const scale = t.scale as ScaleSubresource;
  const { name, namespace, uid, resourceVersion, creationTimestamp } = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: jsonPath(obj, scale.specReplicasPath)[0] ?? 0 },
    status: { replicas: jsonPath(obj, scale.statusReplicasPath)[0] ?? 0, selector: selectorString(obj, scale) },
  };
}

/** Applies a new Scale (PUT body, or a patch of the current Scale) to the object. */
export function writeScale(
  api: Api,
  ref: ObjectRef,
  change: { put: unknown } | { patchType: PatchType; patch: unknown },
  opts: WriteOptions,
): object {
  const { type: t, namespace, name } = ref;
  const scale = t.scale;
  if (scale === undefined) throw errors.pathNotFound();
  const current = api.get(t, namespace, name);
  const view = scaleOf(t, current);
  let next: unknown;
  if ('put' in change) next = change.put;
  else if (change.patchType === 'json') next = applyJsonPatch(view, change.patch);
  else next = mergePatch(view, change.patch);
  const spec = next as { spec?: { replicas?: unknown }; metadata?: { resourceVersion?: string } } | undefined;
  const replicas = spec?.spec?.replicas;
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0)
    throw errors.invalid({ group: 'autoscaling', resource: 'scale', kind: 'Scale' }, name, [
      fieldInvalid('spec.replicas', replicas, 'must be greater than or equal to 0'),
    ]);
  const rv = spec?.metadata?.resourceVersion;
  const updated = setAt(current, scale.specReplicasPath, replicas) as KubeObject;
  const result = api.update(
    { type: t, namespace, name },
    { ...updated, metadata: { ...updated.metadata, resourceVersion: rv ?? current.metadata.resourceVersion } },
    opts,
  );
  return scaleOf(t, result.object);
}
