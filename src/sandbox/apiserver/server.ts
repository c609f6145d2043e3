/**
 * The HTTP face of the API emulator: routing, content negotiation (JSON, YAML for apply, Table
 * for kubectl), bearer tokens accepted, request body limits, the audit log and fault injection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Api, type DeleteOptions, type ObjectRef } from './api.js';
import {
  defined,
  optional,
  parseBody,
  patchTypeOf,
  readBody,
  send,
  VERSION_INFO,
  wantsTable,
  writeOptions,
  type Ctx,
} from './http.js';
import { AuditLog, verbOf } from './audit.js';
import { Faults, type FaultConfig } from './faults.js';
import { groupVersionDoc, openApiIndex } from './openapi.js';
import { route } from './route.js';
import { scaleOf, writeScale } from './scale.js';
import { ApiError, errors } from './status.js';
import { Store, type KubeObject } from './store.js';
import { toTable } from './table.js';
import { serveWatch } from './watch.js';
import { apiVersionOf, type ResourceType } from './resource-type.js';

export interface ApiServerOptions {
  port?: number;
  host?: string;
  /** Events kept per resource for watches; older resourceVersions answer 410 Gone. */
  historySize?: number;
  bookmarkIntervalMs?: number;
  /** Also write the audit log to this file, as kube-apiserver's --audit-log-path does. */
  auditLogPath?: string;
}

export interface ApiServer {
  url: string;
  port: number;
  api: Api;
  audit: AuditLog;
  faults: Faults;
  close(): Promise<void>;
}

export class ApiServerHandler {
  readonly store: Store;
  readonly api: Api;
  readonly audit: AuditLog;
  readonly faults = new Faults();

  constructor(private readonly opts: ApiServerOptions = {}) {
    this.audit = new AuditLog(undefined, opts.auditLogPath);
    this.store = new Store(opts.historySize);
    this.api = new Api(this.store);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const ctx: Ctx = {
      req,
      res,
      url,
      body: '',
      audit: { watch: url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1' },
      headers: {},
    };
    this.inFlight.add(ctx);
    res.on('finish', () => this.record(ctx));
    res.on('close', () => this.record(ctx));
    try {
      // what the request is about, first (as kube-apiserver's request-info filter does): the
      // audit entry names it even when the client goes away during the latency below
      this.describe(ctx);
      ctx.body = await readBody(req);
      const { latencyMs } = this.faults.config;
      if (latencyMs > 0) await new Promise((r) => setTimeout(r, latencyMs));
      this.dispatch(ctx);
    } catch (e) {
      const err = e instanceof ApiError ? e : errors.internal((e as Error).message);
      if (res.headersSent) res.destroy();
      else {
        if (err.code === 429) ctx.headers['Retry-After'] = '1';
        send(ctx, err.code, err.toStatus());
      }
    }
  }

  private recorded = new WeakSet<Ctx>();
  /** Requests not answered (or closed) yet: their audit entries are still to come. */
  private readonly inFlight = new Set<Ctx>();

  /** Resolves once every request in flight has been recorded (closed connections close them), or after `timeoutMs`. */
  async settled(timeoutMs = 2000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
  }

  private record(ctx: Ctx): void {
    this.inFlight.delete(ctx);
    if (this.recorded.has(ctx) || ctx.url.pathname.startsWith('/sandbox/')) return;
    this.recorded.add(ctx);
    const a = ctx.audit;
    this.audit.add({
      verb:
        a.resource === undefined
          ? (ctx.req.method?.toLowerCase() ?? '')
          : verbOf(ctx.req.method ?? '', a.name !== undefined, a.watch),
      method: ctx.req.method ?? '',
      path: ctx.url.pathname,
      ...defined({
        apiGroup: a.apiGroup,
        apiVersion: a.apiVersion,
        resource: a.resource,
        subresource: a.subresource,
        namespace: a.namespace,
        name: a.name,
      }),
      ...defined({ contentType: ctx.req.headers['content-type'], userAgent: ctx.req.headers['user-agent'] }),
      code: ctx.res.statusCode,
    });
  }

  /** The audit's objectRef of a resource request. */
  private describe(ctx: Ctx): void {
    const r = route(this.api.registry, ctx.url.pathname);
    if (r?.kind === 'discovery' || r === undefined) return;
    Object.assign(ctx.audit, {
      apiGroup: r.type.group,
      apiVersion: r.type.version,
      resource: r.type.resource,
      subresource: r.subresource,
      namespace: r.namespace,
      name: r.name,
    });
  }

  private dispatch(ctx: Ctx): void {
    const path = ctx.url.pathname;
    if (this.special(ctx, path)) return;
    const r = route(this.api.registry, path);
    if (r === undefined) throw errors.pathNotFound();
    if (r.kind === 'discovery') {
      const body = r.body();
      if (body === undefined) throw errors.pathNotFound();
      send(ctx, 200, body);
      return;
    }
    this.describe(ctx); // the registry may have changed while the body was read
    const failure = this.faults.failure(ctx.req.method !== 'GET', ctx.audit.watch);
    if (failure !== undefined) throw failure;
    this.resource(ctx, r.type, r.namespace, r.name, r.subresource);
  }

  /** Non-resource paths: version, health, OpenAPI, and the sandbox's own audit and faults. */
  private special(ctx: Ctx, path: string): boolean {
    const docs: Record<string, () => unknown> = {
      '/version': () => VERSION_INFO,
      '/openapi/v3': () => openApiIndex(this.api.registry),
      '/sandbox/v1/audit': () => ({
        items: this.audit.since(Number(ctx.url.searchParams.get('after') ?? 0)),
        last: this.audit.last,
      }),
      '/sandbox/v1/faults': () =>
        ctx.req.method === 'PUT' ? this.faults.set(parseBody(ctx) as Partial<FaultConfig>) : this.faults.config,
      '/sandbox/v1/faults/cut-watches': () => ({
        cut: ctx.req.method === 'POST' ? this.faults.cutWatches(ctx.url.searchParams.get('abrupt') === 'true') : 0,
      }),
    };
    const doc = docs[path];
    if (doc !== undefined) send(ctx, 200, doc());
    else if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      ctx.res.writeHead(200, { 'Content-Type': 'text/plain' });
      ctx.res.end('ok');
    } else if (path.startsWith('/openapi/v3/')) send(ctx, 200, this.openApiDoc(path));
    else return false;
    return true;
  }

