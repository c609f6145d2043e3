/**
 * Schema validation of Sluice objects with ajv, against the same TypeBox schemas the CRDs are
 * generated from. Errors come back as Problems with a field path and a message a person can act
 * on (ajv's own wording is for programmers).
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { Rollout } from './schema/rollout.js';
import { AnalysisTemplate, ClusterAnalysisTemplate } from './schema/analysis-template.js';
import { PATTERN_HINTS } from './schema/kit.js';
import { error, type PathSegment, type Problem } from './problem.js';

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function listItemsUnique(listType: unknown, keys: unknown, data: unknown): boolean {
  if (!Array.isArray(data)) return true;
  const seen = new Set<string>();
  for (const item of data as unknown[]) {
    let key: string;
    if (listType === 'set') key = JSON.stringify(item);
    else if (listType === 'map' && Array.isArray(keys) && typeof item === 'object' && item !== null) {
      key = JSON.stringify((keys as string[]).map((k) => (item as Record<string, unknown>)[k]));
    } else continue;
    if (seen.has(key)) return false;
    seen.add(key);
  }
  return true;
}

function createAjv(): Ajv {
  // strictRequired off: a metric's oneOf branches name fields (query, web, job) defined beside them
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false, verbose: true });
  ajv.addKeyword({ keyword: 'x-kubernetes-int-or-string' });
  ajv.addKeyword({ keyword: 'x-kubernetes-list-map-keys' });
  ajv.addKeyword({ keyword: 'x-kubernetes-preserve-unknown-fields' });
  ajv.addKeyword({
    keyword: 'x-kubernetes-list-type',
    schemaType: 'string',
    validate: function uniqueList(
      this: unknown,
      listType: unknown,
      data: unknown,
      parentSchema?: Record<string, unknown>,
    ): boolean {
      return listItemsUnique(listType, parentSchema?.['x-kubernetes-list-map-keys'], data);
    },
  });
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31,
  });
  ajv.addFormat('date-time', {
    type: 'string',
    validate: (s: string) => RFC3339.test(s) && !Number.isNaN(Date.parse(s)),
  });
  ajv.addFormat('uri', {
    type: 'string',
    validate: (s: string) => {
      try {
        const url = new URL(s);
        return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
      } catch {
        return false;
      }
    },
  });
  return ajv;
}

let compiled: ReturnType<typeof validators> | undefined;

function validators(): { rollout: ValidateFunction; template: ValidateFunction; clusterTemplate: ValidateFunction } {
  compiled ??= (() => {
    const ajv = createAjv();
    return {
      rollout: ajv.compile(Rollout),
      template: ajv.compile(AnalysisTemplate),
      clusterTemplate: ajv.compile(ClusterAnalysisTemplate),
    };
  })();
  return compiled;
}

/** ajv's instancePath ("/spec/steps/0") as segments, numbers where the data is an array. */
function segments(instancePath: string, root: unknown): PathSegment[] {
  if (instancePath === '') return [];
  const out: PathSegment[] = [];
  let node: unknown = root;
  for (const raw of instancePath.slice(1).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (Array.isArray(node)) {
      out.push(Number(key));
      node = (node as unknown[])[Number(key)];
    } else {
      out.push(key);
      node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined;
    }
  }
  return out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return value.length > 40 ? `"${value.slice(0, 40)}..."` : JSON.stringify(value);
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  return bestScore <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return 99;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++)
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    prev = cur;
  }
  return prev[b.length] ?? 99;
}

function propertyNames(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props === undefined ? [] : Object.keys(props);
}

/** The fields of which a `oneOf` of `required` branches asks for exactly one. */
function oneOfFields(schema: Record<string, unknown> | undefined): string[] {
  const branches = (schema?.['oneOf'] ?? []) as { required?: string[] }[];
  return branches.flatMap((b) => b.required ?? []);
}

