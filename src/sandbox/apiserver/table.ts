/**
 * Server-side printing (`Accept: application/json;as=Table;g=meta.k8s.io;v=v1`), which `kubectl
 * get` asks for: CRD printer columns, and the usual columns of the built-in kinds.
 */
import type { PrinterColumn, ResourceType } from './resource-type.js';
import type { KubeObject } from './store.js';

type JsonObject = Record<string, any>;

/** A small JSONPath subset: `.a.b`, `.a[0].b`, `.a[*].b`. */
export function jsonPath(obj: unknown, path: string): unknown[] {
  let nodes: unknown[] = [obj];
  const parts = path
    .replace(/^\{|\}$/g, '')
    .replace(/^\./, '')
    .split(/\.(?![^[]*\])/);
  for (const part of parts) {
    const m = /^([^[]*)((?:\[[^\]]*\])*)$/.exec(part);
    if (m === null) return [];
    if (m[1] !== '')
      nodes = nodes.map((n) => (typeof n === 'object' && n !== null ? (n as JsonObject)[m[1] ?? ''] : undefined));
    for (const idx of (m[2] ?? '').match(/\[[^\]]*\]/g) ?? []) {
      const inner = idx.slice(1, -1);
      nodes = nodes.flatMap((n) => (Array.isArray(n) ? (inner === '*' ? n : [n[Number(inner)]]) : []));
    }
  }
  return nodes.filter((n) => n !== undefined && n !== null);
}

export function age(timestamp: unknown, at = Date.now()): string {
  if (typeof timestamp !== 'string') return '<unknown>';
  const s = Math.max(0, Math.floor((at - Date.parse(timestamp)) / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return `${m}m${s % 60 === 0 ? '' : `${s % 60}s`}`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

interface Column {
  def: { name: string; type: string; format: string; description: string; priority: number };
  cell: (obj: JsonObject) => unknown;
}

const col = (name: string, cell: (o: JsonObject) => unknown, type = 'string', priority = 0): Column => ({
  def: { name, type, format: name === 'Name' ? 'name' : '', description: name, priority },
  cell,
});
const nameCol = col('Name', (o) => o['metadata']?.['name']);
const ageCol = col('Age', (o) => age(o['metadata']?.['creationTimestamp']));

const BUILTIN_COLUMNS: Readonly<Record<string, Column[]>> = {
  Deployment: [
    col('Ready', (o) => `${o['status']?.['readyReplicas'] ?? 0}/${o['spec']?.['replicas'] ?? 0}`),
    col('Up-to-date', (o) => o['status']?.['updatedReplicas'] ?? 0, 'integer'),
    col('Available', (o) => o['status']?.['availableReplicas'] ?? 0, 'integer'),
  ],
  ReplicaSet: [
    col('Desired', (o) => o['spec']?.['replicas'] ?? 0, 'integer'),
    col('Current', (o) => o['status']?.['replicas'] ?? 0, 'integer'),
    col('Ready', (o) => o['status']?.['readyReplicas'] ?? 0, 'integer'),
  ],
  Pod: [
    col('Ready', (o) => {
      const ready = ((o['status']?.['containerStatuses'] ?? []) as JsonObject[]).filter((c) => c['ready'] === true);
      return `${ready.length}/${((o['spec']?.['containers'] ?? []) as unknown[]).length}`;
    }),
    col('Status', (o) => o['status']?.['phase'] ?? 'Pending'),
    col('Restarts', () => 0, 'integer'),
  ],
  Service: [
    col('Type', (o) => o['spec']?.['type']),
    col('Cluster-IP', (o) => o['spec']?.['clusterIP'] ?? '<none>'),
    col('Port(s)', (o) =>
      ((o['spec']?.['ports'] ?? []) as JsonObject[]).map((p) => `${p['port']}/${p['protocol'] ?? 'TCP'}`).join(','),
    ),
  ],
  Namespace: [col('Status', (o) => o['status']?.['phase'])],
  Event: [
    col('Type', (o) => o['type']),
    col('Reason', (o) => o['reason']),
    col('Object', (o) => {
      const about = (o['involvedObject'] ?? o['regarding'] ?? {}) as JsonObject;
      return `${String(about['kind'] ?? '').toLowerCase()}/${String(about['name'] ?? '')}`;
    }),
    col('Message', (o) => o['message'] ?? o['note']),
  ],
};

function printerColumn(c: PrinterColumn): Column {
  return {
    def: {
      name: c.name,
      type: c.type,
      format: c.format ?? '',
      description: c.description ?? '',
      priority: c.priority ?? 0,
    },
    cell: (o) => {
      const values = jsonPath(o, c.jsonPath);
      if (values.length === 0) return null;
      if (c.type === 'date') return age(values[0]);
      return values.length === 1
        ? values[0]
        : values.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join(',');
    },
  };
}

function columnsFor(t: ResourceType): Column[] {
  if (t.custom) {
    const custom = (t.printerColumns ?? []).map(printerColumn);
    return custom.some((c) => c.def.name === 'Age') ? [nameCol, ...custom] : [nameCol, ...custom, ageCol];
  }
  return [nameCol, ...(BUILTIN_COLUMNS[t.kind] ?? []), ageCol];
}

export function toTable(
  t: ResourceType,
  objects: readonly KubeObject[],
  resourceVersion: string,
  includeObject: string | undefined,
  extraMeta: object = {},
): object {
  const columns = columnsFor(t);
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion, ...extraMeta },
    columnDefinitions: columns.map((c) => c.def),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o as JsonObject) ?? null),
      object:
        includeObject === 'Object'
          ? o
          : includeObject === 'None'
            ? undefined
            : { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata },
    })),
  };
}
