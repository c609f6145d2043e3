/**
 * Watch streams (`?watch=true`): newline-delimited JSON events, starting from a resourceVersion
 * (or with the current state as ADDED events), with bookmarks, timeouts, selector-aware
 * ADDED/DELETED when an object enters or leaves the selection, and 410 Expired for compacted
 * resourceVersions.
 */
import type { ServerResponse } from 'node:http';
import type { Api } from './api.js';
import { apiVersionOf, type ResourceType } from './resource-type.js';
import { errors } from './status.js';
import type { KubeObject, StoreEvent } from './store.js';

export interface WatchRequest {
  type: ResourceType;
  namespace: string | undefined;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds?: number;
  /** Renders an object for the client (e.g. as a Table). */
  render: (obj: KubeObject) => unknown;
}

export interface WatchOptions {
  bookmarkIntervalMs: number;
  /** Set by fault injection: the stream is cut after this many ms. */
  dropAfterMs?: number;
  /** Set by fault injection: every event of this stream is delivered this many ms late. */
  delayMs?: number;
  /** Registers the stream with fault injection so that it can be cut at will; returns the unregister. */
  register?: (cut: (abrupt: boolean) => void) => () => void;
  onClose: () => void;
}

export function serveWatch(api: Api, req: WatchRequest, res: ServerResponse, opts: WatchOptions): void {
  const t = req.type;
  const match = api.matcher(t, req);
  const inScope = (o: KubeObject): boolean =>
    (req.namespace === undefined || o.metadata.namespace === req.namespace) && match(o);
  const send = (line: string): void => {
    if (!res.writableEnded && !res.destroyed) res.write(line);
  };
  const write = (type: string, object: unknown): void => {
    if (res.writableEnded || res.destroyed) return;
    const line = `{"type":"${type}","object":${serialized(object)}}\n`;
    if (opts.delayMs === undefined || opts.delayMs <= 0) send(line);
    else setTimeout(() => send(line), opts.delayMs); // same delay for every event: order kept
  };
  const startRv =
    req.resourceVersion === undefined || req.resourceVersion === '' || req.resourceVersion === '0'
      ? undefined
      : Number(req.resourceVersion);
  if (startRv !== undefined && !Number.isInteger(startRv))
    throw errors.badRequest(`invalid resource version: ${req.resourceVersion ?? ''}`);
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Transfer-Encoding': 'chunked',
    'Cache-Control': 'no-cache, private',
  });
  res.flushHeaders(); // clients wait for the headers before they count the watch as established

  let lastRv = startRv ?? api.store.revision;
  const pending: StoreEvent[] = [];
  let replaying = true;
  const deliver = (e: StoreEvent): void => {
    if (e.rv <= lastRv) return;
    lastRv = e.rv;
    const type = eventFor(e, inScope);
    if (type !== undefined) write(type, req.render(api.view(t, e.object)));
  };
  const unsubscribe = api.store.subscribe(t.storageKey, (e) => (replaying ? pending.push(e) : deliver(e)));
  const timers: NodeJS.Timeout[] = [];
  let closed = false;
  const unregister = opts.register?.((abrupt) => (abrupt ? res.destroy() : close()));
  const close = (): void => {
    if (closed) return;
    closed = true;
    unsubscribe();
    unregister?.();
    for (const timer of timers) clearTimeout(timer);
    res.end();
    opts.onClose();
  };
  res.on('close', close);

  if (startRv === undefined) {
    for (const obj of api.store.list(t.storageKey, req.namespace))
      if (match(obj)) write('ADDED', req.render(api.view(t, obj)));
    if (req.sendInitialEvents && req.allowWatchBookmarks) write('BOOKMARK', bookmark(t, lastRv, true));
  } else {
    const backlog = api.store.since(t.storageKey, startRv);
    if (backlog === 'expired') {
      write(
        'ERROR',
        errors.gone(`too old resource version: ${startRv} (${api.store.oldestRetained(t.storageKey)})`).toStatus(),
      );
      close();
      return;
    }
    backlog.forEach(deliver);
  }
  replaying = false;
  pending.forEach(deliver);
  const sendBookmark = (): void => {
    lastRv = Math.max(lastRv, api.store.revision); // every change of this resource up to now was delivered
    write('BOOKMARK', bookmark(t, lastRv, false));
  };
  scheduleTimers(req, opts, { timers, close, sendBookmark, cut: () => res.destroy() });
}

/** Bookmarks, the client's timeout and (fault injection) a cut, kept in `on.timers` to clear on close. */
function scheduleTimers(
  req: WatchRequest,
  opts: WatchOptions,
  on: { timers: NodeJS.Timeout[]; close: () => void; sendBookmark: () => void; cut: () => void },
): void {
  const { timers } = on;

  if (req.allowWatchBookmarks) {
    const tick = (): void => {
      on.sendBookmark();
      timers.push(setTimeout(tick, opts.bookmarkIntervalMs));
    };
    timers.push(setTimeout(tick, opts.bookmarkIntervalMs));
  }
  if (req.timeoutSeconds !== undefined && req.timeoutSeconds > 0)
    timers.push(setTimeout(on.close, req.timeoutSeconds * 1000));
  if (opts.dropAfterMs !== undefined) timers.push(setTimeout(on.cut, opts.dropAfterMs));
}

/** What a watcher of a selection sees of a change: objects entering or leaving it are ADDED / DELETED. */
function eventFor(e: StoreEvent, inScope: (o: KubeObject) => boolean): 'ADDED' | 'MODIFIED' | 'DELETED' | undefined {
  const before = e.previous !== undefined && inScope(e.previous);
  if (e.type === 'DELETED') return before ? 'DELETED' : undefined;
  const now = inScope(e.object);
  if (now) return before ? 'MODIFIED' : 'ADDED';
  return before ? 'DELETED' : undefined;
}

/** Stored objects never change, so each is serialized once however many watchers it goes to. */
const json = new WeakMap<object, string>();
function serialized(object: unknown): string {
  if (typeof object !== 'object' || object === null) return JSON.stringify(object);
  let text = json.get(object);
  if (text === undefined) {
    text = JSON.stringify(object);
    json.set(object, text);
  }
  return text;
}

function bookmark(t: ResourceType, rv: number, initialEnd: boolean): object {
  return {
    kind: t.kind,
    apiVersion: apiVersionOf(t),
    metadata: {
      resourceVersion: String(rv),
      ...(initialEnd ? { annotations: { 'k8s.io/initial-events-end': 'true' } } : {}),
    },
  };
}
