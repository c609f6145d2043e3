/**
 * The Deployment controller's arithmetic for moving replicas from old ReplicaSets to the new one,
 * as Kubernetes does it (pkg/controller/deployment/rolling.go and recreate.go), pure:
 * - RollingUpdate: the new ReplicaSet grows while all pods stay within `replicas + maxSurge`; old
 *   ones shrink while available pods stay at or above `replicas - maxUnavailable` (unavailable old
 *   pods go first). maxSurge rounds up, maxUnavailable down; both 0 means maxUnavailable 1.
 * - Recreate: every old pod goes before the new ReplicaSet gets any.
 * Without old replicas this is plain scaling: the new ReplicaSet gets `replicas`.
 */

/** A ReplicaSet as the arithmetic needs it: spec.replicas and status.availableReplicas (and the pods it still has). */
export interface ReplicaSetCounts {
  replicas: number;
  available: number;
  /** Pods that still exist (status.replicas): Recreate waits for them to be gone. */
  pods: number;
}

export interface Strategy {
  type?: string;
  rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string };
}

/** An IntOrString against `total`: a number, or a percentage rounded up or down. */
function scaled(value: number | string | undefined, total: number, roundUp: boolean): number {
  if (value === undefined) return scaled('25%', total, roundUp);
  if (typeof value === 'number') return value;
  const pct = /^(\d+)%$/.exec(value);
  if (pct === null) return Number.parseInt(value, 10) || 0;
  const exact = (total * Number(pct[1])) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** maxSurge and maxUnavailable as pod counts (deploymentutil.ResolveFenceposts). */
export function fenceposts(strategy: Strategy | undefined, desired: number): { surge: number; unavailable: number } {
  const surge = scaled(strategy?.rollingUpdate?.maxSurge, desired, true);
  const unavailable = scaled(strategy?.rollingUpdate?.maxUnavailable, desired, false);
  return surge === 0 && unavailable === 0 ? { surge, unavailable: 1 } : { surge, unavailable };
}

const total = (sets: ReplicaSetCounts[], f: (s: ReplicaSetCounts) => number): number =>
  sets.reduce((n, s) => n + f(s), 0);

/** The replicas the new ReplicaSet and each old one (in the order given, oldest first) get in this sync. */
export function nextReplicas(
  desired: number,
  strategy: Strategy | undefined,
  current: ReplicaSetCounts,
  olds: ReplicaSetCounts[],
): { current: number; olds: number[] } {
  if (olds.every((o) => o.replicas === 0 && o.pods === 0)) return { current: desired, olds: olds.map(() => 0) };
  if (strategy?.type === 'Recreate') {
    const gone = olds.every((o) => o.pods === 0);
    return { current: gone ? desired : 0, olds: olds.map(() => 0) };
  }
  const { surge, unavailable } = fenceposts(strategy, desired);
  const next = scaledUp(desired, surge, current, olds);
  return { current: next, olds: scaledDown(desired - unavailable, { ...current, replicas: next }, olds) };
}

/** The new ReplicaSet's replicas: growing while all pods stay within replicas + maxSurge. */
function scaledUp(desired: number, surge: number, current: ReplicaSetCounts, olds: ReplicaSetCounts[]): number {
  if (current.replicas > desired) return desired;
  const room = desired + surge - (current.replicas + total(olds, (o) => o.replicas));
  return Math.min(desired, current.replicas + Math.max(0, room));
}

/** The old ReplicaSets' replicas: their unavailable pods first, then available ones while minAvailable holds. */
function scaledDown(minAvailable: number, current: ReplicaSetCounts, olds: ReplicaSetCounts[]): number[] {
  const out = olds.map((o) => o.replicas);
  const newUnavailable = current.replicas - current.available;
  let budget = current.replicas + total(olds, (o) => o.replicas) - minAvailable - newUnavailable;
  if (budget <= 0) return out;
  olds.forEach((o, i) => {
    const unhealthy = Math.min(budget, Math.max(0, o.replicas - o.available));
    out[i] = o.replicas - unhealthy;
    budget -= unhealthy;
  });
  let down = Math.max(0, current.available + total(olds, (o) => o.available) - minAvailable);
  olds.forEach((_, i) => {
    const cut = Math.min(down, out[i] ?? 0);
    out[i] = (out[i] ?? 0) - cut;
    down -= cut;
  });
  return out;
}
