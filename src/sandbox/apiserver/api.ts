/**
 * The verbs of the Kubernetes API over the store: get, list, create, update, patch, delete,
 * deletecollection, with optimistic concurrency, finalizers, namespaces and CRDs; garbage
 * collection and namespace termination in garbage-collector.ts. HTTP is elsewhere (server.ts);
 * this class speaks objects and ApiErrors.
 */
import { admitCreate, admitUpdate, checkIdentity, now, type FieldValidation } from './admission.js';
import { INITIAL_NAMESPACES } from './builtins.js';
import { applyJsonPatch, mergePatch, strategicMerge } from './patch.js';
import { Registry, type Crd } from './registry.js';
import { apiVersionOf, type ResourceType } from './resource-type.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { errors } from './status.js';
import { Store, objectKey, type KubeObject } from './store.js';
import { serverSideApply } from './apply.js';
import { crdAccepted } from './crd-status.js';
import { eventToCore, eventToEventsV1 } from './events.js';
import { GarbageCollector } from './garbage-collector.js';

export interface WriteOptions {
  dryRun?: boolean;
  fieldValidation?: FieldValidation;
  fieldManager?: string;
  force?: boolean;
}

export interface WriteResult {
  object: KubeObject;
  warnings: string[];
  created: boolean;
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export type PatchType = 'merge' | 'json' | 'strategic' | 'apply';

/** One object of one resource: what get/update/patch/delete act on. */
export interface ObjectRef {
  type: ResourceType;
  namespace: string | undefined;
  name: string;
  /** `status` to act on the status subresource. */
  subresource?: 'status' | undefined;
}

export interface DeleteOptions {
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

const NAMESPACES = { group: '', resource: 'namespaces', kind: 'Namespace' };

export class Api {
  readonly registry = new Registry();
  private readonly gc: GarbageCollector;

  constructor(readonly store: Store) {
    this.gc = new GarbageCollector(store, this.registry, {
      delete: (ref, opts) => this.delete(ref, opts),
      dropFinalizer: (t, obj, finalizer) => {
        const finalizers = (obj.metadata.finalizers ?? []).filter((f) => f !== finalizer);
        this.write(t, obj, { ...obj, metadata: { ...obj.metadata, finalizers } }, {});
      },
    });
    for (const name of INITIAL_NAMESPACES) {
      this.store.put('/namespaces', {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, uid: crypto.randomUUID(), creationTimestamp: now() },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    }
  }

  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.store.get(t.storageKey, namespace, name);
    if (obj === undefined) throw errors.notFound(t, name);
    return this.view(t, obj);
  }

  /** The object as this version of the resource presents it. */
  view(t: ResourceType, obj: KubeObject): KubeObject {
    if (obj.apiVersion === apiVersionOf(t)) return obj;
    if (t.group === 'events.k8s.io') return eventToEventsV1(obj);
    return { ...obj, apiVersion: apiVersionOf(t) };
  }

  /** The form an object is stored in (events.k8s.io Events are stored as core Events). */
  private stored(t: ResourceType, obj: KubeObject): KubeObject {
    return t.group === 'events.k8s.io' ? eventToCore(obj) : obj;
  }

  matcher(t: ResourceType, query: Pick<ListQuery, 'labelSelector' | 'fieldSelector'>): (obj: KubeObject) => boolean {
    const labels = parseLabelSelector(query.labelSelector);
    const fields = parseFieldSelector(query.fieldSelector, [
      'metadata.name',
      'metadata.namespace',
      ...t.fieldSelectors,
    ]);
    return (obj) => labels(obj.metadata.labels ?? {}) && fields(obj);
  }

  list(
    t: ResourceType,
    namespace: string | undefined,
    query: ListQuery,
  ): { items: KubeObject[]; resourceVersion: string; continue?: string; remainingItemCount?: number } {
    const match = this.matcher(t, query);
    let items = this.store.list(t.storageKey, namespace).filter(match);
    let rv = String(this.store.revision);
    if (query.continue !== undefined && query.continue !== '') {
      const token = decodeContinue(query.continue);
      rv = token.rv;
      items = items.filter((o) => objectKey(o.metadata.namespace, o.metadata.name) > token.start);
    }
    const limit = query.limit ?? 0;
    if (limit > 0 && items.length > limit) {
      const page = items.slice(0, limit);
      const last = page[page.length - 1];
      const start = last === undefined ? '' : objectKey(last.metadata.namespace, last.metadata.name);
      return {
        items: page.map((o) => this.view(t, o)),
        resourceVersion: rv,
        continue: encodeContinue(rv, start),
        remainingItemCount: items.length - limit,
      };
    }
    return { items: items.map((o) => this.view(t, o)), resourceVersion: rv };
  }

