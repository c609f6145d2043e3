/**
 * The invariants of a progressive rollout, checked on every change the API emulator makes (the
 * events its watches are fed from), whoever wrote it:
 * - the weights of every VirtualService route add up to 100;
 * - once a Rollout's status says its canary revision was rolled back, no VirtualService change
 *   gives that revision's canary traffic again;
 * - a revision becomes a Rollout's stable revision at most once.
 */
import type { Api } from '../../src/sandbox/apiserver/api.js';
import type { KubeObject, StoreEvent } from '../../src/sandbox/apiserver/store.js';

type Json = Record<string, any>;

interface Tracked {
  canaryRevision?: string;
  /** The revision whose rollback the status announced. */
  rolledBack?: string;
  stable?: string;
  promoted: Set<string>;
}

export class Invariants {
  readonly violations: string[] = [];
  /** Changes looked at, by kind. */
  readonly checked = { virtualServices: 0, rollouts: 0 };
  private readonly rollouts = new Map<string, Tracked>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(api: Api) {
    const type = (group: string, resource: string): string => api.registry.resource(group, resource).storageKey;
    this.unsubscribe.push(api.store.subscribe(type('sluice.dev', 'rollouts'), (e) => this.rollout(e)));
    this.unsubscribe.push(
      api.store.subscribe(type('networking.istio.io', 'virtualservices'), (e) => this.virtualService(e)),
    );
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
  }

  private tracked(o: KubeObject): Tracked {
    const k = `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
    let t = this.rollouts.get(k);
    if (t === undefined) {
      t = { promoted: new Set() };
      this.rollouts.set(k, t);
    }
    return t;
  }

  private rollout(e: StoreEvent): void {
    if (e.type === 'DELETED') return;
    this.checked.rollouts++;
    const s = ((e.object as Json)['status'] ?? {}) as Json;
    const t = this.tracked(e.object);
    const name = `${e.object.metadata.namespace ?? ''}/${e.object.metadata.name}`;
    t.canaryRevision = s['canaryRevision'] as string | undefined;
    if (s['phase'] === 'RolledBack') t.rolledBack = s['rolledBackRevision'] as string | undefined;
    const stable = s['stableRevision'] as string | undefined;
    if (stable !== undefined && stable !== t.stable) {
      // the first stable revision is the initial one, not a promotion
      if (t.stable !== undefined) {
        if (t.promoted.has(stable)) this.violations.push(`${name}: revision ${stable} promoted a second time`);
        t.promoted.add(stable);
      }
      t.stable = stable;
    }
  }

  private virtualService(e: StoreEvent): void {
    if (e.type === 'DELETED') return;
    this.checked.virtualServices++;
    const vs = e.object as Json;
    const name = `${vs['metadata']['namespace'] ?? ''}/${vs['metadata']['name']}`;
    let canaryWeight = 0;
    for (const route of (vs['spec']?.['http'] ?? []) as Json[]) {
      const dests = (route['route'] ?? []) as Json[];
      const weights = dests.map((d) => d['weight'] as number | undefined);
      if (dests.length > 1 || weights.some((w) => w !== undefined)) {
        const sum = weights.reduce<number>((a, w) => a + (w ?? 0), 0);
        if (sum !== 100)
          this.violations.push(
            `VirtualService ${name}: route weights add up to ${sum}, not 100 (${JSON.stringify(weights)})`,
          );
      }
      for (const d of dests)
        if (String(d['destination']?.['host'] ?? '').endsWith('-canary'))
          canaryWeight = Math.max(canaryWeight, (d['weight'] as number | undefined) ?? (dests.length === 1 ? 100 : 0));
    }
    const t = this.rollouts.get(name);
    if (t?.rolledBack !== undefined && t.rolledBack === t.canaryRevision && canaryWeight > 0)
      this.violations.push(
        `VirtualService ${name}: ${canaryWeight}% to the canary of revision ${t.rolledBack} after its rollback`,
      );
  }
}