  private openApiDoc(path: string): object {
    const parts = path.slice('/openapi/v3/'.length).split('/');
    const doc =
      parts[0] === 'api'
        ? groupVersionDoc(this.api.registry, '', parts[1] ?? '')
        : groupVersionDoc(this.api.registry, parts[1] ?? '', parts[2] ?? '');
    if (doc === undefined) throw errors.pathNotFound();
    return doc;
  }

  private render(ctx: Ctx, t: ResourceType): (obj: KubeObject) => unknown {
    if (!wantsTable(ctx.req)) return (o) => o;
    const include = ctx.url.searchParams.get('includeObject') ?? undefined;
    return (o) => toTable(t, [o], o.metadata.resourceVersion ?? '', include);
  }

  private resource(
    ctx: Ctx,
    t: ResourceType,
    ns: string | undefined,
    name: string | undefined,
    sub: string | undefined,
  ): void {
    const method = ctx.req.method ?? 'GET';
    if (sub !== undefined && sub !== 'status' && !(sub === 'scale' && t.scale !== undefined))
      throw errors.pathNotFound();
    if (sub === 'status' && !t.status) throw errors.pathNotFound();
    if (t.namespaced && ns === undefined && (name !== undefined || method === 'POST')) throw errors.pathNotFound();
    if (name === undefined) {
      this.collection(ctx, t, ns, method);
      return;
    }
    const ref: ObjectRef = { type: t, namespace: ns, name, subresource: sub === 'status' ? 'status' : undefined };
    if (sub === 'scale') this.scale(ctx, ref, method);
    else this.object(ctx, ref, method);
  }

  private object(ctx: Ctx, ref: ObjectRef, method: string): void {
    const q = ctx.url.searchParams;
    switch (method) {
      case 'GET':
        return send(ctx, 200, this.api.get(ref.type, ref.namespace, ref.name));
      case 'PUT': {
        const result = this.api.update(ref, parseBody(ctx), writeOptions(q));
        return this.written(ctx, result.warnings, 200, result.object);
      }
      case 'PATCH':
        return this.patch(ctx, ref);
      case 'DELETE': {
        const body = (parseBody(ctx) ?? {}) as DeleteOptions & { dryRun?: unknown };
        const policy = (q.get('propagationPolicy') ?? body.propagationPolicy) as DeleteOptions['propagationPolicy'];
        const opts: DeleteOptions = {
          dryRun: q.get('dryRun') === 'All' || Array.isArray(body.dryRun),
          ...(policy === undefined ? {} : { propagationPolicy: policy }),
          ...(body.preconditions === undefined ? {} : { preconditions: body.preconditions }),
        };
        return send(ctx, 200, this.api.delete(ref, opts).object);
      }
      default:
        throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    }
  }

