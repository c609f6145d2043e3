/** The seam to a metrics backend: an instant query at a time, answered as data (never thrown). */
import { createHash } from 'node:crypto';

export interface ProviderTarget {
  /** Base URL of the backend, e.g. http://prometheus.monitoring:9090. */
  address: string;
  timeoutMs: number;
  auth?: { bearer: string } | { username: string; password: string };
}

export interface Series {
  labels: Record<string, string>;
  value: number;
}

export type QueryAnswer = { ok: true; series: Series[] } | { ok: false; error: string };

export interface MetricProvider {
  /** Evaluates `query` at `at`. Failures (network, timeout, bad query) come back as `{ ok: false }`. */
  instant(target: ProviderTarget, query: string, at: Date): Promise<QueryAnswer>;
}

/** The identity of a backend and its credentials, with the credentials only as a hash. */
export function targetKey(t: ProviderTarget): string {
  return createHash('sha256')
    .update(JSON.stringify([t.address, t.timeoutMs, t.auth ?? null]))
    .digest('hex');
}