  private checkNamespace(t: ResourceType, namespace: string | undefined): void {
    if (!t.namespaced) return;
    const ns = this.store.get('/namespaces', undefined, namespace ?? '');
    if (ns === undefined) throw errors.notFound(NAMESPACES, namespace ?? '');
    if (ns.metadata.deletionTimestamp !== undefined)
      throw errors.forbidden(
        t,
        '',
        `unable to create new content in namespace ${namespace ?? ''} because it is being terminated`,
      );
  }

  create(t: ResourceType, namespace: string | undefined, body: unknown, opts: WriteOptions = {}): WriteResult {
    this.checkNamespace(t, namespace);
    const admitted = admitCreate(t, checkIdentity(t, body, namespace, undefined), opts.fieldValidation ?? 'Strict');
    const { warnings } = admitted;
    const object = this.stored(t, admitted.object);
    if (this.store.get(t.storageKey, object.metadata.namespace, object.metadata.name) !== undefined)
      throw errors.alreadyExists(t, object.metadata.name);
    const prepared = t.kind === 'CustomResourceDefinition' ? crdAccepted(object) : object;
    if (opts.dryRun === true) return { object: this.view(t, prepared), warnings, created: true };
    const stored = this.store.put(t.storageKey, prepared);
    if (t.kind === 'CustomResourceDefinition') this.registry.setCrd(stored as unknown as Crd);
    return { object: this.view(t, stored), warnings, created: true };
  }

  update(ref: ObjectRef, body: unknown, opts: WriteOptions = {}): WriteResult {
    const { type: t, namespace, name, subresource } = ref;
    const old = this.store.get(t.storageKey, namespace, name);
    if (old === undefined) throw errors.notFound(t, name);
    const obj = checkIdentity(t, body, namespace, name);
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== '' && rv !== old.metadata.resourceVersion) throw errors.conflict(t, name);
    return this.write(t, old, obj, opts, subresource);
  }

  private write(
    t: ResourceType,
    old: KubeObject,
    body: KubeObject,
    opts: WriteOptions,
    subresource?: 'status',
  ): WriteResult {
    const admitted = admitUpdate(t, body, this.view(t, old), subresource, opts.fieldValidation ?? 'Strict');
    const { warnings } = admitted;
    const object = this.stored(t, admitted.object);
    const prepared = t.kind === 'CustomResourceDefinition' && subresource === undefined ? crdAccepted(object) : object;
    if (opts.dryRun === true) return { object: this.view(t, prepared), warnings, created: false };
    if (prepared.metadata.deletionTimestamp !== undefined && (prepared.metadata.finalizers ?? []).length === 0) {
      this.finishDelete(t, prepared);
      return { object: this.view(t, prepared), warnings, created: false };
    }
    if (JSON.stringify(prepared) === JSON.stringify(old))
      return { object: this.view(t, old), warnings, created: false };
    const stored = this.store.put(t.storageKey, prepared);
    if (t.kind === 'CustomResourceDefinition') this.registry.setCrd(stored as unknown as Crd);
    return { object: this.view(t, stored), warnings, created: false };
  }

  patch(ref: ObjectRef, type: PatchType, patch: unknown, opts: WriteOptions = {}): WriteResult {
    const { type: t, namespace, name, subresource } = ref;
    const old = this.store.get(t.storageKey, namespace, name);
    if (type === 'apply') {
      const applied = serverSideApply({
        type: t,
        live: old,
        patch,
        manager: opts.fieldManager ?? '',
        force: opts.force === true,
        subresource,
      });
      if (old === undefined) return this.create(t, namespace, applied, opts);
      return this.write(t, old, checkIdentity(t, applied, namespace, name), opts, subresource);
    }
    if (old === undefined) throw errors.notFound(t, name);
    if (type === 'strategic' && t.custom)
      throw errors.unsupportedMediaType(
        'application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
      );
    const current = this.view(t, old);
    const next =
      type === 'merge'
        ? mergePatch(current, patch)
        : type === 'json'
          ? applyJsonPatch(current, patch)
          : strategicMerge(current, patch);
    const obj = checkIdentity(t, next, namespace, name);
    const rv = obj.metadata.resourceVersion;
    if (rv !== undefined && rv !== old.metadata.resourceVersion) throw errors.conflict(t, name);
    return this.write(
      t,
      old,
      { ...obj, metadata: { ...obj.metadata, resourceVersion: old.metadata.resourceVersion } },
      opts,
      subresource,
    );
  }

