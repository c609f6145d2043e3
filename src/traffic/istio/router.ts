/**
 * The Istio TrafficRouter: a generated VirtualService and DestinationRules per rollout, or an
 * adopted VirtualService whose named routes' weights are the only thing Sluice edits. Reads come
 * from the controller's caches; writes are a create or a JSON patch.
 */
import { PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import type { Rollout } from '../../api/schema/rollout.js';
import { createIfMissing, written, type Kube, type Written } from '../../kube/client.js';
import type { TrafficRouter } from '../router.js';
import type { VirtualService } from './types.js';
import { canaryWeight, destinationRules, hosts, virtualService, weightPatch } from './virtual-service.js';

export interface IstioCaches {
  virtualService(namespace: string | undefined, name: string): VirtualService | undefined;
  destinationRule(namespace: string | undefined, name: string): KubernetesObject | undefined;
}

export function virtualServiceName(rollout: Rollout): { namespace: string | undefined; name: string } {
  const ref = rollout.spec.virtualServiceRef;
  return ref === undefined
    ? { namespace: rollout.metadata.namespace, name: rollout.spec.service.name }
    : { namespace: ref.namespace ?? rollout.metadata.namespace, name: ref.name };
}

export class IstioRouter implements TrafficRouter {
  constructor(
    private readonly kube: Pick<Kube, 'objects' | 'custom'>,
    private readonly caches: IstioCaches,
  ) {}

  async ensure(rollout: Rollout): Promise<void> {
    for (const dr of destinationRules(rollout)) await createIfMissing(this.kube, dr);
    if (rollout.spec.virtualServiceRef === undefined) await createIfMissing(this.kube, virtualService(rollout, 0));
  }

  /** Edits only the weights (JSON patch with tests on the hosts), creating the generated VirtualService if missing. */
  async setWeight(rollout: Rollout, weight: number): Promise<Written[]> {
    const name = virtualServiceName(rollout);
    const vs = this.caches.virtualService(name.namespace, name.name);
    if (vs === undefined) {
      if (rollout.spec.virtualServiceRef !== undefined)
        throw new Error(
          `the VirtualService ${name.name} named in spec.virtualServiceRef does not exist in namespace ${name.namespace ?? 'default'}`,
        );
      await createIfMissing(this.kube, virtualService(rollout, weight));
      return [written('VirtualService', name.namespace, name.name, undefined)];
    }
    const body = weightPatch(rollout, vs, weight);
    await this.kube.custom.patchNamespacedCustomObject(
      {
        group: 'networking.istio.io',
        version: 'v1',
        namespace: name.namespace ?? 'default',
        plural: 'virtualservices',
        name: name.name,
        body,
      },
      setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
    );
    return [written('VirtualService', name.namespace, name.name, vs)];
  }

  weight(rollout: Rollout): number | undefined {
    const name = virtualServiceName(rollout);
    return canaryWeight(rollout, this.caches.virtualService(name.namespace, name.name));
  }

  missing(rollout: Rollout): string[] {
    const ns = rollout.metadata.namespace;
    const h = hosts(rollout);
    const missing = [h.primary, h.canary]
      .filter((n) => this.caches.destinationRule(ns, n) === undefined)
      .map((n) => `DestinationRule/${n}`);
    if (
      rollout.spec.virtualServiceRef === undefined &&
      this.caches.virtualService(ns, rollout.spec.service.name) === undefined
    )
      missing.push(`VirtualService/${rollout.spec.service.name}`);
    return missing;
  }
}
