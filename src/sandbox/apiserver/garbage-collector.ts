/**
 * What kube-controller-manager's garbage collector and namespace controller do, for the API
 * emulator: dependents whose every owner is gone are deleted (background), or deleted before their
 * owner (foreground), or lose the owner reference (orphan); a deleted namespace is Terminating
 * until its content is gone.
 */
import { now } from './admission.js';
import type { Registry } from './registry.js';
import type { ResourceType } from './resource-type.js';
import type { KubeObject, Store } from './store.js';

/** What the collector asks of the API: deletions, and dropping a finalizer from an object. */
export interface CollectorApi {
  delete(
    ref: { type: ResourceType; namespace: string | undefined; name: string },
    opts?: { propagationPolicy?: 'Background' | 'Foreground' | 'Orphan' },
  ): unknown;
  dropFinalizer(t: ResourceType, obj: KubeObject, finalizer: string): void;
}

export class GarbageCollector {
  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly api: CollectorApi,
  ) {}

  /** Background garbage collection: dependents whose every owner is gone are deleted. */
  collectDependents(uid: string): void {
    for (const { object: obj } of this.store.dependents(uid)) {
      const owners = obj.metadata.ownerReferences ?? [];
      const alive = owners.filter((o) => o.uid !== uid && this.store.hasUid(o.uid));
      const t = this.registry.byKind(String(obj.apiVersion), String(obj.kind));
      if (t === undefined) continue;
      try {
        if (alive.length === 0)
          this.api.delete(
            { type: t, namespace: obj.metadata.namespace, name: obj.metadata.name },
            { propagationPolicy: 'Background' },
          );
        else
          this.store.put(t.storageKey, {
            ...obj,
            metadata: { ...obj.metadata, ownerReferences: owners.filter((o) => o.uid !== uid) },
          });
      } catch {
        // deleted by someone else meanwhile
      }
    }
  }

  orphanDependents(owner: KubeObject): void {
    const uid = owner.metadata.uid;
    if (uid === undefined) return;
    for (const { storageKey, object: obj } of this.store.dependents(uid)) {
      const owners = obj.metadata.ownerReferences ?? [];
      this.store.put(storageKey, {
        ...obj,
        metadata: { ...obj.metadata, ownerReferences: owners.filter((o) => o.uid !== uid) },
      });
    }
  }

  foreground(t: ResourceType, owner: KubeObject): void {
    for (const { object: obj } of owner.metadata.uid === undefined ? [] : this.store.dependents(owner.metadata.uid)) {
      const dt = this.registry.byKind(String(obj.apiVersion), String(obj.kind));
      if (dt !== undefined)
        this.api.delete(
          { type: dt, namespace: obj.metadata.namespace, name: obj.metadata.name },
          { propagationPolicy: 'Foreground' },
        );
    }
    const current = this.store.get(t.storageKey, owner.metadata.namespace, owner.metadata.name);
    if (current === undefined) return;
    this.api.dropFinalizer(t, current, 'foregroundDeletion');
  }

  /** Namespace deletion: Terminating, its content deleted, then the namespace itself. */
  terminateNamespace(ns: KubeObject): KubeObject {
    const name = ns.metadata.name;
    const terminating = this.store.put('/namespaces', {
      ...ns,
      metadata: { ...ns.metadata, deletionTimestamp: ns.metadata.deletionTimestamp ?? now() },
      status: { phase: 'Terminating' },
    });
    setImmediate(() => this.emptyNamespace(name));
    const finish = (): void => {
      if (this.namespaceEmpty(name)) this.store.remove('/namespaces', undefined, name);
      else setTimeout(finish, 200);
    };
    // Like the namespace controller, take a moment: content may still have finalizers to run.
    setTimeout(finish, 1000);
    return terminating;
  }

  private emptyNamespace(name: string): void {
    for (const t of this.registry.all()) {
      if (!t.namespaced) continue;
      for (const obj of this.store.list(t.storageKey, name)) {
        try {
          this.api.delete({ type: t, namespace: name, name: obj.metadata.name });
        } catch {
          // already gone
        }
      }
    }
  }

  private namespaceEmpty(name: string): boolean {
    return this.registry.all().every((t) => !t.namespaced || this.store.list(t.storageKey, name).length === 0);
  }
}
