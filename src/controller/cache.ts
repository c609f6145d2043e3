/**
 * Informer caches: the controller reads the world from these, never with GETs, so that a steady
 * state costs no API traffic. An informer that stops on an error is restarted.
 */
import { makeInformer, type KubeConfig, type KubernetesListObject, type KubernetesObject, type KubernetesObjectApi } from '@kubernetes/client-node';

export interface WatchedResource {
  apiVersion: string;
  kind: string;
  plural: string;
}

export const ROLLOUTS: WatchedResource = { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', plural: 'rollouts' };
export const DEPLOYMENTS: WatchedResource = { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments' };
export const VIRTUAL_SERVICES: WatchedResource = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', plural: 'virtualservices' };

function pathOf(r: WatchedResource, namespace: string | undefined): string {
  const base = r.apiVersion.includes('/') ? `/apis/${r.apiVersion}` : `/api/${r.apiVersion}`;
  return `${base}${namespace === undefined ? '' : `/namespaces/${namespace}`}/${r.plural}`;
}

export class ResourceCache<T extends KubernetesObject> {
  private readonly informer;
  private stopped = false;

  constructor(
    kc: KubeConfig,
    objects: KubernetesObjectApi,
    readonly resource: WatchedResource,
    namespace: string | undefined,
    onChange: (obj: T) => void,
  ) {
    const list = (): Promise<KubernetesListObject<T>> => objects.list<T>(resource.apiVersion, resource.kind, namespace);
    this.informer = makeInformer<T>(kc, pathOf(resource, namespace), list);
    for (const verb of ['add', 'update', 'delete'] as const) this.informer.on(verb, onChange);
    this.informer.on('error', () => {
      if (!this.stopped) setTimeout(() => void this.informer.start().catch(() => undefined), 1000);
    });
  }

  start(): Promise<void> {
    return this.informer.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.informer.stop();
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }
}
