/**
 * What the API server does with a custom resource and its CRD's structural schema: drop nulls
 * of non-nullable fields, apply defaults, prune (or report) unknown fields, then validate,
 * with field errors worded as Kubernetes words them.
 */
import { fieldInvalid, fieldRequired, fieldUnsupported, type StatusCause } from './status.js';
import type { Structural } from './resource-type.js';

type Json = unknown;
type JsonObject = Record<string, unknown>;

export interface SchemaResult {
  value: Json;
  causes: StatusCause[];
  /** Paths of fields not declared in the schema (pruned from value). */
  unknown: string[];
}

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(type: string, v: unknown): boolean {
  switch (type) {
    case 'object':
      return isObject(v);
    case 'array':
      return Array.isArray(v);
    case 'string':
      return typeof v === 'string';
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v);
    case 'number':
      return typeof v === 'number';
    case 'boolean':
      return typeof v === 'boolean';
    default:
      return true;
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function formatError(format: string | undefined, v: string): string | undefined {
  if (format === 'date-time' && !(RFC3339.test(v) && !Number.isNaN(Date.parse(v)))) return 'date-time';
  if (format === 'date' && !/^\d{4}-\d{2}-\d{2}$/.test(v)) return 'date';
  if (format === 'uri') {
    try {
      new URL(v);
    } catch {
      return 'uri';
    }
  }
  return undefined;
}

const regexCache = new Map<string, RegExp>();
function regex(pattern: string): RegExp {
  let r = regexCache.get(pattern);
  if (r === undefined) {
    r = new RegExp(pattern, 'u');
    regexCache.set(pattern, r);
  }
  return r;
}

class Walker {
  readonly causes: StatusCause[] = [];
  readonly unknown: string[] = [];

  node(value: Json, s: Structural, path: string): Json {
    if (value === null) return null;
    if (s['x-kubernetes-int-or-string'] === true) {
      if (typeof value !== 'string' && !(typeof value === 'number' && Number.isInteger(value))) {
        this.causes.push(
          fieldInvalid(path, value, `${path} in body must be of type integer,string: "${typeName(value)}"`),
        );
      }
      return value;
    }
    if (s.type !== undefined && !typeMatches(s.type, value)) {
      this.causes.push(
        fieldInvalid(path, typeName(value), `${path} in body must be of type ${s.type}: "${typeName(value)}"`),
      );
      return value;
    }
    if (Array.isArray(value)) return this.array(value, s, path);
    if (isObject(value)) return this.object(value, s, path);
    this.scalar(value, s, path);
    return value;
  }

  private scalar(value: Json, s: Structural, path: string): void {
    if (s.enum !== undefined && !s.enum.some((e) => e === value)) {
      this.causes.push(fieldUnsupported(path, value, s.enum));
    }
    if (typeof value === 'number') this.number(value, s, path);
    if (typeof value === 'string') this.string(value, s, path);
  }

  private number(value: number, s: Structural, path: string): void {
    if (s.maximum !== undefined && (s.exclusiveMaximum === true ? value >= s.maximum : value > s.maximum)) {
      this.causes.push(
        fieldInvalid(
          path,
          value,
          `${path} in body should be less than ${s.exclusiveMaximum === true ? '' : 'or equal to '}${s.maximum}`,
        ),
      );
    }
    if (s.minimum !== undefined && (s.exclusiveMinimum === true ? value <= s.minimum : value < s.minimum)) {
      this.causes.push(
        fieldInvalid(
          path,
          value,
          `${path} in body should be greater than ${s.exclusiveMinimum === true ? '' : 'or equal to '}${s.minimum}`,
        ),
      );
    }
  }

  private string(value: string, s: Structural, path: string): void {
    const length = Array.from(value).length;
    if (s.maxLength !== undefined && length > s.maxLength)
      this.causes.push({
        reason: 'FieldValueTooLong',
        field: path,
        message: `Too long: may not be more than ${s.maxLength} bytes`,
      });
    if (s.minLength !== undefined && length < s.minLength)
      this.causes.push(fieldInvalid(path, value, `${path} in body should be at least ${s.minLength} chars long`));
    if (s.pattern !== undefined && !regex(s.pattern).test(value))
      this.causes.push(fieldInvalid(path, value, `${path} in body should match '${s.pattern}'`));
    const badFormat = formatError(s.format, value);
    if (badFormat !== undefined)
      this.causes.push(
        fieldInvalid(path, value, `${path} in body must be of type ${badFormat}: ${JSON.stringify(value)}`),
      );
  }

  private array(value: Json[], s: Structural, path: string): Json[] {
    if (s.maxItems !== undefined && value.length > s.maxItems)
      this.causes.push({
        reason: 'FieldValueTooMany',
        field: path,
        message: `Too many: ${value.length}: must have at most ${s.maxItems} items`,
      });
    if (s.minItems !== undefined && value.length < s.minItems)
      this.causes.push(fieldInvalid(path, value.length, `${path} in body should have at least ${s.minItems} items`));
    const items = s.items;
    const out =
      items === undefined
        ? value
        : value
            .filter((v) => !(v === null && items.nullable !== true))
            .map((v, i) => this.node(defaulted(v, items), items, `${path}[${i}]`));
    this.listType(out, s, path);
    return out;
  }

  private listType(value: Json[], s: Structural, path: string): void {
    const listType = s['x-kubernetes-list-type'];
    if (listType !== 'set' && listType !== 'map') return;
    const keys = s['x-kubernetes-list-map-keys'] ?? [];
    const seen = new Set<string>();
    value.forEach((item, i) => {
      const key =
        listType === 'set'
          ? JSON.stringify(item)
          : JSON.stringify(keys.map((k) => (isObject(item) ? item[k] : undefined)));
      if (seen.has(key))
        this.causes.push({
          reason: 'FieldValueDuplicate',
          field: `${path}[${i}]`,
          message: `Duplicate value: ${listType === 'set' ? JSON.stringify(item) : `map[string]interface {}{${keys.map((k) => `"${k}":${JSON.stringify(isObject(item) ? item[k] : null)}`).join(', ')}}`}`,
        });
      seen.add(key);
    });
  }

  /** Fields kept without a schema: preserve-unknown-fields, or the identity of an embedded resource. */
  private keepsUnknown(s: Structural, key: string): boolean {
    if (s['x-kubernetes-preserve-unknown-fields'] === true || s.additionalProperties === true) return true;
    return s['x-kubernetes-embedded-resource'] === true && ['apiVersion', 'kind', 'metadata'].includes(key);
  }

  private object(value: JsonObject, s: Structural, path: string): JsonObject {
    const out: JsonObject = {};
    const at = (key: string): string => (path === '' ? key : `${path}.${key}`);
    for (const [key, child] of Object.entries(value)) {
      const childSchema =
        s.properties?.[key] ?? (isObject(s.additionalProperties) ? s.additionalProperties : undefined);
      if (childSchema === undefined) {
        if (this.keepsUnknown(s, key)) out[key] = child;
        else this.unknown.push(at(key));
      } else if (child !== null || childSchema.nullable === true) out[key] = this.node(child, childSchema, at(key));
    }
    for (const [key, childSchema] of Object.entries(s.properties ?? {})) {
      if (out[key] === undefined && childSchema.default !== undefined)
        out[key] = this.node(defaulted(structuredClone(childSchema.default), childSchema), childSchema, at(key));
    }
    this.checkPresence(out, s, path);
    return out;
  }

  private checkPresence(out: JsonObject, s: Structural, path: string): void {
    for (const key of s.required ?? [])
      if (out[key] === undefined) this.causes.push(fieldRequired(path === '' ? key : `${path}.${key}`));
    const count = Object.keys(out).length;
    if (s.maxProperties !== undefined && count > s.maxProperties)
      this.causes.push({
        reason: 'FieldValueTooMany',
        field: path,
        message: `Too many: ${count}: must have at most ${s.maxProperties} items`,
      });
    if (s.minProperties !== undefined && count < s.minProperties)
      this.causes.push(fieldInvalid(path, count, `${path} in body should have at least ${s.minProperties} properties`));
    this.checkOneOf(out, s, path);
  }

  /** `oneOf` branches of value validations (here: which fields are required), as kube-openapi words a failure. */
  private checkOneOf(out: JsonObject, s: Structural, path: string): void {
    if (s.oneOf === undefined) return;
    const valid = s.oneOf.filter((b) => (b.required ?? []).every((k) => out[k] !== undefined)).length;
    if (valid === 1) return;
    const found = valid === 0 ? 'Found none valid' : `Found ${valid} valid alternatives`;
    this.causes.push(
      fieldInvalid(
        path,
        out,
        `${path === '' ? '<root>' : path} in body must validate one and only one schema (oneOf). ${found}`,
      ),
    );
  }
}

/** Applies nested defaults to a value that was itself just defaulted (e.g. `default: {}`). */
function defaulted(value: Json, s: Structural): Json {
  if (!isObject(value) || s.properties === undefined) return value;
  const out: JsonObject = { ...value };
  for (const [key, child] of Object.entries(s.properties)) {
    if (out[key] === undefined && child.default !== undefined)
      out[key] = defaulted(structuredClone(child.default), child);
  }
  return out;
}

/**
 * Runs an object through its CRD schema. apiVersion, kind and metadata are the API server's;
 * everything else is pruned, defaulted and validated.
 */
export function applySchema(obj: JsonObject, schema: Structural): SchemaResult {
  const w = new Walker();
  const { apiVersion, kind, metadata, ...rest } = obj;
  const rootSchema: Structural = { ...schema, properties: { ...(schema.properties ?? {}) } };
  delete rootSchema.properties?.['apiVersion'];
  delete rootSchema.properties?.['kind'];
  delete rootSchema.properties?.['metadata'];
  rootSchema.required = (schema.required ?? []).filter((r) => !['apiVersion', 'kind', 'metadata'].includes(r));
  const body = w.node(rest, rootSchema, '') as JsonObject;
  return { value: { apiVersion, kind, metadata, ...body }, causes: w.causes, unknown: w.unknown };
}
