/** Istio's standard request metrics, names, labels and default millisecond buckets (prom-client). */
import { Counter, Histogram, Registry } from 'prom-client';

/** Istio's default buckets for istio_request_duration_milliseconds. */
export const ISTIO_DURATION_BUCKETS = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

export const LABELS = [
  'reporter',
  'source_workload',
  'source_workload_namespace',
  'source_canonical_service',
  'source_app',
  'destination_workload',
  'destination_workload_namespace',
  'destination_canonical_service',
  'destination_app',
  'destination_version',
  'destination_service',
  'destination_service_name',
  'destination_service_namespace',
  'request_protocol',
  'response_code',
  'grpc_response_status',
  'response_flags',
  'connection_security_policy',
] as const;

export type IstioLabels = Record<(typeof LABELS)[number], string>;

export class IstioMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: 'istio_requests_total',
    help: 'Total requests.',
    labelNames: LABELS,
    registers: [this.registry],
  });
  private readonly duration = new Histogram({
    name: 'istio_request_duration_milliseconds',
    help: 'Request duration in milliseconds.',
    labelNames: LABELS,
    buckets: ISTIO_DURATION_BUCKETS,
    registers: [this.registry],
  });

  record(labels: IstioLabels, durationMs: number): void {
    this.requests.inc(labels);
    this.duration.observe(labels, durationMs);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }
}
