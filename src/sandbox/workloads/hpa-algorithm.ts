/**
 * The HorizontalPodAutoscaler's replica calculation (autoscaling/v2), as the Kubernetes
 * documentation describes it — "Algorithm details" and "Configurable scaling behavior": the
 * usage ratio with its tolerance, the conservative treatment of not-ready pods and missing
 * metrics, the stabilization windows, and the scaling policies with their periods. Pure, and
 * tested against the documentation's worked examples; the sandbox's HPA controller feeds it.
 */

export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: ScalingPolicy[];
}

export interface Behavior {
  scaleUp?: ScalingRules;
  scaleDown?: ScalingRules;
}

type Rules = Required<ScalingRules>;

/** The controller manager's --horizontal-pod-autoscaler-tolerance. */
export const TOLERANCE = 0.1;

/** The documented defaults: scale up at once by 100% or 4 pods per 15 s; scale down after 300 s, by up to 100%. */
const DEFAULTS: { scaleUp: Rules; scaleDown: Rules } = {
  scaleUp: {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Percent', value: 100, periodSeconds: 15 },
      { type: 'Pods', value: 4, periodSeconds: 15 },
    ],
  },
  scaleDown: {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  },
};

/** A behavior with every field the user left out set to its default (merged field by field). */
export function withDefaults(b: Behavior | undefined): { scaleUp: Rules; scaleDown: Rules } {
  const merge = (given: ScalingRules | undefined, d: Rules): Rules => ({
    stabilizationWindowSeconds: given?.stabilizationWindowSeconds ?? d.stabilizationWindowSeconds,
    selectPolicy: given?.selectPolicy ?? d.selectPolicy,
    policies: given?.policies ?? d.policies,
  });
  return { scaleUp: merge(b?.scaleUp, DEFAULTS.scaleUp), scaleDown: merge(b?.scaleDown, DEFAULTS.scaleDown) };
}

/** One pod of the target: ready or not, its usage of the resource (undefined: no metric yet) and its request. */
export interface PodSample {
  ready: boolean;
  usage: number | undefined;
  request: number;
}

const sum = (ps: readonly PodSample[], f: (p: PodSample) => number): number => ps.reduce((a, p) => a + f(p), 0);

/** The replicas a resource utilization target asks for, before behavior; `utilization` as measured (percent). */
export function proposedReplicas(
  current: number,
  pods: readonly PodSample[],
  targetUtilization: number,
  tolerance = TOLERANCE,
): { replicas: number; utilization: number | undefined } {
  const measured = pods.filter((p) => p.ready && p.usage !== undefined);
  const requested = sum(measured, (p) => p.request);
  if (measured.length === 0 || requested === 0) return { replicas: current, utilization: undefined };
  const utilization = (100 * sum(measured, (p) => p.usage ?? 0)) / requested;
  const ratio = utilization / targetUtilization;
  if (measured.length === pods.length) {
    const replicas = Math.abs(1 - ratio) <= tolerance ? current : Math.ceil(ratio * measured.length);
    return { replicas, utilization };
  }
  return { replicas: conservative(current, pods, ratio > 1, targetUtilization, tolerance), utilization };
}

/**
 * With pods not ready or without a metric, conservatively: pods without a metric use the target
 * on a scale down and nothing on a scale up; not-ready pods count (at 0) only on a scale up. If
 * that reverses the direction, or lands within the tolerance, nothing changes.
 */
function conservative(
  current: number,
  pods: readonly PodSample[],
  up: boolean,
  targetUtilization: number,
  tolerance: number,
): number {
  const assumed = pods.flatMap((p): PodSample[] => {
    if (p.ready && p.usage !== undefined) return [p];
    if (p.ready) return [{ ...p, usage: up ? 0 : (p.request * targetUtilization) / 100 }];
    return up ? [{ ...p, usage: 0 }] : [];
  });
  const ratio = (100 * sum(assumed, (p) => p.usage ?? 0)) / sum(assumed, (p) => p.request) / targetUtilization;
  if (Math.abs(1 - ratio) <= tolerance || (up ? ratio < 1 : ratio > 1)) return current;
  const replicas = Math.ceil(ratio * assumed.length);
  return (up && replicas < current) || (!up && replicas > current) ? current : replicas;
}

/** A change the HPA made to the target's replicas (positive: added). */
export interface ScaleEvent {
  atMs: number;
  change: number;
}

