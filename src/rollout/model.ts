/**
 * What the planner sees (observations) and what it decides (actions), as data. The controller
 * shell gathers observations from its informer caches and carries actions out.
 */
import type { ReleaseObservation } from '../notify/release.js';
import type { ScheduleSpec } from '../schedule/windows.js';
import type { CommandAction } from '../api/phases.js';
import type { TakenMeasurement } from '../analysis/assess.js';
import type { ResolvedMetric } from '../analysis/resolve.js';

/** A Deployment as far as a rollout cares. */
export interface WorkloadObservation {
  /** Revision (pod template hash) the Deployment's template has. */
  revision: string;
  /** spec.replicas. */
  replicas: number;
  readyReplicas: number;
  /** The Deployment controller has seen the latest spec and every replica runs the template. */
  rolledOut: boolean;
  /**
   * Every pod it has runs the template (the Deployment controller has seen the latest spec), though
   * it may still be scaling: an autoscaler adding replicas to a canary that serves.
   */
  allUpdated?: boolean;
}

/** The target's HorizontalPodAutoscaler (the user's, Git's) and where Sluice's copy for the primary stands. */
export interface AutoscalerObservation {
  kind: 'HorizontalPodAutoscaler' | 'ScaledObject';
  /** Name of the user's autoscaler. */
  name: string;
  /** `<name>-primary`: as it should be, missing, different from the user's, or someone else's object. */
  copy: 'ok' | 'missing' | 'drifted' | 'foreign';
  minReplicas: number;
  maxReplicas: number;
  /** The copy's minimum (the user's between runs; raised during a run). */
  copyMinReplicas?: number;
  /** A ScaledObject: whether this Rollout has paused it (KEDA holds the target at 0 between runs). */
  paused?: boolean;
}

/** The run's analysis: the metrics it measures (resolved from its templates) and what was just measured. */
export interface AnalysisObservation {
  metrics: ResolvedMetric[];
  /** Measurements the shell took for this pass (those due now), to be folded into status.metrics. */
  taken: TakenMeasurement[];
}

export interface PendingCommand {
  id: string;
  action: CommandAction;
  user: string;
  revision?: string;
  /** Override a closed promotion window (sluice promote --force). */
  force?: boolean;
}

export interface Observations {
  /** Schema and semantic problems of the spec (errors only). */
  specErrors: string[];
  target: WorkloadObservation | undefined;
  primary: WorkloadObservation | undefined;
  /** The canary weight the router reports now, undefined when no routing exists yet. */
  routedWeight: number | undefined;
  /**
   * The version (resourceVersion) of the routing object that holds the weights, as observed: it
   * changes with every write to it. The canary's scale-down delay counts from a pass that saw the
   * weight at 0 in this version (never from before the write that took the traffic away).
   */
  routingVersion?: string;
  /**
   * What the Service clients call (spec.service.name) selects, when Git owns it: `targetOnly`
   * leaves clients outside the mesh without an endpoint between runs. Absent when Sluice made it.
   */
  serviceReach?: 'primary' | 'targetOnly' | 'neither';
  /**
   * Objects with the names Sluice generates that it did not make (or an adopted VirtualService it
   * cannot route with), as `Kind/name: why`. Sluice then routes, scales and runs nothing.
   */
  conflicts?: string[];
  /**
   * How `<target>-primary` differs from what the stable revision makes of it (its pod template
   * edited, a `-primary` ConfigMap or Secret copy missing or changed), as short phrases. Only
   * known while the target holds the primary's revision (else nothing to compare with).
   */
  primaryDrift?: string[];
  /** Generated Services, DestinationRules or VirtualService that do not exist, as `Kind/name`. */
  missingRouting: string[];
  /**
   * Generated objects (Sluice's own) whose settings differ from what spec.service says now (a Git
   * change of timeout, retries, match, port...), as `Kind/name`.
   */
  drift?: string[];
  /** The target's autoscaler, when it has one: it sizes the canary, and its copy the primary. */
  autoscaler?: AutoscalerObservation;
  /** spec.autoscalerRef names an autoscaler that does not exist, as `Kind/name`. */
  missingAutoscaler?: string;
  /** ScaledObjects this Rollout paused that are no longer its target's autoscaler: to be resumed. */
  pausedScaledObjects?: string[];
  /** Sluice's autoscaler copies of this Rollout that no longer copy its autoscaler (it was removed or renamed), as `Kind/name`. */
  strayAutoscalers?: string[];
  analysis: AnalysisObservation;
  /** Commands recorded on status and not handled yet, oldest first. */
  commands: PendingCommand[];
  /** While the Rollout is being deleted: where the hand-over to the target stands. */
  deletion?: {
    /** Nothing routes to the generated `-primary`/`-canary` Services any more. */
    handedOver: boolean;
    /** The Service clients call is Sluice's own (it would go with the Rollout). */
    serviceIsSluices: boolean;
  };
  /** Where the target's release comes from on GitHub, and whether it is reported (absent: not observed). */
  release?: ReleaseObservation;
  /** Cluster-wide promotion windows (--schedule-defaults); the Rollout's spec.schedule may only tighten them. */
  defaultSchedule?: ScheduleSpec;
  /** Whether Slack takes this Rollout's messages (absent: Slack is not used for it). */
  slack?: { ok: boolean; reason: string; message: string };
}

/** Changes to the world, carried out in order by the controller; each is idempotent. */
export type Action =
  /** Create or update `<target>-primary` with the template of `revision` (copied from the target). */
  | { type: 'ensurePrimary'; revision: string; replicas: number }
  /** Create `<service>-primary` and `<service>-canary`, VirtualService and DestinationRules if missing. */
  | { type: 'ensureServices' }
  /** Bring the generated routing objects and Services to what spec.service says, the weights kept. */
  | { type: 'convergeRouting' }
  /** Route `canaryWeight`% to the canary and the rest to the primary. */
  | { type: 'setWeight'; canaryWeight: number }
  /** Create or update `<name>-primary`, the copy of the target's autoscaler that scales the primary, with this minimum. */
  | { type: 'ensureAutoscaler'; minReplicas: number }
  /** Delete a copy Sluice made of an autoscaler the target no longer has. */
  | { type: 'deleteAutoscaler'; kind: AutoscalerObservation['kind']; name: string }
  /** Pause the target's KEDA ScaledObject (KEDA holds the target at 0 between runs), or resume it. */
  | { type: 'pauseAutoscaler'; name: string; paused: boolean }
  /** Scale `<target>-primary` through its scale subresource (someone scaled it down outside Sluice). */
  | { type: 'scalePrimary'; replicas: number }
  /** Scale the target (the canary) through its scale subresource. */
  | { type: 'scaleCanary'; replicas: number }
  /** On deletion: route all traffic to the Service clients call instead of the generated ones. */
  | { type: 'handOver' }
  /** On deletion: the Service clients call, Sluice's own, selects the target's pods and is no longer owned (it stays). */
  | { type: 'releaseService' }
  /** On deletion, when the target never became ready: the primary and the routing stay, no longer owned by the Rollout. */
  | { type: 'orphan' }
  /** Add Sluice's finalizer to the Rollout, so that its deletion can restore the target first. */
  | { type: 'addFinalizer' }
  /** Remove it: the Rollout and the objects it owns may go. */
  | { type: 'removeFinalizer' };

export const FINALIZER = 'sluice.dev/finalizer';
