/**
 * CustomResourceDefinitions generated from the one schema source in ./schema. The same schemas
 * validate objects in the controller and in `sluice lint` (./validate.ts); here they are turned
 * into structural OpenAPI v3 schemas, the form the Kubernetes API server requires.
 */
import { stringify } from 'yaml';
import type { TSchema } from '@sinclair/typebox';
import { Rollout } from './schema/rollout.js';
import { AnalysisTemplate, ClusterAnalysisTemplate } from './schema/analysis-template.js';

export const API_GROUP = 'sluice.dev';
export const API_VERSION = 'v1alpha1';
export const API_GROUP_VERSION = `${API_GROUP}/${API_VERSION}`;

export type JsonSchema = Record<string, unknown>;

/** The fields of a structural schema node that Sluice reads back (docs, tests). */
export interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  additionalProperties?: SchemaNode | boolean;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  pattern?: string;
  format?: string;
  'x-kubernetes-int-or-string'?: boolean;
  [keyword: string]: unknown;
}

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

export interface KindDefinition {
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  schema: TSchema;
  printerColumns: PrinterColumn[];
  /** Cluster-scoped (default: namespaced). */
  cluster?: boolean;
}

export const KINDS: readonly KindDefinition[] = [
  {
    kind: 'Rollout',
    plural: 'rollouts',
    singular: 'rollout',
    // Argo Rollouts owns `ro`, Flagger owns `canary`/`cd`: Sluice's names cannot clash with them.
    shortNames: ['sro'],
    schema: Rollout,
    printerColumns: [
      { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Lifecycle phase.' },
      {
        name: 'Weight',
        type: 'integer',
        jsonPath: '.status.canaryWeight',
        description: 'Percentage of traffic sent to the canary.',
      },
      {
        name: 'Step',
        type: 'integer',
        jsonPath: '.status.currentStepIndex',
        description: 'Index of the current step.',
      },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' },
      {
        name: 'Message',
        type: 'string',
        jsonPath: '.status.message',
        description: 'What is happening now.',
        priority: 1,
      },
    ],
  },
  {
    kind: 'AnalysisTemplate',
    plural: 'analysistemplates',
    singular: 'analysistemplate',
    shortNames: ['sat'],
    schema: AnalysisTemplate,
    printerColumns: [
      { name: 'Metrics', type: 'string', jsonPath: '.spec.metrics[*].name', description: 'Names of the metrics.' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' },
    ],
  },
  {
    kind: 'ClusterAnalysisTemplate',
    plural: 'clusteranalysistemplates',
    singular: 'clusteranalysistemplate',
    shortNames: ['scat'],
    schema: ClusterAnalysisTemplate,
    cluster: true,
    printerColumns: [
      { name: 'Metrics', type: 'string', jsonPath: '.spec.metrics[*].name', description: 'Names of the metrics.' },
      { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since creation.' },
    ],
  },
];

/** Keywords a structural schema may not contain (besides value validations inside anyOf etc.). */
const FORBIDDEN = [
  '$ref',
  '$id',
  '$schema',
  'definitions',
  '$defs',
  'patternProperties',
  'const',
  'allOf',
  'not',
  'dependencies',
  'additionalItems',
  'if',
  'then',
  'else',
];

/** Turns one schema node (and its children) into its structural form, or throws naming the path. */
function structuralEntry(key: string, value: unknown, path: string): unknown {
  if (key === 'properties') {
    const props: Record<string, JsonSchema> = {};
    for (const [name, child] of Object.entries(value as Record<string, JsonSchema>))
      props[name] = toStructural(child, `${path}.${name}`);
    return props;
  }
  if ((key === 'items' || key === 'additionalProperties') && typeof value === 'object' && value !== null) {
    return toStructural(value as JsonSchema, `${path}[]`);
  }
  return value;
}

export function toStructural(node: JsonSchema, path = ''): JsonSchema {
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) {
    if (FORBIDDEN.includes(key)) throw new Error(`${path || '<root>'}: "${key}" is not allowed in a structural schema`);
    if (key === 'additionalProperties' && value === false) continue; // the API server prunes unknown fields instead
    out[key] = structuralEntry(key, value, path);
  }
  if (out['x-kubernetes-int-or-string'] === true) return out;
  if (typeof out['type'] !== 'string')
    throw new Error(`${path || '<root>'}: every node of a structural schema needs a type`);
  if ('anyOf' in out) throw new Error(`${path}: anyOf is only used for int-or-string here`);
  const oneOf = out['oneOf'];
  if (oneOf !== undefined && !(oneOf as JsonSchema[]).every((b) => Object.keys(b).every((k) => k === 'required')))
    throw new Error(`${path}: oneOf is only used with required (a value validation) here`);
  return out;
}

/** The structural openAPIV3Schema of a kind: metadata is left to the API server. */
export function crdSchema(def: KindDefinition): JsonSchema {
  const plain = JSON.parse(JSON.stringify(def.schema)) as JsonSchema; // drops TypeBox's symbol keys
  const props = plain['properties'] as Record<string, JsonSchema>;
  props['metadata'] = { type: 'object' };
  props['apiVersion'] = { type: 'string', description: (props['apiVersion'] as JsonSchema)['description'] };
  props['kind'] = { type: 'string', description: (props['kind'] as JsonSchema)['description'] };
  delete plain['required'];
  plain['required'] = ['spec'];
  return toStructural(plain);
}

export function buildCrd(def: KindDefinition): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${def.plural}.${API_GROUP}`,
      labels: { 'app.kubernetes.io/name': 'sluice', 'app.kubernetes.io/part-of': 'sluice' },
    },
    spec: {
      group: API_GROUP,
      names: {
        kind: def.kind,
        listKind: `${def.kind}List`,
        plural: def.plural,
        singular: def.singular,
        shortNames: def.shortNames,
        categories: ['sluice'],
      },
      scope: def.cluster === true ? 'Cluster' : 'Namespaced',
      versions: [
        {
          name: API_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: def.printerColumns,
          schema: { openAPIV3Schema: crdSchema(def) },
        },
      ],
    },
  };
}

export function crdFileName(def: KindDefinition): string {
  return `${def.plural}.${API_GROUP}.yaml`;
}

/** Every CRD file in crds/ (what an install applies). */
export const CRD_FILES: readonly string[] = KINDS.map(crdFileName);

/** The YAML written to crds/: deterministic, so that a test can compare it with the committed file. */
export function renderCrd(def: KindDefinition): string {
  const header = '# Generated by `npm run gen:crds` from src/api/schema. Do not edit by hand.\n';
  return header + stringify(buildCrd(def), { lineWidth: 0 });
}
