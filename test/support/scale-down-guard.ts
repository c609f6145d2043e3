/**
 * The hazard behind a 503 UH, caught even when no request falls into it: a Deployment scaled to 0
 * while the proxies' routes — which reach them the propagation delay after the API server has
 * them — still send traffic to a Service selecting its pods. Counting failed requests finds such a
 * window only when a request lands in it (commands-race-e2e found one of ~60 ms once in four full
 * runs); this looks at every scale-down the moment it is stored.
 */
import { selects } from '../../src/rollout/pod-labels.js';
import type { Api } from '../../src/sandbox/apiserver/api.js';
import type { ProxyConfig } from '../../src/sandbox/mesh/proxy-config.js';
import { fqdn } from '../../src/sandbox/mesh/router.js';

type Json = Record<string, any>;

/** `namespace/name` of the Services the proxies' VirtualServices send a share of traffic to now. */
function routedServices(proxies: ProxyConfig): Set<string> {
  const out = new Set<string>();
  for (const vs of proxies.virtualServices()) {
    const ns = vs['metadata']['namespace'] as string;
    for (const http of (vs['spec']?.['http'] ?? []) as Json[]) {
      const routes = (http['route'] ?? []) as Json[];
      for (const r of routes) {
        const weight = (r['weight'] as number | undefined) ?? (routes.length === 1 ? 100 : 0);
        const m = /^([^.]+)\.([^.]+)\.svc\.cluster\.local$/.exec(fqdn(r['destination']?.['host'] ?? '', ns));
        if (weight > 0 && m !== null) out.add(`${m[2]}/${m[1]}`);
      }
    }
  }
  return out;
}

export class ScaleDownGuard {
  /** Each scale-down that left a Service the proxies still routed to without pods. */
  readonly violations: string[] = [];
  private readonly unsubscribe: () => void;
  private readonly replicas = new Map<string, number>();

  constructor(api: Api, proxies: ProxyConfig) {
    const deployments = api.registry.resource('apps', 'deployments');
    const store = api.store;
    const labels = (d: Json): Record<string, string> => d['spec']?.['template']?.['metadata']?.['labels'] ?? {};
    this.unsubscribe = store.subscribe(deployments.storageKey, (e) => {
      const d = e.object as Json;
      const ns = d['metadata']['namespace'] as string;
      const k = `${ns}/${d['metadata']['name'] as string}`;
      const before = this.replicas.get(k);
      this.replicas.set(k, d['spec']?.['replicas'] ?? 1);
      if (e.type === 'DELETED') this.replicas.delete(k);
      if (e.type !== 'MODIFIED' || d['spec']?.['replicas'] !== 0 || before === 0) return;
      for (const key of routedServices(proxies)) {
        const [svcNs = '', name = ''] = key.split('/');
        const selector = svcNs === ns ? proxies.service(svcNs, name)?.['spec']?.['selector'] : undefined;
        if (!selects(selector, labels(d))) continue;
        // another Deployment with replicas behind the same Service still answers
        const others = store.list(deployments.storageKey, ns).filter((o) => o.metadata.name !== d['metadata']['name']);
        if (others.some((o: Json) => (o['spec']?.['replicas'] ?? 1) > 0 && selects(selector, labels(o)))) continue;
        this.violations.push(`${k} scaled to 0 while the proxies still routed to Service ${key}`);
      }
    });
  }

  stop(): void {
    this.unsubscribe();
  }
}
