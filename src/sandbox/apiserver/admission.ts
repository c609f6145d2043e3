/**
 * What happens to an object on its way into storage: kind checks, schema (CRDs) or built-in
 * rules, defaults, system metadata, generation, and the status-subresource split.
 */
import { randomUUID } from 'node:crypto';
import { generateJobSelector } from './job-rules.js';
import { applyBuiltinDefaults, validateBuiltin, validateBuiltinUpdate, validateName } from './builtin-rules.js';
import { apiVersionOf, type ResourceType } from './resource-type.js';
import { errors, type StatusCause } from './status.js';
import type { KubeObject } from './store.js';
import { applySchema } from './structural.js';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface Admitted {
  object: KubeObject;
  warnings: string[];
}

interface Checked extends Admitted {
  causes: StatusCause[];
}

export function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The parts of an object other than metadata and status: what bumps the generation. */
function specOf(obj: KubeObject): string {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = obj;
  return JSON.stringify(rest);
}

/** Checks a request body's shape and identity against the URL it was sent to. */
export function checkIdentity(
  t: ResourceType,
  body: unknown,
  namespace: string | undefined,
  name: string | undefined,
): KubeObject {
  if (!isObject(body)) throw errors.badRequest(`the body of the request was not a ${t.kind} object`);
  const { apiVersion, kind } = body;
  if (apiVersion !== undefined && apiVersion !== apiVersionOf(t)) {
    throw errors.badRequest(
      `the API version in the data (${JSON.stringify(apiVersion)}) does not match the expected API version (${apiVersionOf(t)})`,
    );
  }
  if (kind !== undefined && kind !== t.kind)
    throw errors.badRequest(
      `${t.kind} in version "${t.version}" cannot be handled as a ${JSON.stringify(kind)}: kind mismatch`,
    );
  const meta = (isObject(body['metadata']) ? body['metadata'] : {}) as Partial<KubeObject['metadata']>;
  checkNames(meta, namespace, name, t.namespaced);
  return {
    ...body,
    apiVersion: apiVersionOf(t),
    kind: t.kind,
    metadata: { ...meta, name: meta.name ?? '', ...(t.namespaced ? { namespace } : {}) },
  };
}

function checkNames(
  meta: Partial<KubeObject['metadata']>,
  namespace: string | undefined,
  name: string | undefined,
  namespaced: boolean,
): void {
  const given = (v: unknown): v is string => typeof v === 'string' && v !== '';
  if (namespaced && given(meta.namespace) && namespace !== undefined && meta.namespace !== namespace) {
    throw errors.badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (name !== undefined && given(meta.name) && meta.name !== name) {
    throw errors.badRequest(`the name of the object (${meta.name}) does not match the name on the URL (${name})`);
  }
}

/** Schema/defaults/validation of the body (not of metadata), returning warnings for unknown fields. */
function validateBody(t: ResourceType, obj: KubeObject, fieldValidation: FieldValidation): Checked {
  const causes: StatusCause[] = [...validateName(t.kind, obj.metadata.name)];
  let object = obj;
  const warnings: string[] = [];
  if (t.schema !== undefined) {
    const result = applySchema(obj, t.schema);
    object = result.value as KubeObject;
    causes.push(...result.causes);
    if (result.unknown.length > 0) {
      if (fieldValidation === 'Strict') {
        throw errors.badRequest(
          `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${result.unknown.map((u) => `unknown field "${u}"`).join(', ')}`,
        );
      }
      if (fieldValidation === 'Warn') warnings.push(...result.unknown.map((u) => `unknown field "${u}"`));
    }
  } else {
    object = structuredClone(obj);
    applyBuiltinDefaults(object);
    causes.push(...validateBuiltin(object));
  }
  return { object, warnings, causes };
}

export function admitCreate(t: ResourceType, obj: KubeObject, fieldValidation: FieldValidation): Admitted {
  const meta = obj.metadata;
  if (meta.name === '' && typeof meta.generateName === 'string' && meta.generateName !== '') {
    obj = {
      ...obj,
      metadata: { ...meta, name: `${meta.generateName}${randomUUID().replaceAll('-', '').slice(0, 5)}` },
    };
  }
  const admitted = validateBody(t, obj, fieldValidation);
  if (admitted.causes.length > 0) throw errors.invalid(t, obj.metadata.name, admitted.causes);
  const { resourceVersion: _rv, deletionTimestamp: _d, ...rest } = admitted.object.metadata;
  const metadata = { ...rest, uid: randomUUID(), creationTimestamp: now(), ...(t.generation ? { generation: 1 } : {}) };
  const object = { ...admitted.object, metadata };
  return {
    object: t.group === 'batch' && t.kind === 'Job' ? generateJobSelector(object) : object,
    warnings: admitted.warnings,
  };
}

/**
 * An update of the main resource (status changes ignored when there is a status subresource) or
 * of `/status` (everything but status ignored).
 */
export function admitUpdate(
  t: ResourceType,
  obj: KubeObject,
  old: KubeObject,
  subresource: 'status' | undefined,
  fieldValidation: FieldValidation,
): Admitted {
  const admitted = validateBody(t, splitStatus(t, obj, old, subresource), fieldValidation);
  const causes = [
    ...admitted.causes,
    ...(t.schema === undefined ? validateBuiltinUpdate(admitted.object, old) : []),
    ...finalizerCauses(admitted.object, old),
  ];
  if (causes.length > 0) throw errors.invalid(t, old.metadata.name, causes);
  const keep = {
    uid: old.metadata.uid,
    creationTimestamp: old.metadata.creationTimestamp,
    deletionTimestamp: old.metadata.deletionTimestamp,
    deletionGracePeriodSeconds: old.metadata.deletionGracePeriodSeconds,
  };
  const metadata = subresource === 'status' ? { ...old.metadata } : { ...admitted.object.metadata, ...keep };
  for (const key of Object.keys(keep) as (keyof typeof keep)[]) if (metadata[key] === undefined) delete metadata[key];
  if (t.generation)
    metadata.generation = (old.metadata.generation ?? 1) + (specOf(admitted.object) !== specOf(old) ? 1 : 0);
  return { object: { ...admitted.object, metadata }, warnings: admitted.warnings };
}

/** The main resource ignores status changes, `/status` ignores everything else. */
function splitStatus(t: ResourceType, obj: KubeObject, old: KubeObject, subresource: 'status' | undefined): KubeObject {
  if (subresource === 'status') return { ...old, status: obj['status'] };
  const next = { ...obj };
  if (t.status) {
    if (old['status'] === undefined) delete next['status'];
    else next['status'] = old['status'];
  }
  if (t.kind === 'Service') carryClusterIp(next, old);
  return next;
}

function finalizerCauses(obj: KubeObject, old: KubeObject): StatusCause[] {
  const added = (obj.metadata.finalizers ?? []).filter((f) => !(old.metadata.finalizers ?? []).includes(f));
  if (old.metadata.deletionTimestamp === undefined || added.length === 0) return [];
  return [
    {
      reason: 'FieldValueForbidden',
      field: 'metadata.finalizers',
      message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
    },
  ];
}

function carryClusterIp(next: KubeObject, old: KubeObject): void {
  const spec = next['spec'] as Record<string, unknown> | undefined;
  const oldSpec = old['spec'] as Record<string, unknown> | undefined;
  if (spec !== undefined && spec['clusterIP'] === undefined && oldSpec?.['clusterIP'] !== undefined) {
    next['spec'] = { ...spec, clusterIP: oldSpec['clusterIP'], clusterIPs: oldSpec['clusterIPs'] };
  }
}
