/** Kubernetes API paths: `/api/v1/namespaces/{ns}/pods/{name}/status` into their parts. */
import type { Registry } from './registry.js';
import type { ResourceType } from './resource-type.js';
import { errors } from './status.js';

export type Route =
  | { kind: 'discovery'; body: () => object | undefined }
  | {
      kind: 'resource';
      type: ResourceType;
      namespace: string | undefined;
      name: string | undefined;
      subresource: string | undefined;
    };

/** Parses a path under /api or /apis; undefined when it is not an API path. */
/** Splits `/api/v1/...` and `/apis/{group}/{version}/...`, or answers the group-level discovery. */
function groupOf(registry: Registry, parts: string[]): Route | { group: string; rest: string[] } | undefined {
  if (parts[0] === 'api') {
    if (parts.length === 1)
      return {
        kind: 'discovery',
        body: () => ({
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
        }),
      };
    return { group: '', rest: parts.slice(1) };
  }
  if (parts[0] !== 'apis') return undefined;
  if (parts.length === 1) return { kind: 'discovery', body: () => registry.groupList() };
  if (parts.length === 2) return { kind: 'discovery', body: () => registry.group(parts[1] ?? '') };
  return { group: parts[1] ?? '', rest: parts.slice(2) };
}

export function route(registry: Registry, pathname: string): Route | undefined {
  const parts = pathname
    .split('/')
    .filter((p) => p !== '')
    .map(decodeURIComponent);
  const g = groupOf(registry, parts);
  if (g === undefined || 'kind' in g) return g;
  const { group, rest } = g;
  const version = rest[0] ?? '';
  const segs = rest.slice(1);
  if (segs.length === 0) return { kind: 'discovery', body: () => registry.resourceList(group, version) };
  let namespace: string | undefined;
  if (segs[0] === 'namespaces' && segs.length >= 3) {
    const candidate = registry.find(group, version, segs[2] ?? '');
    if (candidate?.namespaced === true) {
      namespace = segs[1];
      segs.splice(0, 2);
    }
  }
  const type = registry.find(group, version, segs[0] ?? '');
  if (type === undefined || segs.length > 3) throw errors.pathNotFound();
  return { kind: 'resource', type, namespace, name: segs[1], subresource: segs[2] };
}