  private checkPreconditions(t: ResourceType, old: KubeObject, pre: DeleteOptions['preconditions']): void {
    const name = old.metadata.name;
    if (pre?.uid !== undefined && pre.uid !== old.metadata.uid)
      throw errors.conflict(
        t,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid ?? ''}`,
      );
    if (pre?.resourceVersion !== undefined && pre.resourceVersion !== old.metadata.resourceVersion)
      throw errors.conflict(
        t,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion ?? ''}`,
      );
  }

  delete(ref: ObjectRef, opts: DeleteOptions = {}): { object: KubeObject; deleted: boolean } {
    const { type: t, namespace, name } = ref;
    const old = this.store.get(t.storageKey, namespace, name);
    if (old === undefined) throw errors.notFound(t, name);
    this.checkPreconditions(t, old, opts.preconditions);
    if (opts.dryRun === true) return { object: this.view(t, old), deleted: false };
    const policy = opts.propagationPolicy ?? 'Background';
    const finalizers = [...(old.metadata.finalizers ?? [])];
    if (policy === 'Foreground' && !finalizers.includes('foregroundDeletion')) finalizers.push('foregroundDeletion');
    if (policy === 'Orphan') this.gc.orphanDependents(old);
    if (t.kind === 'Namespace') return { object: this.view(t, this.gc.terminateNamespace(old)), deleted: false };
    if (finalizers.length === 0) {
      this.finishDelete(t, old);
      return { object: this.view(t, old), deleted: true };
    }
    return this.markDeleting(t, old, finalizers, policy);
  }

  private markDeleting(
    t: ResourceType,
    old: KubeObject,
    finalizers: string[],
    policy: string,
  ): { object: KubeObject; deleted: boolean } {
    if (old.metadata.deletionTimestamp !== undefined) return { object: this.view(t, old), deleted: false };
    const marked = this.store.put(t.storageKey, {
      ...old,
      metadata: {
        ...old.metadata,
        finalizers,
        deletionTimestamp: now(),
        deletionGracePeriodSeconds: 0,
        ...(t.generation ? { generation: (old.metadata.generation ?? 1) + 1 } : {}),
      },
    });
    if (policy === 'Foreground') setImmediate(() => this.gc.foreground(t, marked));
    return { object: this.view(t, marked), deleted: false };
  }

  deleteCollection(
    t: ResourceType,
    namespace: string | undefined,
    query: ListQuery,
    opts: DeleteOptions = {},
  ): KubeObject[] {
    const out: KubeObject[] = [];
    for (const obj of this.list(t, namespace, { ...query, limit: 0 }).items) {
      try {
        out.push(this.delete({ type: t, namespace: obj.metadata.namespace, name: obj.metadata.name }, opts).object);
      } catch {
        // gone meanwhile: nothing to do
      }
    }
    return out;
  }

  private finishDelete(t: ResourceType, obj: KubeObject): void {
    this.store.remove(t.storageKey, obj.metadata.namespace, obj.metadata.name);
    if (t.kind === 'CustomResourceDefinition') {
      for (const gone of this.registry.removeCrd(obj.metadata.name)) this.store.drop(gone.storageKey);
    }
    const uid = obj.metadata.uid;
    if (uid !== undefined) setImmediate(() => this.gc.collectDependents(uid));
  }
}

function encodeContinue(rv: string, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'sluice.sandbox/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: string; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { rv?: unknown; start?: unknown };
    if (typeof parsed.rv === 'string' && typeof parsed.start === 'string')
      return { rv: parsed.rv, start: parsed.start };
  } catch {
    // fall through
  }
  throw errors.badRequest(
    'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
  );
}
