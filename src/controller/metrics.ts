/** The controller's own metrics (prom-client), served on /metrics. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface ControllerMetrics {
  registry: Registry;
  reconcileDuration: Histogram;
  reconcileFailures: Counter;
  jobLatency: Histogram;
  /** Reads the queue depth whenever metrics are scraped. */
  watchQueue(depth: () => Promise<number>): void;
}

export function controllerMetrics(): ControllerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sluice_process_' });
  let depth: (() => Promise<number>) | undefined;
  new Gauge({
    name: 'sluice_queue_depth',
    help: 'Passes waiting in the work queue (due now or timers).',
    registers: [registry],
    async collect() {
      if (depth !== undefined) this.set(await depth().catch(() => NaN));
    },
  });
  return {
    registry,
    reconcileDuration: new Histogram({ name: 'sluice_reconcile_duration_seconds', help: 'Time of one reconcile pass.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry] }),
    reconcileFailures: new Counter({ name: 'sluice_reconcile_failures_total', help: 'Reconcile passes that failed (retried with backoff).', registers: [registry] }),
    jobLatency: new Histogram({ name: 'sluice_queue_job_latency_seconds', help: 'Time a pass waited in the queue before a worker took it.', buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers: [registry] }),
    watchQueue(d) {
      depth = d;
    },
  };
}
