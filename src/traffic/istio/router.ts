/**
 * The Istio TrafficRouter: a generated VirtualService and DestinationRules per rollout, or an
 * adopted VirtualService whose named routes' weights are the only thing Sluice edits. Reads come
 * from the controller's caches; writes are a create or a JSON patch.
 */
import { deletionTimestamp } from '../../api/schema/meta.js';
import { PatchStrategy, setHeaderOptions, type KubernetesObject } from '@kubernetes/client-node';
import type { Rollout } from '../../api/schema/rollout.js';
import { createIfMissing, guarded, written, type Kube, type Written } from '../../kube/client.js';
import { disown, type ObjectRef } from '../../kube/disown.js';
import type { TrafficRouter } from '../router.js';
import type { VirtualService } from './types.js';
import { isManagedBySluice } from '../../kube/ownership.js';
import {
  adoptionProblems,
  canaryWeight,
  convergedDestinationRules,
  convergedVirtualService,
  destinationRules,
  handedOver,
  handOverPatch,
  hosts,
  virtualService,
  weightPatch,
} from './virtual-service.js';
import type { DestinationRule, JsonPatchOp } from './types.js';
import { canonicalJson } from '../../rollout/revision.js';

export interface IstioCaches {
  virtualService(namespace: string | undefined, name: string): VirtualService | undefined;
  destinationRule(namespace: string | undefined, name: string): KubernetesObject | undefined;
}

const deleting = (r: Rollout): boolean => deletionTimestamp(r) !== undefined;

export function virtualServiceName(rollout: Rollout): { namespace: string | undefined; name: string } {
  const ref = rollout.spec.virtualServiceRef;
  return ref === undefined
    ? { namespace: rollout.metadata.namespace, name: rollout.spec.service.name }
    : { namespace: ref.namespace ?? rollout.metadata.namespace, name: ref.name };
}

/**
 * What each converge wrote (`plural/namespace/name` -> the spec asked for and the resourceVersion
 * the write made): an object still at that version that differs was put right but kept otherwise
 * by the API server (defaulting, pruning), and is not written again and again. One per controller,
 * shared by the routers of its fresh views.
 */
export type ConvergeMemory = Map<string, { spec: string; resourceVersion: string | undefined }>;

export class IstioRouter implements TrafficRouter {
  constructor(
    private readonly kube: Pick<Kube, 'objects' | 'custom'>,
    private readonly caches: IstioCaches,
    private readonly convergedTo: ConvergeMemory = new Map(),
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
    // already there (a pass that wrote it and died before recording it, say): nothing to write
    if (canaryWeight(rollout, vs) === weight) return [];
    return this.patch(name, vs, weightPatch(rollout, vs, weight));
  }

  async handOver(rollout: Rollout): Promise<Written[]> {
    const name = virtualServiceName(rollout);
    const vs = this.caches.virtualService(name.namespace, name.name);
    return vs === undefined ? [] : this.patch(name, vs, handOverPatch(rollout, vs));
  }

  handedOver(rollout: Rollout): boolean {
    const name = virtualServiceName(rollout);
    return handedOver(rollout, this.caches.virtualService(name.namespace, name.name));
  }

  async disown(rollout: Rollout): Promise<void> {
    const ns = rollout.metadata.namespace;
    const ref = (kind: string, name: string): ObjectRef => ({
      apiVersion: 'networking.istio.io/v1',
      kind,
      namespace: ns,
      name,
    });
    for (const host of Object.values(hosts(rollout))) await disown(this.kube, ref('DestinationRule', host));
    if (rollout.spec.virtualServiceRef === undefined)
      await disown(this.kube, ref('VirtualService', rollout.spec.service.name));
  }