  private patch(ctx: Ctx, ref: ObjectRef): void {
    const type = patchTypeOf(ctx.req);
    const opts = writeOptions(ctx.url.searchParams);
    if (type === 'apply' && opts.fieldManager === undefined)
      throw errors.badRequest('PATCH, fieldManager is required for apply requests');
    const existed = this.api.store.get(ref.type.storageKey, ref.namespace, ref.name) !== undefined;
    const result = this.api.patch(ref, type, type === 'apply' ? ctx.body : parseBody(ctx), opts);
    this.written(ctx, result.warnings, existed ? 200 : 201, result.object);
  }

  private collection(ctx: Ctx, t: ResourceType, ns: string | undefined, method: string): void {
    const q = ctx.url.searchParams;
    const selectors = {
      ...optional('labelSelector', q.get('labelSelector')),
      ...optional('fieldSelector', q.get('fieldSelector')),
    };
    const listMeta = { kind: t.listKind, apiVersion: apiVersionOf(t) };
    switch (method) {
      case 'GET':
        return ctx.audit.watch ? this.watch(ctx, t, ns, selectors) : this.list(ctx, t, ns, selectors);
      case 'POST': {
        const result = this.api.create(t, ns, parseBody(ctx), writeOptions(q));
        return this.written(ctx, result.warnings, 201, result.object);
      }
      case 'DELETE':
        return send(ctx, 200, { ...listMeta, metadata: {}, items: this.api.deleteCollection(t, ns, selectors) });
      default:
        throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    }
  }

  private list(
    ctx: Ctx,
    t: ResourceType,
    ns: string | undefined,
    selectors: { labelSelector?: string; fieldSelector?: string },
  ): void {
    const q = ctx.url.searchParams;
    const limit = Number(q.get('limit') ?? 0);
    const page = this.api.list(t, ns, {
      ...selectors,
      limit: Number.isFinite(limit) ? limit : 0,
      ...optional('continue', q.get('continue')),
    });
    const more =
      page.continue === undefined ? {} : { continue: page.continue, remainingItemCount: page.remainingItemCount };
    if (wantsTable(ctx.req))
      return send(ctx, 200, toTable(t, page.items, page.resourceVersion, q.get('includeObject') ?? undefined, more));
    send(ctx, 200, {
      kind: t.listKind,
      apiVersion: apiVersionOf(t),
      metadata: { resourceVersion: page.resourceVersion, ...more },
      items: page.items,
    });
  }

  private watch(
    ctx: Ctx,
    t: ResourceType,
    ns: string | undefined,
    selectors: { labelSelector?: string; fieldSelector?: string },
  ): void {
    const q = ctx.url.searchParams;
    const timeout = q.get('timeoutSeconds');
    const drop = this.faults.config.dropWatchesAfterMs;
    const request = {
      type: t,
      namespace: ns,
      ...selectors,
      ...optional('resourceVersion', q.get('resourceVersion')),
      allowWatchBookmarks: q.get('allowWatchBookmarks') === 'true',
      sendInitialEvents: q.get('sendInitialEvents') === 'true',
      ...(timeout === null ? {} : { timeoutSeconds: Number(timeout) }),
      render: this.render(ctx, t),
    };
    serveWatch(this.api, request, ctx.res, {
      bookmarkIntervalMs: this.opts.bookmarkIntervalMs ?? 10_000,
      ...(drop > 0 ? { dropAfterMs: drop } : {}),
      delayMs: this.faults.watchDelay(),
      register: (cut) => this.faults.watchOpened(cut),
      onClose: () => this.record(ctx),
    });
  }

  private scale(ctx: Ctx, ref: ObjectRef, method: string): void {
    const opts = writeOptions(ctx.url.searchParams);
    switch (method) {
      case 'GET':
        return send(ctx, 200, scaleOf(ref.type, this.api.get(ref.type, ref.namespace, ref.name)));
      case 'PUT':
        return send(ctx, 200, writeScale(this.api, ref, { put: parseBody(ctx) }, opts));
      case 'PATCH':
        return send(
          ctx,
          200,
          writeScale(this.api, ref, { patchType: patchTypeOf(ctx.req), patch: parseBody(ctx) }, opts),
        );
      default:
        throw errors.methodNotAllowed('the server does not allow this method on the requested resource');
    }
  }

  private written(ctx: Ctx, warnings: string[], code: number, object: KubeObject): void {
    if (warnings.length > 0) ctx.headers['Warning'] = warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ');
    send(ctx, code, object);
  }
}

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const handler = new ApiServerHandler(opts);
  const server: Server = createServer((req, res) => void handler.handle(req, res));
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    port,
    api: handler.api,
    audit: handler.audit,
    faults: handler.faults,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(
          () =>
            void handler
              .settled()
              .then(() => handler.audit.close())
              .then(resolve),
        );
      }),
  };
}
