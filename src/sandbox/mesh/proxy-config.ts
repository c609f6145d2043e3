/**
 * What the sidecars know about routing, as istiod pushes it: VirtualServices, DestinationRules
 * and the Services of the service registry reach the proxies only `delayMs` after they change in
 * the API server (Istio's config push takes about 1–5 s, longer in big meshes). Until then
 * requests follow the old routes. Endpoints are not delayed here: the mesh reads them live, as
 * incremental EDS pushes are much faster than a route change (see docs/sandbox.md).
 */
import type { Store, StoreEvent, KubeObject } from '../apiserver/store.js';

type Json = Record<string, any>;

/** The kinds a proxy's routing configuration is made of, by storage key. */
export const ROUTING_KINDS = {
  virtualServices: 'networking.istio.io/virtualservices',
  destinationRules: 'networking.istio.io/destinationrules',
  services: '/services',
} as const;

type Kind = keyof typeof ROUTING_KINDS;

const key = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class ProxyConfig {
  private readonly objects: Record<Kind, Map<string, KubeObject>> = {
    virtualServices: new Map(),
    destinationRules: new Map(),
    services: new Map(),
  };
  private readonly unsubscribe: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly store: Store,
    private readonly delayMs: number,
  ) {
    for (const kind of Object.keys(ROUTING_KINDS) as Kind[]) {
      for (const o of store.list(ROUTING_KINDS[kind])) this.objects[kind].set(key(o), o);
      this.unsubscribe.push(store.subscribe(ROUTING_KINDS[kind], (e) => this.changed(kind, e)));
    }
  }

  /** Changes still on their way to the proxies. */
  get pending(): number {
    return this.timers.size;
  }

  private changed(kind: Kind, e: StoreEvent): void {
    const apply = (): void => {
      if (e.type === 'DELETED') this.objects[kind].delete(key(e.object));
      else this.objects[kind].set(key(e.object), e.object);
    };
    if (this.delayMs <= 0) {
      apply();
      return;
    }
    // Timers of equal delay fire in the order they were set: changes arrive in order.
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      apply();
    }, this.delayMs);
    this.timers.add(timer);
  }

  virtualServices(): Json[] {
    return [...this.objects.virtualServices.values()];
  }

  destinationRules(namespace: string): Json[] {
    return [...this.objects.destinationRules.values()].filter((d) => d.metadata.namespace === namespace);
  }

  service(namespace: string, name: string): Json | undefined {
    return this.objects.services.get(`${namespace}/${name}`);
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
