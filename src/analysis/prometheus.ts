/** The Prometheus MetricProvider, on prometheus-query (which rejects with plain objects, mapped here). */
import { PrometheusDriver, ResponseType, type QueryResult } from 'prometheus-query';
import { observed, type RequestObserver } from '../telemetry/requests.js';
import { targetKey, type MetricProvider, type ProviderTarget, type QueryAnswer, type Series } from './provider.js';

interface DriverError {
  errorType?: string;
  error?: string;
  /** Prometheus' own error payload, for HTTP errors. */
  prometheus?: { errorType?: string };
}

function describe(e: unknown, address: string): string {
  if (typeof e === 'object' && e !== null && ('errorType' in e || 'error' in e)) {
    const d = e as DriverError;
    return `Prometheus at ${address}: ${d.prometheus?.errorType ?? d.errorType ?? 'error'}: ${d.error ?? 'no details'}`;
  }
  return `Prometheus at ${address}: ${e instanceof Error ? e.message : String(e)}`;
}

/** The HTTP status of a failed query; undefined when no answer came. */
function failureCode(e: unknown): number | string | undefined {
  const d = e as { httpStatus?: number; errorType?: string } | undefined;
  return d?.httpStatus ?? (d?.errorType === 'client_error' ? 'invalid_response' : undefined);
}

/** The series of a result; a scalar is one series without labels. */
function seriesOf(result: QueryResult): Series[] | string {
  switch (result.resultType) {
    case ResponseType.VECTOR:
      return (result.result as { metric: { labels: Record<string, string> } | null; value: { value: number } }[]).map(
        (r) => ({ labels: r.metric?.labels ?? {}, value: r.value.value }),
      );
    case ResponseType.SCALAR: {
      const [, value] = result.result as unknown as [number, string];
      return [{ labels: {}, value: parseFloat(value) }];
    }
    case ResponseType.MATRIX:
    case ResponseType.STRING:
      return `the query returned a ${result.resultType}, not an instant vector or scalar`;
  }
}

export class PrometheusProvider implements MetricProvider {
  private readonly drivers = new Map<string, PrometheusDriver>();
  /** Queries sent, for the controller's metrics and for tests. */
  queries = 0;

  /** `observer` is told of every query (the controller's metrics). */
  constructor(private readonly observer?: RequestObserver) {}

  private driver(t: ProviderTarget): PrometheusDriver {
    const key = targetKey(t);
    let d = this.drivers.get(key);
    if (d === undefined) {
      const auth = t.auth;
      d = new PrometheusDriver({
        endpoint: t.address.replace(/\/+$/, ''),
        baseURL: '/api/v1',
        timeout: t.timeoutMs,
        preferPost: true,
        ...(auth !== undefined && 'bearer' in auth ? { headers: { Authorization: `Bearer ${auth.bearer}` } } : {}),
        ...(auth !== undefined && 'username' in auth
          ? { auth: { username: auth.username, password: auth.password } }
          : {}),
      });
      this.drivers.set(key, d);
    }
    return d;
  }

  async instant(target: ProviderTarget, query: string, at: Date): Promise<QueryAnswer> {
    this.queries++;
    try {
      const result = await observed(
        this.observer,
        'prometheus',
        'query',
        () => this.driver(target).instantQuery(query, at),
        (r) => ('ok' in r ? 200 : failureCode(r.error)),
      );
      const series = seriesOf(result);
      return typeof series === 'string'
        ? { ok: false, error: `Prometheus at ${target.address}: ${series}` }
        : { ok: true, series };
    } catch (e) {
      return { ok: false, error: describe(e, target.address) };
    }
  }
}