  /** A JSON patch of a VirtualService (nothing when there is nothing to change). */
  private async patch(
    { namespace, name }: { namespace: string | undefined; name: string },
    vs: VirtualService,
    body: JsonPatchOp[],
  ): Promise<Written[]> {
    if (body.length === 0) return [];
    await guarded(
      `VirtualService ${name}`,
      () =>
        this.kube.custom.patchNamespacedCustomObject(
          {
            group: 'networking.istio.io',
            version: 'v1',
            namespace: namespace ?? 'default',
            plural: 'virtualservices',
            name,
            body,
          },
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      true,
    );
    return [written('VirtualService', namespace, name, vs)];
  }

  weight(rollout: Rollout): number | undefined {
    const name = virtualServiceName(rollout);
    return canaryWeight(rollout, this.caches.virtualService(name.namespace, name.name));
  }

  version(rollout: Rollout): string | undefined {
    const name = virtualServiceName(rollout);
    return this.caches.virtualService(name.namespace, name.name)?.metadata.resourceVersion;
  }

  drift(rollout: Rollout): string[] {
    const vs = this.driftedVirtualService(rollout);
    return [
      ...(vs === undefined ? [] : [`VirtualService/${rollout.spec.service.name}`]),
      ...this.driftedRules(rollout).map((d) => `DestinationRule/${d.metadata.name ?? ''}`),
    ];
  }

  async converge(rollout: Rollout): Promise<Written[]> {
    const ns = rollout.metadata.namespace;
    const out: Written[] = [];
    const vs = this.driftedVirtualService(rollout);
    const current = this.caches.virtualService(ns, rollout.spec.service.name);
    if (vs !== undefined && current !== undefined) {
      const { hosts: h, gateways, http } = vs.spec;
      await this.mergeSpec('virtualservices', current, { hosts: h, gateways: gateways ?? null, http });
      out.push(written('VirtualService', ns, rollout.spec.service.name, current));
    }
    for (const dr of this.driftedRules(rollout)) {
      const have = this.caches.destinationRule(ns, dr.metadata.name ?? '');
      if (have === undefined) continue;
      await this.mergeSpec('destinationrules', have, {
        host: dr.spec.host,
        trafficPolicy: dr.spec.trafficPolicy ?? null,
      });
      out.push(written('DestinationRule', ns, dr.metadata.name ?? '', have));
    }
    return out;
  }

  private driftedVirtualService(rollout: Rollout): VirtualService | undefined {
    const current = this.caches.virtualService(rollout.metadata.namespace, rollout.spec.service.name);
    if (current === undefined || !isManagedBySluice(current.metadata.labels)) return undefined;
    const want = convergedVirtualService(rollout, current);
    return want === undefined || this.keptOtherwise('virtualservices', current, want.spec) ? undefined : want;
  }

  private driftedRules(rollout: Rollout): DestinationRule[] {
    const ns = rollout.metadata.namespace;
    const current = (name: string): DestinationRule | undefined => {
      const dr = this.caches.destinationRule(ns, name) as DestinationRule | undefined;
      return dr === undefined || !isManagedBySluice(dr.metadata.labels) ? undefined : dr;
    };
    return convergedDestinationRules(rollout, current).filter((want) => {
      const have = current(want.metadata.name ?? '');
      return have !== undefined && !this.keptOtherwise('destinationrules', have, want.spec);
    });
  }

  /** Whether `spec` was written to this very version of the object already (see convergedTo). */
  private keptOtherwise(plural: string, current: KubernetesObject, spec: unknown): boolean {
    const m = current.metadata;
    const done = this.convergedTo.get(`${plural}/${m?.namespace ?? ''}/${m?.name ?? ''}`);
    return done !== undefined && done.spec === canonicalJson(spec) && done.resourceVersion === m?.resourceVersion;
  }

  /** A JSON merge patch of `spec` (lists replaced whole), guarded by the resourceVersion the cache has. */
  private async mergeSpec(plural: string, current: KubernetesObject, spec: Record<string, unknown>): Promise<void> {
    const m = current.metadata;
    const res = (await guarded(`${plural}/${m?.name ?? ''}`, () =>
      this.kube.custom.patchNamespacedCustomObject(
        {
          group: 'networking.istio.io',
          version: 'v1',
          namespace: m?.namespace ?? 'default',
          plural,
          name: m?.name ?? '',
          body: { metadata: { resourceVersion: m?.resourceVersion }, spec },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    )) as KubernetesObject;
    const asked = Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== null));
    this.convergedTo.set(`${plural}/${m?.namespace ?? ''}/${m?.name ?? ''}`, {
      spec: canonicalJson(asked),
      resourceVersion: res.metadata?.resourceVersion,
    });
  }

  conflicts(rollout: Rollout): string[] {
    const ns = rollout.metadata.namespace;
    const foreign = (o: KubernetesObject | undefined): boolean =>
      o !== undefined && !isManagedBySluice(o.metadata?.labels);
    const out = Object.values(hosts(rollout))
      .filter((host) => foreign(this.caches.destinationRule(ns, host)))
      .map((host) => `DestinationRule/${host}: not made by Sluice`);
    const name = virtualServiceName(rollout);
    const vs = this.caches.virtualService(name.namespace, name.name);
    if (rollout.spec.virtualServiceRef === undefined) {
      if (foreign(vs))
        out.push(
          `VirtualService/${name.name}: not made by Sluice (to let Sluice edit its weights, name it in spec.virtualServiceRef with the routes that split between ${hosts(rollout).primary} and ${hosts(rollout).canary})`,
        );
    } else if (vs !== undefined && !(deleting(rollout) && handedOver(rollout, vs))) {
      // (an adopted VirtualService handed back on deletion no longer splits: that is no conflict)
      const problems = adoptionProblems(rollout, vs);
      if (problems.length > 0) out.push(`VirtualService/${name.name} (spec.virtualServiceRef): ${problems.join('; ')}`);
    }
    return out;
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