/* eslint-disable-next-line complexity -- one case per ajv keyword reads best as a flat switch */
function toProblem(e: ErrorObject, root: unknown): Problem {
  const path = segments(e.instancePath, root);
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return error([...path, String(params['missingProperty'])], 'is required');
    case 'additionalProperties': {
      const field = String(params['additionalProperty']);
      const guess = closest(field, propertyNames(e.parentSchema));
      return error(
        [...path, field],
        `unknown field${guess === undefined ? '' : ` (did you mean "${guess}"?)`}; known fields: ${propertyNames(e.parentSchema).join(', ')}`,
      );
    }
    case 'type': {
      const hint = PATTERN_HINTS[String(e.parentSchema?.['pattern'])];
      if (hint !== undefined) return error(path, `${hint}, not ${describe(e.data)}`);
      return error(
        path,
        `must be ${params['type'] === 'integer' ? 'an integer' : `a ${String(params['type'])}`}, not ${describe(e.data)}`,
      );
    }
    case 'enum':
      return error(
        path,
        `must be one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, not ${describe(e.data)}`,
      );
    case 'pattern':
      return error(
        path,
        `${PATTERN_HINTS[String(params['pattern'])] ?? `must match ${String(params['pattern'])}`}, not ${describe(e.data)}`,
      );
    case 'minimum':
    case 'maximum':
      return error(
        path,
        `must be ${e.keyword === 'minimum' ? 'at least' : 'at most'} ${String(params['limit'])}, not ${describe(e.data)}`,
      );
    case 'minLength':
      return error(path, `must not be shorter than ${String(params['limit'])} characters`);
    case 'maxLength':
      return error(path, `must not be longer than ${String(params['limit'])} characters`);
    case 'minItems':
      return error(path, `needs at least ${String(params['limit'])} item(s)`);
    case 'maxItems':
      return error(path, `may have at most ${String(params['limit'])} items`);
    case 'minProperties':
    case 'maxProperties':
      return error(path, `must set exactly one of ${propertyNames(e.parentSchema).join(', ')}`);
    case 'format':
      return error(path, formatHint(String(params['format']), e.data));
    case 'anyOf':
      return error(path, `must be an integer or a string, not ${describe(e.data)}`);
    case 'oneOf':
      return error(path, `must set exactly one of ${oneOfFields(e.parentSchema).join(', ')}`);
    case 'x-kubernetes-list-type': {
      const keys: unknown = e.parentSchema?.['x-kubernetes-list-map-keys'];
      return error(
        path,
        Array.isArray(keys) ? `has two items with the same ${keys.join(', ')}` : 'has duplicate items',
      );
    }
    default:
      return error(path, e.message ?? `is invalid (${e.keyword})`);
  }
}

function formatHint(format: string, data: unknown): string {
  switch (format) {
    case 'date-time':
      return `must be an RFC 3339 time such as 2026-12-24T18:00:00Z, not ${describe(data)}`;
    case 'uri':
      return `must be an absolute http(s) URL such as http://prometheus:9090, not ${describe(data)}`;
    case 'int32':
      return `must be a 32-bit integer, not ${describe(data)}`;
    default:
      return `must be a valid ${format}`;
  }
}

function run(validate: ValidateFunction, obj: unknown): Problem[] {
  if (validate(obj)) return [];
  const errors = (validate.errors ?? []).filter((e) => !/\/(anyOf|oneOf)\//.test(e.schemaPath));
  const seen = new Set<string>();
  const out: Problem[] = [];
  for (const e of errors) {
    const p = toProblem(e, obj);
    const key = `${p.path.join('/')}|${p.message}`;
    if (!seen.has(key)) out.push(p);
    seen.add(key);
  }
  return out;
}

export function validateRolloutSchema(obj: unknown): Problem[] {
  return run(validators().rollout, obj);
}

export function validateAnalysisTemplateSchema(obj: unknown): Problem[] {
  const cluster = (obj as { kind?: unknown } | null)?.kind === 'ClusterAnalysisTemplate';
  return run(cluster ? validators().clusterTemplate : validators().template, obj);
}
