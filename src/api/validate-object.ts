/** One entry point for validating any Sluice object: kind detection, schema, then semantics. */
import { API_GROUP, API_VERSION, API_GROUP_VERSION } from './crd.js';
import { error, hasErrors, type Problem } from './problem.js';
import type { Rollout } from './schema/rollout.js';
import type { AnalysisTemplate } from './schema/analysis-template.js';
import { validateRolloutSchema, validateAnalysisTemplateSchema } from './validate.js';
import { checkRolloutSemantics } from './semantics/rollout.js';
import { checkTemplateSemantics } from './semantics/template.js';
import { checkReferences, type TemplateCatalog } from './semantics/references.js';

export type SluiceKind = 'Rollout' | 'AnalysisTemplate' | 'ClusterAnalysisTemplate';

export type Classified =
  | { type: 'sluice'; kind: SluiceKind }
  | { type: 'foreign'; apiVersion: string; kind: string }
  | { type: 'invalid'; problems: Problem[] };

const KINDS: readonly SluiceKind[] = ['Rollout', 'AnalysisTemplate', 'ClusterAnalysisTemplate'];

/** Is this one of ours, someone else's Kubernetes object, or not an object at all? */
export function classify(obj: unknown): Classified {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
    return {
      type: 'invalid',
      problems: [
        error(
          [],
          `expected a Kubernetes object (a mapping with apiVersion and kind), found ${Array.isArray(obj) ? 'a list' : obj === null ? 'nothing' : `a ${typeof obj}`}`,
        ),
      ],
    };
  }
  const { apiVersion, kind } = obj as Record<string, unknown>;
  const isSet = (v: unknown): v is string => typeof v === 'string' && v !== '';
  if (!isSet(apiVersion) || !isSet(kind)) {
    const missing = [isSet(apiVersion) ? undefined : 'apiVersion', isSet(kind) ? undefined : 'kind'].filter(
      (f) => f !== undefined,
    );
    return {
      type: 'invalid',
      problems: missing.map((f) => error([f], 'is required: a Kubernetes object needs apiVersion and kind')),
    };
  }
  return classifyTyped(apiVersion, kind);
}

function classifyTyped(apiVersion: string, kind: string): Classified {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/', 2) : ['', apiVersion];
  if (group !== API_GROUP) return { type: 'foreign', apiVersion, kind };
  if (version !== API_VERSION)
    return {
      type: 'invalid',
      problems: [error(['apiVersion'], `"${apiVersion}" is not served; use ${API_GROUP_VERSION}`)],
    };
  if (!(KINDS as readonly string[]).includes(kind))
    return {
      type: 'invalid',
      problems: [error(['kind'], `"${kind}" is not a kind of ${API_GROUP}; use one of ${KINDS.join(', ')}`)],
    };
  return { type: 'sluice', kind: kind as SluiceKind };
}

/** Schema, then (only when the shape is right) semantics, then references when a catalog is given. */
export function validateRollout(obj: unknown, catalog?: TemplateCatalog): Problem[] {
  const schema = validateRolloutSchema(obj);
  if (hasErrors(schema)) return schema;
  const rollout = obj as Rollout;
  return [...checkRolloutSemantics(rollout), ...(catalog === undefined ? [] : checkReferences(rollout, catalog))];
}

export function validateAnalysisTemplate(obj: unknown): Problem[] {
  const schema = validateAnalysisTemplateSchema(obj);
  if (hasErrors(schema)) return schema;
  return checkTemplateSemantics(obj as AnalysisTemplate);
}

export function validateSluiceObject(kind: SluiceKind, obj: unknown, catalog?: TemplateCatalog): Problem[] {
  switch (kind) {
    case 'Rollout':
      return validateRollout(obj, catalog);
    case 'AnalysisTemplate':
    case 'ClusterAnalysisTemplate':
      return validateAnalysisTemplate(obj);
  }
}
