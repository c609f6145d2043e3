/**
 * The controller's own metrics (prom-client), served on /metrics. The rollout gauges are read
 * from the informer cache when Prometheus scrapes, so they cost nothing between scrapes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ROLLOUT_PHASE_NAMES } from '../api/phases.js';
import type { Rollout } from '../api/schema/rollout.js';
import { isFailure, type RequestObserver } from '../telemetry/requests.js';

export interface ControllerMetrics {
  registry: Registry;
  reconcileDuration: Histogram;
  reconcileFailures: Counter;
  jobLatency: Histogram;
  /** One analysis measurement taken, by metric name and result (its phase). */
  measurement(metric: string, result: string): void;
  /** Told of every request to the Kubernetes API, Prometheus, GitHub and Slack. */
  request: RequestObserver;
  /** Reads the queue depth whenever metrics are scraped. */
  watchQueue(depth: () => Promise<number>): void;
  /** Reads the Rollouts (the cache) whenever metrics are scraped. */
  watchRollouts(rollouts: () => readonly Rollout[]): void;
}

const SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function rolloutGauges(registry: Registry, source: () => readonly Rollout[] | undefined): void {
  new Gauge({
    name: 'sluice_rollouts',
    help: 'Rollouts by phase.',
    labelNames: ['phase'],
    registers: [registry],
    collect() {
      const rollouts = source();
      if (rollouts === undefined) return;
      const counts = new Map<string, number>(ROLLOUT_PHASE_NAMES.map((p) => [p, 0]));
      for (const r of rollouts) {
        const phase = r.status?.phase ?? 'Initializing';
        counts.set(phase, (counts.get(phase) ?? 0) + 1);
      }
      for (const [phase, n] of counts) this.set({ phase }, n);
    },
  });
  const perRollout = (name: string, help: string, read: (r: Rollout) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['namespace', 'rollout'],
      registers: [registry],
      collect() {
        const rollouts = source();
        if (rollouts === undefined) return;
        this.reset();
        for (const r of rollouts) this.set({ namespace: r.metadata.namespace, rollout: r.metadata.name }, read(r));
      },
    });
  };
  perRollout(
    'sluice_rollout_canary_weight',
    'Percentage of traffic sent to the canary.',
    (r) => r.status?.canaryWeight ?? 0,
  );
  perRollout(
    'sluice_rollout_step',
    'Index of the canary step being run (the number of steps once all are done).',
    (r) => r.status?.currentStepIndex ?? 0,
  );
}

export function controllerMetrics(): ControllerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sluice_' }); // sluice_process_cpu_seconds_total, sluice_nodejs_heap_size_used_bytes...
  let depth: (() => Promise<number>) | undefined;
  let rollouts: (() => readonly Rollout[]) | undefined;
  new Gauge({
    name: 'sluice_queue_depth',
    help: 'Passes waiting in the work queue (due now or timers).',
    registers: [registry],
    async collect() {
      if (depth !== undefined) this.set(await depth().catch(() => NaN));
    },
  });
  rolloutGauges(registry, () => rollouts?.());
  const measurements = new Counter({
    name: 'sluice_analysis_measurements_total',
    help: 'Analysis measurements taken, by metric and result.',
    labelNames: ['metric', 'result'],
    registers: [registry],
  });
  const requests = new Counter({
    name: 'sluice_upstream_requests_total',
    help: 'Requests to the Kubernetes API, Prometheus, GitHub and Slack, by operation and HTTP status (network: no answer).',
    labelNames: ['upstream', 'operation', 'code'],
    registers: [registry],
  });
  const errors = new Counter({
    name: 'sluice_upstream_request_errors_total',
    help: 'Requests that failed: no answer, or a status of 400 or more.',
    labelNames: ['upstream', 'operation'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'sluice_upstream_request_duration_seconds',
    help: 'Time to an answer (watches excluded: they stay open).',
    labelNames: ['upstream'],
    buckets: SECONDS,
    registers: [registry],
  });
  return {
    registry,
    reconcileDuration: new Histogram({
      name: 'sluice_reconcile_duration_seconds',
      help: 'Time of one reconcile pass.',
      buckets: SECONDS,
      registers: [registry],
    }),
    reconcileFailures: new Counter({
      name: 'sluice_reconcile_failures_total',
      help: 'Reconcile passes that failed (retried with backoff).',
      registers: [registry],
    }),
    jobLatency: new Histogram({
      name: 'sluice_queue_job_latency_seconds',
      help: 'Time a pass waited in the queue before a worker took it.',
      buckets: [...SECONDS, 30],
      registers: [registry],
    }),
    measurement: (metric, result) => measurements.inc({ metric, result }),
    request: (r) => {
      requests.inc({ upstream: r.upstream, operation: r.operation, code: r.code });
      if (isFailure(r)) errors.inc({ upstream: r.upstream, operation: r.operation });
      if (!r.operation.startsWith('watch ')) latency.observe({ upstream: r.upstream }, r.seconds);
    },
    watchQueue(d) {
      depth = d;
    },
    watchRollouts(source) {
      rollouts = source;
    },
  };
}
