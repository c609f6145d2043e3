import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import { KINDS, crdFileName, renderCrd, type SchemaNode } from '../../src/api/crd.js';
import { renderApiDocs } from '../../src/api/docs.js';
import { CLUSTER_TEMPLATES, clusterTemplateOf } from '../../src/api/cluster-templates.js';
import { validateSluiceObject } from '../../src/api/validate-object.js';

const root = new URL('../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

/** Every schema node with its path. */
function walk(node: SchemaNode, path: string, visit: (node: SchemaNode, path: string) => void): void {
  visit(node, path);
  for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, `${path}.${name}`, visit);
  if (node.items !== undefined) walk(node.items, `${path}[]`, visit);
  if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}.*`, visit);
}

const ALLOWED_KEYWORDS = new Set([
  'oneOf',
  'x-kubernetes-preserve-unknown-fields',
  'type',
  'description',
  'properties',
  'items',
  'additionalProperties',
  'required',
  'enum',
  'minimum',
  'maximum',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'minProperties',
  'maxProperties',
  'pattern',
  'format',
  'default',
  'anyOf',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
]);

describe.each(KINDS)('CRD of $kind', (def) => {
  const crd = parse(read(`crds/${crdFileName(def)}`)) as {
    spec: {
      group: string;
      names: { shortNames: string[]; categories: string[] };
      versions: {
        name: string;
        subresources: Record<string, unknown>;
        additionalPrinterColumns: { jsonPath: string }[];
        schema: { openAPIV3Schema: SchemaNode };
      }[];
    };
  };
  const version = crd.spec.versions[0]!;
  const schema = version.schema.openAPIV3Schema;

  it.each(['crds', 'deploy/crds', 'charts/sluice/crds'])(
    '%s holds what `npm run gen:crds` generates from the schema source',
    (dir) => {
      expect(read(`${dir}/${crdFileName(def)}`)).toBe(renderCrd(def));
    },
  );

  it('serves sluice.dev/v1alpha1 with a status subresource, a category and short names that do not clash', () => {
    expect(crd.spec.group).toBe('sluice.dev');
    expect(version.name).toBe('v1alpha1');
    expect(version.subresources).toHaveProperty('status');
    expect(crd.spec.names.categories).toEqual(['sluice']);
    for (const taken of ['ro', 'rollout', 'at', 'ar', 'canary', 'cd', 'mt', 'exp'])
      expect(crd.spec.names.shortNames).not.toContain(taken);
  });

  it('is structural: every node typed and described, no $ref, markers only where meant', () => {
    let nodes = 0;
    walk(schema, '', (node, path) => {
      nodes++;
      for (const key of Object.keys(node)) expect(ALLOWED_KEYWORDS.has(key), `${path}: keyword ${key}`).toBe(true);
      if (node['x-kubernetes-int-or-string'] === true) {
        expect(node.type, path).toBeUndefined();
        expect(node.anyOf, path).toEqual([{ type: 'integer' }, { type: 'string' }]);
      } else {
        expect(typeof node.type, `${path} has a type`).toBe('string');
        expect(node.anyOf, path).toBeUndefined();
      }
      if (path !== '.metadata' && !path.endsWith('[]') && !path.endsWith('.*'))
        expect(node.description, `${path} has a description`).toMatch(/\S/);
      if (node.properties !== undefined)
        expect(node.additionalProperties, `${path}: properties and additionalProperties are exclusive`).toBeUndefined();
      // free-form only where a Kubernetes object's spec is embedded whole (a job metric's JobSpec)
      if (node['x-kubernetes-preserve-unknown-fields'] !== undefined) {
        expect(path, 'preserve-unknown-fields').toBe('.spec.metrics[].job.spec');
        expect(node.type, path).toBe('object');
        expect(node.properties, path).toBeUndefined();
      }
      // structural schemas allow only value validations in oneOf: here, which declared fields are required
      for (const branch of (node.oneOf ?? []) as Record<string, unknown>[]) {
        expect(Object.keys(branch), `${path}: oneOf branch`).toEqual(['required']);
        for (const field of branch['required'] as string[]) expect(Object.keys(node.properties ?? {})).toContain(field);
      }
      if (node['x-kubernetes-list-type'] !== undefined) {
        expect(node.type, path).toBe('array');
        expect(['atomic', 'set', 'map']).toContain(node['x-kubernetes-list-type']);
      }
      if (node['x-kubernetes-list-map-keys'] !== undefined) {
        expect(node['x-kubernetes-list-type'], path).toBe('map');
        for (const key of node['x-kubernetes-list-map-keys'] as string[])
          expect(node.items?.required, `${path}: map key ${key} must be required`).toContain(key);
      }
      for (const name of node.required ?? []) {
        expect(node.properties?.[name], `${path}.${name} is required and defined`).toBeDefined();
        expect(
          node.properties?.[name]?.default,
          `${path}.${name} is required, so a default would never apply`,
        ).toBeUndefined();
      }
    });
    expect(nodes).toBeGreaterThan(30);
  });

  it('has defaults that are valid against their own schema', () => {
    const ajv = new Ajv({ strict: false, validateFormats: false });
    walk(schema, '', (node, path) => {
      if (node.default === undefined) return;
      const { default: value, ...rest } = node;
      expect(ajv.validate(rest, value), `${path}: default ${JSON.stringify(value)}`).toBe(true);
    });
  });

  it('has printer columns whose paths exist in the schema', () => {
    for (const col of version.additionalPrinterColumns) {
      if (col.jsonPath.startsWith('.metadata')) continue;
      let node: SchemaNode | undefined = schema;
      for (const part of col.jsonPath.slice(1).replace('[*]', '').split('.'))
        node = (node?.items ?? node)?.properties?.[part];
      expect(node, col.jsonPath).toBeDefined();
    }
  });
});

describe('docs/api.md', () => {
  it('is what `npm run gen:crds` generates from the schema descriptions', () => {
    expect(read('docs/api.md')).toBe(renderApiDocs());
  });

  it('documents every phase', () => {
    for (const phase of ['Initializing', 'Healthy', 'Progressing', 'Paused', 'Promoting', 'RolledBack', 'Invalid'])
      expect(read('docs/api.md')).toContain(`\`${phase}\``);
  });
});

describe('the shipped Istio templates as ClusterAnalysisTemplates', () => {
  it.each(
    CLUSTER_TEMPLATES.flatMap((name) =>
      [
        'analysis-templates/cluster',
        'deploy/cluster-analysis-templates',
        'charts/sluice/files/cluster-analysis-templates',
      ].map((dir) => [dir, name]),
    ),
  )('%s/%s.yaml is what `npm run gen:crds` generates', (dir, name) => {
    const text = read(`${dir}/${name}.yaml`);
    expect(text).toBe(clusterTemplateOf(name, read(`analysis-templates/${name}.yaml`)));
    expect(validateSluiceObject('ClusterAnalysisTemplate', parse(text))).toEqual([]);
  });
});
