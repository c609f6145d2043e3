/**
 * Server-side apply (`application/apply-patch+yaml`): the applied configuration is merged into
 * the live object, fields the manager applied before but no longer applies are removed, and a
 * field another applier owns with a different value is a conflict unless forced. Ownership is
 * kept in `metadata.managedFields` as FieldsV1 (`f:` fields, `k:` keyed list items), as the
 * API server records it.
 */
import { parse } from 'yaml';
import { now } from './admission.js';
import { mergeKeyFor } from './patch.js';
import { apiVersionOf, type ResourceType, type Structural } from './resource-type.js';
import { ApiError, errors } from './status.js';
import type { KubeObject } from './store.js';

type JsonObject = Record<string, unknown>;
type Segment = string; // "f:name" or 'k:{"name":"x"}'

interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
  subresource?: string;
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Keys of a list at a dotted path: from the CRD schema, or the built-in merge keys. */
function listKeys(t: ResourceType, schemaPath: string, schema: Structural | undefined): string[] | undefined {
  if (schema !== undefined)
    return schema['x-kubernetes-list-type'] === 'map' ? schema['x-kubernetes-list-map-keys'] : undefined;
  if (t.custom) return undefined;
  const key = mergeKeyFor(schemaPath);
  return key === undefined || key === '$primitive' ? undefined : [key];
}

function childSchema(schema: Structural | undefined, key: string): Structural | undefined {
  if (schema === undefined) return undefined;
  return schema.properties?.[key] ?? (isObject(schema.additionalProperties) ? schema.additionalProperties : undefined);
}

/** Where `collect` is in the object: schema node, dotted path (no indices) and FieldsV1 segments. */
interface At {
  schema: Structural | undefined;
  dotted: string;
  prefix: Segment[];
}

/** Fields Kubernetes never records as owned: identity and server-set metadata. */
function skipped(prefix: Segment[], key: string): boolean {
  if (prefix.length === 0) return key === 'apiVersion' || key === 'kind';
  return (
    prefix.length === 1 &&
    prefix[0] === 'f:metadata' &&
    !['labels', 'annotations', 'finalizers', 'ownerReferences'].includes(key)
  );
}

/** The owned paths of an applied configuration, each a list of segments encoded as JSON. */
function collect(t: ResourceType, value: unknown, at: At, out: Set<string>): void {
  const { schema, dotted, prefix } = at;
  if (isObject(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) {
      if (!skipped(prefix, k))
        collect(
          t,
          v,
          {
            schema: childSchema(schema, k),
            dotted: dotted === '' ? k : `${dotted}.${k}`,
            prefix: [...prefix, `f:${k}`],
          },
          out,
        );
    }
    return;
  }
  const keys = Array.isArray(value) ? listKeys(t, dotted, schema) : undefined;
  if (!Array.isArray(value) || keys === undefined) {
    out.add(JSON.stringify(prefix));
    return;
  }
  for (const item of value) {
    if (!isObject(item)) continue;
    const seg = `k:${JSON.stringify(Object.fromEntries(keys.map((k) => [k, item[k]])))}`;
    out.add(JSON.stringify([...prefix, seg]));
    collect(t, item, { schema: schema?.items, dotted, prefix: [...prefix, seg] }, out);
  }
}

function toFieldsV1(paths: Set<string>): JsonObject {
  const root: JsonObject = {};
  for (const p of paths) {
    let node = root;
    for (const seg of JSON.parse(p) as Segment[]) node = (node[seg] ??= {}) as JsonObject;
  }
  return root;
}

function fromFieldsV1(fields: JsonObject, prefix: Segment[] = [], out = new Set<string>()): Set<string> {
  for (const [seg, child] of Object.entries(fields)) {
    if (seg === '.') continue;
    const path = [...prefix, seg];
    if (seg.startsWith('k:') || !isObject(child) || Object.keys(child).length === 0) out.add(JSON.stringify(path));
    if (isObject(child)) fromFieldsV1(child, path, out);
  }
  return out;
}

function matchesKey(item: unknown, seg: Segment): boolean {
  const key = JSON.parse(seg.slice(2)) as JsonObject;
  return isObject(item) && Object.entries(key).every(([k, v]) => item[k] === v);
}

function valueAt(obj: unknown, path: Segment[]): unknown {
  let node = obj;
  for (const seg of path) {
    if (seg.startsWith('f:')) node = isObject(node) ? node[seg.slice(2)] : undefined;
    else node = Array.isArray(node) ? node.find((i) => matchesKey(i, seg)) : undefined;
  }
  return node;
}

function removeAt(obj: unknown, path: Segment[]): void {
  const parent = valueAt(obj, path.slice(0, -1));
  const last = path[path.length - 1] ?? '';
  if (last.startsWith('f:') && isObject(parent)) delete parent[last.slice(2)];
  else if (Array.isArray(parent)) {
    const i = parent.findIndex((item) => matchesKey(item, last));
    if (i >= 0) parent.splice(i, 1);
  }
}

