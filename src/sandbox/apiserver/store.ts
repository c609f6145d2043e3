/**
 * In-memory storage with etcd-like semantics: one global revision counter that becomes each
 * object's resourceVersion, a bounded history of changes per resource for watches (older
 * revisions are "compacted" and answer 410 Gone), and subscribers notified in order.
 *
 * Stored objects are never mutated: every write stores a new object, so readers may hold on to
 * what they got.
 */

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
};

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
  generateName?: string;
  managedFields?: unknown[];
  [key: string]: unknown;
}

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  /** The object after the change (for DELETED: the last state, with the deletion's revision). */
  object: KubeObject;
  /** The object before the change (undefined for ADDED). */
  previous: KubeObject | undefined;
  rv: number;
}

interface Collection {
  objects: Map<string, KubeObject>;
  history: StoreEvent[];
  /** Events up to this revision are gone from history. */
  compactedRv: number;
  subscribers: Set<(e: StoreEvent) => void>;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

export class Store {
  private rv = 1;
  private readonly collections = new Map<string, Collection>();

  constructor(private readonly historySize = 10_000) {}

  get revision(): number {
    return this.rv;
  }

  private collection(storageKey: string): Collection {
    let c = this.collections.get(storageKey);
    if (c === undefined) {
      c = { objects: new Map(), history: [], compactedRv: 0, subscribers: new Set() };
      this.collections.set(storageKey, c);
    }
    return c;
  }

  get(storageKey: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.collection(storageKey).objects.get(objectKey(namespace, name));
  }

  /** Objects sorted by key (namespace/name), optionally within one namespace. */
  list(storageKey: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const obj of this.collection(storageKey).objects.values()) {
      if (namespace === undefined || obj.metadata.namespace === namespace) out.push(obj);
    }
    return out.sort((a, b) => compareKeys(a, b));
  }

  count(storageKey: string): number {
    return this.collection(storageKey).objects.size;
  }

  /** Stores a new version of an object and returns it with its new resourceVersion. */
  put(storageKey: string, obj: KubeObject): KubeObject {
    const c = this.collection(storageKey);
    const key = objectKey(obj.metadata.namespace, obj.metadata.name);
    const previous = c.objects.get(key);
    const rv = ++this.rv;
    const stored: KubeObject = { ...obj, metadata: { ...obj.metadata, resourceVersion: String(rv) } };
    c.objects.set(key, stored);
    this.record(c, { type: previous === undefined ? 'ADDED' : 'MODIFIED', object: stored, previous, rv });
    return stored;
  }

  remove(storageKey: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const c = this.collection(storageKey);
    const key = objectKey(namespace, name);
    const previous = c.objects.get(key);
    if (previous === undefined) return undefined;
    c.objects.delete(key);
    const rv = ++this.rv;
    const gone: KubeObject = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(rv) } };
    this.record(c, { type: 'DELETED', object: gone, previous, rv });
    return gone;
  }

  /** Drops a whole collection (a CRD deleted), telling watchers each object is gone. */
  drop(storageKey: string): void {
    for (const obj of this.list(storageKey)) this.remove(storageKey, obj.metadata.namespace, obj.metadata.name);
  }

  private record(c: Collection, event: StoreEvent): void {
    c.history.push(event);
    if (c.history.length > this.historySize) {
      const dropped = c.history.splice(0, c.history.length - this.historySize);
      c.compactedRv = dropped[dropped.length - 1]?.rv ?? c.compactedRv;
    }
    for (const fn of c.subscribers) fn(event);
  }

  /** Events after `rv`, or 'expired' when some of them were compacted away. */
  since(storageKey: string, rv: number): StoreEvent[] | 'expired' {
    const c = this.collection(storageKey);
    if (rv < c.compactedRv) return 'expired';
    let lo = 0;
    let hi = c.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((c.history[mid]?.rv ?? 0) <= rv) lo = mid + 1;
      else hi = mid;
    }
    return c.history.slice(lo);
  }

  oldestRetained(storageKey: string): number {
    return this.collection(storageKey).compactedRv;
  }

  subscribe(storageKey: string, fn: (e: StoreEvent) => void): () => void {
    const c = this.collection(storageKey);
    c.subscribers.add(fn);
    return () => c.subscribers.delete(fn);
  }

  /** Every stored object of every collection (for garbage collection and namespace cleanup). */
  *everything(): Generator<[string, KubeObject]> {
    for (const [key, c] of this.collections) for (const obj of c.objects.values()) yield [key, obj];
  }
}

export function compareKeys(a: KubeObject, b: KubeObject): number {
  const ka = objectKey(a.metadata.namespace, a.metadata.name);
  const kb = objectKey(b.metadata.namespace, b.metadata.name);
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}
