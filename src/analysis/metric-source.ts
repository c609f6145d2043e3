/** What a resolved metric measures (types only, shared by resolve.ts and resolve-sources.ts). */
import type { Grouping } from './group.js';

export interface QuerySpec {
  /** The query for this workload. */
  text: string;
  /** Present when the query can be asked once for many workloads. */
  grouping?: Grouping;
  namespace: string;
  workload: string;
}

/** A web check with every arg rendered; header values from Secrets are only referenced here. */
export interface ResolvedWeb {
  url: string;
  method: 'GET' | 'POST' | 'PUT';
  headers: { name: string; value?: string; secret?: { namespace: string; name: string; key: string } }[];
  body?: string;
  jsonPath?: string;
  timeoutMs: number;
}

/** What a metric measures: PromQL queries, an HTTP call, or a Job run per measurement. */
export type MetricSource =
  | { kind: 'query'; queries: { canary: QuerySpec; primary?: QuerySpec; sample?: QuerySpec } }
  | { kind: 'web'; web: ResolvedWeb }
  | { kind: 'job'; job: { spec: Record<string, unknown> } };
