/**
 * `/openapi/v3`: the index of group-version documents and the documents themselves. kubectl
 * reads them to learn that PATCH accepts `fieldValidation` (so it validates on the server) and
 * which patch types a kind takes; CRD schemas are published for `kubectl explain`.
 */
import { createHash } from 'node:crypto';
import type { Registry } from './registry.js';
import { apiVersionOf, type ResourceType } from './resource-type.js';

function gvPath(group: string, version: string): string {
  return group === '' ? `api/${version}` : `apis/${group}/${version}`;
}

function schemaName(t: ResourceType): string {
  const reversed = t.group === '' ? 'io.k8s.api.core' : t.group.split('.').reverse().join('.');
  return `${reversed}.${t.version}.${t.kind}`;
}

const QUERY_PARAMS = ['dryRun', 'fieldManager', 'fieldValidation', 'force', 'pretty'].map((name) => ({
  name,
  in: 'query',
  schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
}));

function operations(t: ResourceType): object {
  const gvk = { 'x-kubernetes-group-version-kind': { group: t.group, version: t.version, kind: t.kind } };
  const ref = { $ref: `#/components/schemas/${schemaName(t)}` };
  const json = { 'application/json': { schema: ref } };
  const patchTypes = ['application/apply-patch+yaml', 'application/json-patch+json', 'application/merge-patch+json'];
  if (!t.custom) patchTypes.push('application/strategic-merge-patch+json');
  const ok = { responses: { '200': { description: 'OK', content: json } } };
  return {
    get: { operationId: `read${t.kind}`, 'x-kubernetes-action': 'get', ...gvk, ...ok },
    put: {
      operationId: `replace${t.kind}`,
      'x-kubernetes-action': 'put',
      ...gvk,
      parameters: QUERY_PARAMS,
      requestBody: { content: json },
      ...ok,
    },
    patch: {
      operationId: `patch${t.kind}`,
      'x-kubernetes-action': 'patch',
      ...gvk,
      parameters: QUERY_PARAMS,
      requestBody: { content: Object.fromEntries(patchTypes.map((p) => [p, { schema: { type: 'object' } }])) },
      ...ok,
    },
    delete: { operationId: `delete${t.kind}`, 'x-kubernetes-action': 'delete', ...gvk, ...ok },
  };
}

/** One group-version document. */
export function groupVersionDoc(registry: Registry, group: string, version: string): object | undefined {
  const types = registry.all().filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const paths: Record<string, object> = {};
  const schemas: Record<string, object> = {};
  for (const t of types) {
    const base = `/${gvPath(group, version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.resource}/{name}`;
    paths[base] = operations(t);
    // Only real schemas are tied to their kind: kubectl computes strategic merge patches from a
    // tied schema, and for built-in kinds it must fall back to its compiled-in types instead.
    schemas[schemaName(t)] =
      t.schema === undefined
        ? { type: 'object', description: `${t.kind} (${apiVersionOf(t)})` }
        : { ...t.schema, 'x-kubernetes-group-version-kind': [{ group: t.group, version: t.version, kind: t.kind }] };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}

/** The index: every group-version with a hash that changes when its document does. */
export function openApiIndex(registry: Registry): object {
  const paths: Record<string, object> = {};
  const gvs = new Set(registry.all().map((t) => `${t.group}|${t.version}`));
  for (const gv of gvs) {
    const [group = '', version = ''] = gv.split('|');
    const hash = createHash('sha256')
      .update(JSON.stringify(groupVersionDoc(registry, group, version)))
      .digest('hex')
      .slice(0, 32)
      .toUpperCase();
    paths[gvPath(group, version)] = { serverRelativeURL: `/openapi/v3/${gvPath(group, version)}?hash=${hash}` };
  }
  return { paths };
}
