/**
 * Building blocks for the API schema. Every helper takes a description, because every field of
 * a CRD must carry one (docs/api.md and `kubectl explain` are generated from them), and every
 * helper emits only constructs that are legal in a structural Kubernetes schema.
 */
import {
  Type,
  type Static,
  type TSchema,
  type TObject,
  type TProperties,
  type TArray,
  type TString,
  type TInteger,
  type TBoolean,
  type TNumber,
  type TUnsafe,
} from '@sinclair/typebox';

export type { Static, TSchema };

/** Go-style duration: one or more number+unit pairs, e.g. `30s`, `1m30s`, `1.5h`, `250ms`. */
export const DURATION_PATTERN = '^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$';
/** A decimal number, or one `{{ args.NAME }}` placeholder filled in from an analysis arg. */
export const NUMBER_OR_ARG_PATTERN =
  '^\\s*(-?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?|\\{\\{\\s*args\\.[A-Za-z][A-Za-z0-9_]*\\s*\\}\\})\\s*$';
/** RFC 1123 label (Kubernetes object names of Services and most resources). */
export const DNS_LABEL_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$';
/** RFC 1035 label (Service names: must start with a letter). */
export const DNS_1035_LABEL_PATTERN = '^[a-z]([-a-z0-9]*[a-z0-9])?$';
/** RFC 1123 subdomain (names of most Kubernetes objects). */
export const DNS_SUBDOMAIN_PATTERN = '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$';
/** Analysis arg names: usable as `{{ args.NAME }}`. */
export const ARG_NAME_PATTERN = '^[A-Za-z][A-Za-z0-9_]*$';

/** What each pattern means, for error messages a person can act on. */
export const PATTERN_HINTS: Readonly<Record<string, string>> = {
  [DURATION_PATTERN]: 'must be a duration such as 30s, 5m, 1h30m or 250ms',
  [NUMBER_OR_ARG_PATTERN]: 'must be a number in quotes (e.g. "0.01") or "{{ args.NAME }}"',
  [DNS_LABEL_PATTERN]:
    'must be a DNS label: lower-case letters, digits and "-", starting and ending with a letter or digit',
  [DNS_1035_LABEL_PATTERN]: 'must be a DNS-1035 label: lower-case letters, digits and "-", starting with a letter',
  [DNS_SUBDOMAIN_PATTERN]:
    'must be a DNS subdomain: lower-case letters, digits, "-" and ".", starting and ending with a letter or digit',
  [ARG_NAME_PATTERN]: 'must start with a letter and contain only letters, digits and "_"',
};

interface Doc {
  description: string;
}

/** An object whose unknown fields are errors in `sluice lint` (and pruned by the API server). */
export function Obj<P extends TProperties>(
  properties: P,
  opts: Doc & { minProperties?: number; maxProperties?: number; oneOf?: { required: string[] }[] },
): TObject<P> {
  return Type.Object(properties, { ...opts, additionalProperties: false });
}

export function Str(
  opts: Doc & { pattern?: string; minLength?: number; maxLength?: number; default?: string; format?: string },
): TString {
  return Type.String(opts);
}

export function Int(opts: Doc & { minimum?: number; maximum?: number; default?: number }): TInteger {
  return Type.Integer({ format: 'int32', ...opts });
}

export function Num(opts: Doc & { minimum?: number; maximum?: number; default?: number }): TNumber {
  return Type.Number(opts);
}

export function Bool(opts: Doc & { default?: boolean }): TBoolean {
  return Type.Boolean(opts);
}

export function List<T extends TSchema>(
  items: T,
  opts: Doc & { minItems?: number; maxItems?: number; listType?: 'atomic' | 'set' | 'map'; mapKeys?: string[] },
): TArray<T> {
  const { listType, mapKeys, ...rest } = opts;
  const markers: Record<string, unknown> = {};
  if (listType !== undefined) markers['x-kubernetes-list-type'] = listType;
  if (mapKeys !== undefined) markers['x-kubernetes-list-map-keys'] = mapKeys;
  return Type.Array(items, { ...rest, ...markers });
}

export function Duration(opts: Doc & { default?: string }): TString {
  return Type.String({ ...opts, pattern: DURATION_PATTERN });
}

/** A number written as a string (so that it can also be `{{ args.NAME }}`). */
export function NumberOrArg(opts: Doc): TString {
  return Type.String({ ...opts, pattern: NUMBER_OR_ARG_PATTERN });
}

export function DateTime(opts: Doc): TString {
  return Type.String({ ...opts, format: 'date-time' });
}

/** One of a closed set of strings. */
export function Enum<const T extends readonly string[]>(
  values: T,
  opts: Doc & { default?: T[number] },
): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...opts });
}

/** A string-to-string map (labels, headers). */
export function StringMap(opts: Doc): TUnsafe<Record<string, string>> {
  return Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' }, ...opts });
}

/** A map from free-form keys to objects of one schema (e.g. header name -> string match). */
export function MapOf<T extends TSchema>(values: T, opts: Doc): TUnsafe<Record<string, Static<T>>> {
  return Type.Unsafe<Record<string, Static<T>>>({ type: 'object', additionalProperties: values, ...opts });
}

/** Kubernetes IntOrString (e.g. a port number or a port name). */
export function IntOrString(opts: Doc): TUnsafe<number | string> {
  return Type.Unsafe<number | string>({
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    ...opts,
  });
}

export { Optional } from '@sinclair/typebox';