/** A replica count the metrics asked for at a moment (the stabilization windows look back over them). */
export interface Recommendation {
  atMs: number;
  replicas: number;
}

export type LimitReason = 'TooFewReplicas' | 'TooManyReplicas' | 'ScaleUpLimit' | 'ScaleDownLimit';

const changedInPeriod = (events: readonly ScaleEvent[], nowMs: number, periodSeconds: number, sign: 1 | -1): number =>
  events
    .filter((e) => e.atMs > nowMs - periodSeconds * 1000 && Math.sign(e.change) === sign)
    .reduce((a, e) => a + Math.abs(e.change), 0);

/** The most replicas the scale-up policies allow now; `current` when scaling up is disabled. */
function scaleUpLimit(current: number, events: readonly ScaleEvent[], rules: Rules, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled' || rules.policies.length === 0) return current;
  const limits = rules.policies.map((p) => {
    const start =
      current -
      changedInPeriod(events, nowMs, p.periodSeconds, 1) +
      changedInPeriod(events, nowMs, p.periodSeconds, -1);
    return p.type === 'Pods' ? start + p.value : Math.ceil(start * (1 + p.value / 100));
  });
  return rules.selectPolicy === 'Min' ? Math.min(...limits) : Math.max(...limits);
}

/** The fewest replicas the scale-down policies allow now; `current` when scaling down is disabled. */
function scaleDownLimit(current: number, events: readonly ScaleEvent[], rules: Rules, nowMs: number): number {
  if (rules.selectPolicy === 'Disabled' || rules.policies.length === 0) return current;
  const limits = rules.policies.map((p) => {
    const start =
      current +
      changedInPeriod(events, nowMs, p.periodSeconds, -1) -
      changedInPeriod(events, nowMs, p.periodSeconds, 1);
    return p.type === 'Pods' ? start - p.value : Math.floor(start * (1 - p.value / 100));
  });
  // "Max" selects the policy that allows the most change: the lowest count
  return rules.selectPolicy === 'Min' ? Math.max(...limits) : Math.min(...limits);
}

/**
 * From the metrics' proposal to the replicas the HPA sets: stabilized over the windows (the
 * lowest recommendation of the scale-up window, the highest of the scale-down one), then held to
 * the policies' rates and to min/max. Returns the recommendations to keep for the next time.
 */
export function normalize(args: {
  current: number;
  proposed: number;
  min: number;
  max: number;
  behavior: Behavior | undefined;
  recommendations: readonly Recommendation[];
  events: readonly ScaleEvent[];
  nowMs: number;
}): { replicas: number; limited: LimitReason | undefined; recommendations: Recommendation[] } {
  const { current, proposed, min, max, nowMs } = args;
  const b = withDefaults(args.behavior);
  const upCutoff = nowMs - b.scaleUp.stabilizationWindowSeconds * 1000;
  const downCutoff = nowMs - b.scaleDown.stabilizationWindowSeconds * 1000;
  let up = proposed;
  let down = proposed;
  for (const r of args.recommendations) {
    if (r.atMs > upCutoff) up = Math.min(up, r.replicas);
    if (r.atMs > downCutoff) down = Math.max(down, r.replicas);
  }
  const keepFrom = Math.min(upCutoff, downCutoff);
  const recommendations = [
    ...args.recommendations.filter((r) => r.atMs > keepFrom),
    { atMs: nowMs, replicas: proposed },
  ];
  let desired = Math.min(Math.max(current, up), down);
  let limited: LimitReason | undefined;
  if (desired > current) {
    const allowed = Math.min(max, Math.max(current, scaleUpLimit(current, args.events, b.scaleUp, nowMs)));
    if (desired > allowed) {
      limited = allowed === max ? 'TooManyReplicas' : 'ScaleUpLimit';
      desired = allowed;
    }
  } else if (desired < current) {
    const allowed = Math.max(min, Math.min(current, scaleDownLimit(current, args.events, b.scaleDown, nowMs)));
    if (desired < allowed) {
      limited = allowed === min ? 'TooFewReplicas' : 'ScaleDownLimit';
      desired = allowed;
    }
  }
  if (desired > max) [desired, limited] = [max, 'TooManyReplicas'];
  if (desired < min) [desired, limited] = [min, 'TooFewReplicas'];
  return { replicas: desired, limited, recommendations };
}
