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
  ownerReferences?: {
    apiVersion: string;
    kind: string;
    name: string;
    uid: string;
    controller?: boolean;
    blockOwnerDeletion?: boolean;
  }[];
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
  /** The same objects by namespace, so that a namespaced list does not scan the others. */
  byNamespace: Map<string, Map<string, KubeObject>>;
  /** Keys in list order per namespace ('' for all), until an object is added or removed. */
  sorted: Map<string, string[]>;
  history: StoreEvent[];
  /** Events up to this revision are gone from history. */
  compactedRv: number;
  subscribers: Set<(e: StoreEvent) => void>;
}

export function objectKey(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : `${namespace}/${name}`;
}

/** Where an object is stored: its collection and key. */
interface Location {
  storageKey: string;
  key: string;
}

export class Store {
  private rv = 1;
  private readonly collections = new Map<string, Collection>();
  /** uid -> where that object is, for owner lookups. */
  private readonly uids = new Map<string, Location>();
  /** owner uid -> the objects naming it in their ownerReferences, for garbage collection. */
  private readonly owned = new Map<string, Map<string, Location>>();

  constructor(private readonly historySize = 10_000) {}

  get revision(): number {
    return this.rv;
  }

  private collection(storageKey: string): Collection {
    let c = this.collections.get(storageKey);
    if (c === undefined) {
      c = {
        objects: new Map(),
        byNamespace: new Map(),
        sorted: new Map(),
        history: [],
        compactedRv: 0,
        subscribers: new Set(),
      };
      this.collections.set(storageKey, c);
    }
    return c;
  }

  get(storageKey: string, namespace: string | undefined, name: string): KubeObject | undefined {
    return this.collection(storageKey).objects.get(objectKey(namespace, name));
  }

  /** Objects sorted by key (namespace/name), optionally within one namespace. */
  list(storageKey: string, namespace?: string): KubeObject[] {
    const c = this.collection(storageKey);
    const objects = namespace === undefined ? c.objects : c.byNamespace.get(namespace);
    if (objects === undefined) return [];
    const slot = namespace ?? '';
    let keys = c.sorted.get(slot);
    if (keys === undefined) {
      keys = [...objects.keys()].sort();
      c.sorted.set(slot, keys);
    }
    return keys.map((k) => objects.get(k) as KubeObject);
  }

  /** The stored objects that name `uid` among their owners. */
  dependents(uid: string): { storageKey: string; object: KubeObject }[] {
    const out: { storageKey: string; object: KubeObject }[] = [];
    for (const { storageKey, key } of this.owned.get(uid)?.values() ?? []) {
      const object = this.collections.get(storageKey)?.objects.get(key);
      if (object !== undefined) out.push({ storageKey, object });
    }
    return out;
  }

  /** Whether an object with this uid is stored. */
  hasUid(uid: string): boolean {
    return this.uids.has(uid);
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
    this.index(c, storageKey, key, previous, stored);
    this.record(c, { type: previous === undefined ? 'ADDED' : 'MODIFIED', object: stored, previous, rv });
    return stored;
  }

  remove(storageKey: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const c = this.collection(storageKey);
    const key = objectKey(namespace, name);
    const previous = c.objects.get(key);
    if (previous === undefined) return undefined;
    c.objects.delete(key);
    this.index(c, storageKey, key, previous, undefined);
    const rv = ++this.rv;
    const gone: KubeObject = { ...previous, metadata: { ...previous.metadata, resourceVersion: String(rv) } };
    this.record(c, { type: 'DELETED', object: gone, previous, rv });
    return gone;
  }

  /** Drops a whole collection (a CRD deleted), telling watchers each object is gone. */
  drop(storageKey: string): void {
    for (const obj of this.list(storageKey)) this.remove(storageKey, obj.metadata.namespace, obj.metadata.name);
  }

  /** Keeps the namespace, uid and owner indexes in step with a change from `before` to `after`. */
  private index(
    c: Collection,
    storageKey: string,
    key: string,
    before: KubeObject | undefined,
    after: KubeObject | undefined,
  ): void {
    const ns = (before ?? after)?.metadata.namespace ?? '';
    let inNs = c.byNamespace.get(ns);
    if (inNs === undefined) c.byNamespace.set(ns, (inNs = new Map()));
    if (after === undefined) inNs.delete(key);
    else inNs.set(key, after);
    if (before === undefined || after === undefined) {
      c.sorted.delete('');
      c.sorted.delete(ns);
    }
    const beforeUid = before?.metadata.uid;
    if (beforeUid !== undefined && beforeUid !== after?.metadata.uid) this.uids.delete(beforeUid);
    if (after?.metadata.uid !== undefined) this.uids.set(after.metadata.uid, { storageKey, key });
    this.indexOwners({ storageKey, key }, before, after);
  }

  private indexOwners(at: Location, before: KubeObject | undefined, after: KubeObject | undefined): void {
    const id = `${at.storageKey}\u0000${at.key}`;
    const owners = (o: KubeObject | undefined): string[] => (o?.metadata.ownerReferences ?? []).map((r) => r.uid);
    const kept = new Set(owners(after));
    for (const uid of owners(before)) {
      if (kept.has(uid)) continue;
      const set = this.owned.get(uid);
      set?.delete(id);
      if (set?.size === 0) this.owned.delete(uid);
    }
    for (const uid of kept) {
      let set = this.owned.get(uid);
      if (set === undefined) this.owned.set(uid, (set = new Map()));
      set.set(id, at);
    }
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
}
