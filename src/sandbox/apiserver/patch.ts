/**
 * The patch formats of the Kubernetes API: JSON merge patch (RFC 7386), JSON patch (RFC 6902,
 * via fast-json-patch) and strategic merge patch for built-in kinds (lists merged by their
 * patch merge key, `$patch` / `$setElementOrder` / `$retainKeys` / `$deleteFromPrimitiveList`
 * directives).
 */
import jsonPatch from 'fast-json-patch';
import { ApiError, errors } from './status.js';

type Json = unknown;
type JsonObject = Record<string, unknown>;

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 7386: objects merge, null deletes, everything else replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

/** RFC 6902. Errors (a failed `test`, a missing path) are 422s, as the API server answers them. */
export function applyJsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch))
    throw errors.badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    const ops = patch as jsonPatch.Operation[];
    const invalid: unknown = jsonPatch.validate(ops, target);
    if (invalid !== undefined) throw invalid as Error;
    return jsonPatch.applyPatch(structuredClone(target), ops, false, true).newDocument;
  } catch (e) {
    if (e instanceof ApiError) throw e;
    throw errors.invalidPatch(((e as Error).message || 'the patch cannot be applied').split('\n')[0] ?? '');
  }
}

/** Patch merge keys of the built-in kinds, by the path of the list (`*` for any map key). */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  'spec.template.spec.containers': 'name',
  'spec.template.spec.initContainers': 'name',
  'spec.template.spec.volumes': 'name',
  'spec.template.spec.imagePullSecrets': 'name',
  'spec.template.spec.containers.env': 'name',
  'spec.template.spec.containers.ports': 'containerPort',
  'spec.template.spec.containers.volumeMounts': 'mountPath',
  'spec.template.spec.containers.envFrom': '',
  'spec.template.spec.initContainers.env': 'name',
  'spec.template.spec.initContainers.ports': 'containerPort',
  'spec.template.spec.initContainers.volumeMounts': 'mountPath',
  'spec.template.spec.tolerations': '',
  'spec.containers': 'name',
  'spec.initContainers': 'name',
  'spec.volumes': 'name',
  'spec.containers.env': 'name',
  'spec.containers.ports': 'containerPort',
  'spec.containers.volumeMounts': 'mountPath',
  'spec.initContainers.env': 'name',
  'spec.ports': 'port',
  'metadata.ownerReferences': 'uid',
  'metadata.finalizers': '$primitive',
  'status.conditions': 'type',
  subsets: '',
};

/** The patch merge key of the list at a dotted path (`$primitive` for sets of scalars). */
export function mergeKeyFor(path: string): string | undefined {
  const key = MERGE_KEYS[path];
  return key === '' ? undefined : key;
}

function withoutDirectives(obj: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) if (!k.startsWith('$')) out[k] = v;
  return out;
}

function strategicList(path: string, target: unknown, patch: unknown[]): unknown[] {
  const key = mergeKeyFor(path);
  if (key === '$primitive') {
    const current = Array.isArray(target) ? [...(target as unknown[])] : [];
    for (const v of patch) if (!current.includes(v)) current.push(v);
    return current;
  }
  if (key === undefined || !Array.isArray(target)) return patch.map((v) => (isObject(v) ? withoutDirectives(v) : v));
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace'))
    return patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace'));
  const out = [...(target as unknown[])];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = out.findIndex((t) => isObject(t) && t[key] === item[key]);
    if (item['$patch'] === 'delete') {
      if (index >= 0) out.splice(index, 1);
    } else if (index >= 0) out[index] = strategicMerge(out[index], item, path);
    else out.push(strategicMerge({}, item, path));
  }
  return out;
}

function applyOrder(list: unknown[], order: unknown[], key: string | undefined): unknown[] {
  const keyOf = (v: unknown): unknown => (key !== undefined && isObject(v) ? v[key] : v);
  const ordered: unknown[] = [];
  for (const o of order) {
    const found = list.find((v) => keyOf(v) === keyOf(o));
    if (found !== undefined) ordered.push(found);
  }
  return [...ordered, ...list.filter((v) => !ordered.includes(v))];
}

function applyListDirectives(out: JsonObject, patch: JsonObject, path: string): void {
  for (const [k, v] of Object.entries(patch)) {
    const order = /^\$setElementOrder\/(.+)$/.exec(k);
    if (order !== null && Array.isArray(v) && Array.isArray(out[order[1] ?? ''])) {
      const field = order[1] ?? '';
      out[field] = applyOrder(out[field] as unknown[], v, mergeKeyFor(path === '' ? field : `${path}.${field}`));
    }
    const del = /^\$deleteFromPrimitiveList\/(.+)$/.exec(k);
    if (del !== null && Array.isArray(v) && Array.isArray(out[del[1] ?? ''])) {
      out[del[1] ?? ''] = (out[del[1] ?? ''] as unknown[]).filter((x) => !v.includes(x));
    }
  }
}

/** Strategic merge patch; `path` is the dotted path of `target` in the object. */
export function strategicMerge(target: Json, patch: Json, path = ''): Json {
  if (!isObject(patch)) return patch;
  if (patch['$patch'] === 'replace') return withoutDirectives(patch);
  if (patch['$patch'] === 'delete') return undefined;
  let out: JsonObject = isObject(target) ? { ...target } : {};
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) out = Object.fromEntries(Object.entries(out).filter(([k]) => retain.includes(k)));
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$')) continue;
    const childPath = path === '' ? key : `${path}.${key}`;
    if (value === null) delete out[key];
    else if (Array.isArray(value)) out[key] = strategicList(childPath, out[key], value);
    else if (isObject(value)) {
      const merged = strategicMerge(out[key], value, childPath);
      if (merged === undefined) delete out[key];
      else out[key] = merged;
    } else out[key] = value;
  }
  applyListDirectives(out, patch, path);
  return out;
}