/** Merges the applied configuration into the live object. */
function merge(
  t: ResourceType,
  live: unknown,
  applied: unknown,
  schema: Structural | undefined,
  dotted: string,
): unknown {
  if (isObject(applied)) {
    const out: JsonObject = isObject(live) ? { ...live } : {};
    for (const [k, v] of Object.entries(applied))
      out[k] = merge(t, out[k], v, childSchema(schema, k), dotted === '' ? k : `${dotted}.${k}`);
    return out;
  }
  const keys = Array.isArray(applied) ? listKeys(t, dotted, schema) : undefined;
  if (Array.isArray(applied) && Array.isArray(live) && keys !== undefined) {
    const out = [...live];
    for (const item of applied) {
      const i = out.findIndex((l) => isObject(l) && isObject(item) && keys.every((k) => l[k] === item[k]));
      if (i >= 0) out[i] = merge(t, out[i], item, schema?.items, dotted);
      else out.push(item);
    }
    return out;
  }
  return structuredClone(applied);
}

function parseApplied(patch: unknown): KubeObject {
  let value = patch;
  if (typeof patch === 'string') {
    try {
      value = parse(patch);
    } catch (e) {
      throw errors.badRequest(`error decoding YAML: ${(e as Error).message}`);
    }
  }
  if (!isObject(value) || !isObject(value['metadata']))
    throw errors.badRequest('the applied configuration must be an object with metadata');
  return value as KubeObject;
}

function conflicts(
  entries: ManagedEntry[],
  manager: string,
  owned: Set<string>,
  live: KubeObject | undefined,
  applied: KubeObject,
): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.manager === manager || e.operation !== 'Apply') continue;
    for (const p of fromFieldsV1(e.fieldsV1)) {
      if (!owned.has(p)) continue;
      const path = JSON.parse(p) as Segment[];
      if (JSON.stringify(valueAt(live, path)) !== JSON.stringify(valueAt(applied, path)))
        out.push(
          `conflict with "${e.manager}": .${path.map((s) => (s.startsWith('f:') ? s.slice(2) : `[${s.slice(2)}]`)).join('.')}`,
        );
    }
  }
  return out;
}

/** The object to store after applying `patch` as `manager` (an ApiError on conflicts). */
export interface ApplyRequest {
  type: ResourceType;
  live: KubeObject | undefined;
  patch: unknown;
  manager: string;
  force: boolean;
  subresource?: 'status' | undefined;
}

export function serverSideApply(req: ApplyRequest): KubeObject {
  const { type: t, live, manager, force, subresource } = req;
  if (manager === '') throw errors.badRequest('PATCH, fieldManager is required for apply requests');
  const applied = parseApplied(req.patch);
  const owned = new Set<string>();
  collect(t, applied, { schema: t.schema, dotted: '', prefix: [] }, owned);
  const entries = ((live?.metadata.managedFields ?? []) as ManagedEntry[]).filter((e) => isObject(e));
  const clash = force ? [] : conflicts(entries, manager, owned, live, applied);
  if (clash.length > 0) {
    throw new ApiError(
      409,
      'Conflict',
      `Apply failed with ${clash.length} conflict${clash.length === 1 ? '' : 's'}: ${clash.join(', ')}`,
      {
        causes: clash.map((c) => ({ reason: 'FieldManagerConflict', message: c })),
      },
    );
  }
  const mine = entries.find((e) => e.manager === manager && e.operation === 'Apply');
  const others = new Set(entries.filter((e) => e !== mine).flatMap((e) => [...fromFieldsV1(e.fieldsV1)]));
  let next = merge(t, live === undefined ? {} : structuredClone(live), applied, t.schema, '') as KubeObject;
  for (const p of mine === undefined ? [] : fromFieldsV1(mine.fieldsV1)) {
    if (!owned.has(p) && !others.has(p)) removeAt(next, JSON.parse(p) as Segment[]);
  }
  const entry: ManagedEntry = {
    manager,
    operation: 'Apply',
    apiVersion: apiVersionOf(t),
    time: now(),
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(owned),
    ...(subresource === undefined ? {} : { subresource }),
  };
  const kept = entries
    .filter((e) => e !== mine)
    .map((e) =>
      force ? { ...e, fieldsV1: toFieldsV1(new Set([...fromFieldsV1(e.fieldsV1)].filter((p) => !owned.has(p)))) } : e,
    );
  next = { ...next, metadata: { ...next.metadata, managedFields: [...kept, entry] } };
  if (live !== undefined)
    next.metadata.resourceVersion = applied.metadata.resourceVersion ?? live.metadata.resourceVersion;
  return next;
}
