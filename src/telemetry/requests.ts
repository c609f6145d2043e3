/**
 * What the controller asks of the systems it talks to (the Kubernetes API, Prometheus, GitHub,
 * Slack), told to an observer — the controller's metrics — one record per request.
 */

export type Upstream = 'kubernetes' | 'prometheus' | 'github' | 'slack';

export interface RequestRecord {
  upstream: Upstream;
  /** What was asked, from a small fixed set per upstream (e.g. `patch rollouts/status`, `chat.postMessage`). */
  operation: string;
  /** The HTTP status, or `network` when no answer came (refused, reset, timed out). */
  code: string;
  seconds: number;
}

export type RequestObserver = (r: RequestRecord) => void;

/** Whether a record is a failure: no answer, a server error, throttling or a refused request. */
export function isFailure(r: Pick<RequestRecord, 'code'>): boolean {
  const n = Number(r.code);
  return !Number.isInteger(n) || n >= 400;
}

/** A record of a request begun at `started` (performance.now()) and ending now; `code` undefined: no answer came. */
export function record(
  upstream: Upstream,
  operation: string,
  code: number | string | undefined,
  started: number,
): RequestRecord {
  return {
    upstream,
    operation,
    code: code === undefined ? 'network' : String(code),
    seconds: (performance.now() - started) / 1000,
  };
}

/**
 * Times `call` and tells `observe`; `codeOf` reads the status of an answer or a failure
 * (undefined: no answer came).
 */
export async function observed<T>(
  observe: RequestObserver | undefined,
  upstream: Upstream,
  operation: string,
  call: () => Promise<T>,
  codeOf: (result: { ok: T } | { error: unknown }) => number | string | undefined,
): Promise<T> {
  if (observe === undefined) return call();
  const started = performance.now();
  const tell = (code: number | string | undefined): void => observe(record(upstream, operation, code, started));
  try {
    const ok = await call();
    tell(codeOf({ ok }));
    return ok;
  } catch (error) {
    tell(codeOf({ error }));
    throw error;
  }
}

/**
 * The audit verb and resource of a Kubernetes API request (`list deployments`,
 * `patch rollouts/status`), from its method and path, as the API server's audit log names them.
 */
export function kubeOperation(method: string, url: string): string {
  const parsed = new URL(url, 'http://x');
  const path = parsed.pathname.split('/').filter((s) => s !== '');
  const query = parsed.searchParams;
  // /api/v1/... or /apis/group/version/...
  const rest = path[0] === 'api' ? path.slice(2) : path.slice(3);
  if (rest[0] === 'namespaces' && rest.length >= 3) rest.splice(0, 2);
  const [resource = 'unknown', name, ...sub] = rest;
  const watch = query.get('watch') === 'true' || query.get('watch') === '1';
  const verb = kubeVerb(method.toUpperCase(), name !== undefined, watch);
  return `${verb} ${sub.length > 0 ? `${resource}/${sub.join('/')}` : resource}`;
}

function kubeVerb(method: string, named: boolean, watch: boolean): string {
  switch (method) {
    case 'GET':
      return watch ? 'watch' : named ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return named ? 'delete' : 'deletecollection';
    default:
      return method.toLowerCase();
  }
}
