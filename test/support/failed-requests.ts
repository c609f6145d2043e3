/**
 * The invariant of every end-to-end test: no request fails because of Sluice. From the moment a
 * Rollout is first Healthy, requests to its Services (`<service>`, `-primary`, `-canary`) that
 * fail on routing — `istio_requests_total{response_flags=~"UH|NR|UF"}` in the mesh, and
 * `sandbox_outside_requests_total{response_flags="UH"}` from clients outside it — do not grow.
 *
 * Counted from the mesh's own counters (what Prometheus scrapes), or through the real Prometheus
 * with `throughPrometheus`. A test that removes pods on purpose calls `rebase()` after.
 */
import type { Counter } from 'prom-client';
import type { Sandbox } from '../../src/sandbox/sandbox.js';

const ROUTING_FLAGS = new Set(['UH', 'NR', 'UF']);

export interface FailureCount {
  mesh: number;
  outside: number;
  /** `namespace/service flag kind: n` for each that grew. */
  details: string[];
}

type Counts = Map<string, number>;

export class FailedRequests {
  /** `namespace/service` -> the counts when its Rollout was first Healthy. */
  private readonly baselines = new Map<string, Counts>();
  private readonly unsubscribe: () => void;

  constructor(private readonly sb: Sandbox) {
    const rollouts = sb.server.api.registry.resource('sluice.dev', 'rollouts');
    const seen = (r: any): void => {
      if (r?.status?.phase !== 'Healthy') return;
      void this.watch(r.metadata.namespace, r.spec?.service?.name ?? r.metadata.name);
    };
    for (const r of sb.server.api.store.list(rollouts.storageKey)) seen(r);
    this.unsubscribe = sb.server.api.store.subscribe(rollouts.storageKey, (e) => {
      if (e.type !== 'DELETED') seen(e.object);
    });
  }

  private async watch(namespace: string, service: string): Promise<void> {
    const counts = await this.counts();
    for (const name of [service, `${service}-primary`, `${service}-canary`]) {
      const k = `${namespace}/${name}`;
      if (!this.baselines.has(k)) this.baselines.set(k, filter(counts, k));
    }
  }

  /** Forgets what failed so far (after a test removed pods on purpose). */
  async rebase(): Promise<void> {
    const counts = await this.counts();
    for (const k of this.baselines.keys()) this.baselines.set(k, filter(counts, k));
  }

  /** Routing failures since each watched Service's Rollout was first Healthy. */
  async since(): Promise<FailureCount> {
    const counts = await this.counts();
    const out: FailureCount = { mesh: 0, outside: 0, details: [] };
    for (const [k, base] of this.baselines) {
      for (const [label, n] of filter(counts, k)) {
        const grew = n - (base.get(label) ?? 0);
        if (grew <= 0) continue;
        if (label.endsWith(' outside')) out.outside += grew;
        else out.mesh += grew;
        out.details.push(`${label}: ${grew}`);
      }
    }
    return out;
  }

  /** Throws, naming the Services and flags, when a request failed on routing since its Rollout was Healthy. */
  async assertNone(): Promise<void> {
    const f = await this.since();
    if (f.mesh + f.outside > 0)
      throw new Error(
        `requests failed because of routing (no request may fail because of Sluice): ${f.mesh} in the mesh, ${f.outside} from outside it — ${f.details.join(', ')}`,
      );
  }

  stop(): void {
    this.unsubscribe();
  }

  /** `namespace/service flag kind` -> count, from the mesh's counters. */
  private async counts(): Promise<Counts> {
    const registry = this.sb.meshSimulator.metrics.registry;
    const counts: Counts = new Map();
    const add = (k: string, n: number): void => void counts.set(k, (counts.get(k) ?? 0) + n);
    const mesh = registry.getSingleMetric('istio_requests_total') as Counter | undefined;
    for (const v of (await mesh?.get())?.values ?? []) {
      const l = v.labels as Record<string, string>;
      // a routing failure never reaches a destination sidecar: the client's proxy reports it
      if (l['reporter'] === 'source' && ROUTING_FLAGS.has(l['response_flags'] ?? ''))
        add(
          `${l['destination_service_namespace']}/${l['destination_service_name']} ${l['response_flags']} mesh`,
          v.value,
        );
    }
    const outside = registry.getSingleMetric('sandbox_outside_requests_total') as Counter | undefined;
    for (const v of (await outside?.get())?.values ?? []) {
      const l = v.labels as Record<string, string>;
      if (l['response_flags'] === 'UH')
        add(`${l['destination_service_namespace']}/${l['destination_service_name']} UH outside`, v.value);
    }
    return counts;
  }
}

function filter(counts: Counts, service: string): Counts {
  return new Map([...counts].filter(([k]) => k.startsWith(`${service} `)));
}

/**
 * The same invariant through the real Prometheus: routing failures in the mesh and from outside
 * it, in total, as Prometheus has scraped them (call twice and compare).
 */
export async function routingFailuresInPrometheus(prometheus: string): Promise<{ mesh: number; outside: number }> {
  const q = async (query: string): Promise<number> => {
    const res = await fetch(`${prometheus}/api/v1/query?query=${encodeURIComponent(query)}`);
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    return Number(body.data.result[0]?.value[1] ?? 0);
  };
  return {
    mesh: await q('sum(istio_requests_total{reporter="source",response_flags=~"UH|NR|UF"}) or vector(0)'),
    outside: await q('sum(sandbox_outside_requests_total{response_flags="UH"}) or vector(0)'),
  };
}
