/**
 * Every `status.reason` (and Event reason) Sluice writes, with what it means. docs/reasons.md is
 * generated from this list and a test keeps the two equal (STYLE.md #12).
 */

export const REASONS = {
  // Initializing
  Initializing: 'Creating the primary Deployment, the Services and the routing for the first time.',
  WaitingForPrimary: 'The primary Deployment is not ready yet; routing stays on what serves now.',
  Initialized: 'The primary serves all traffic; the target was scaled to 0.',
  // Healthy
  Stable: 'The stable revision serves all traffic; no run is in progress.',
  Reverted: 'Git went back to the stable revision during a run; the canary was stopped without a rollback.',
  Promoted: 'The canary passed every step and became the stable revision.',
  // Progressing
  NewRevision: 'The target has a new pod template: a canary run started.',
  RestartedForNewRevision: 'A newer revision arrived during a run; the run restarted for it.',
  WaitingForCanary: 'The canary Deployment is scaling up; traffic waits until it has ready endpoints.',
  WaitingForAutoscaler:
    "Traffic moves to the canary once <hpa>-primary, the copy of the target's HPA, holds the primary at its full size (its minimum raised for the run).",
  PrimaryNotScaled:
    'dynamicStableScale: the primary did not get back to its size within progressDeadlineSeconds before traffic had to return to it; the traffic moved anyway. Look for pods that cannot be scheduled.',
  ScalingPrimary:
    'dynamicStableScale: the primary, shrunk while the canary had traffic, is scaled back up; traffic moves to it once every pod is ready.',
  WeightSet: 'Traffic to the canary was set to the weight of the current step.',
  AnalysisRunning: 'An analysis step is measuring; the next step waits for its verdict.',
  WaitingForMetrics:
    'The last measurement of a metric failed (Prometheus unreachable or erroring); the run holds its weight, promotes nothing while blind, and goes on when measurements work again.',
  StepAdvanced: 'A step completed; the run moved to the next one.',
  Resumed: 'A manual resume ended a manual pause.',
  // Paused
  PauseStep: 'A timed pause step is waiting for its duration to pass.',
  WaitingForPromotion: 'A pause step without duration waits for a promote command.',
  ManualPause: 'A pause command holds the run at its current weight until a resume command.',
  OutsideWindow:
    'The run holds its weight outside its promotion windows (or inside a freeze) until status.nextWindow; analysis goes on and a failing canary is still rolled back. sluice promote --force overrides it.',
  AnalysisInconclusive:
    'Analysis gave no verdict too often (no data, too little traffic); a person decides: promote, abort or retry.',
  MetricsUnavailable:
    'A metric errored more times in a row than its consecutiveErrorLimit; the run holds until measurements work again (or a person decides).',
  CanaryLostEndpoints:
    'The canary has no ready endpoints during a run; its traffic went back to the primary until it recovers.',
  // Promoting
  Promoting: 'The canary template is being copied to the primary.',
  WaitingForPrimaryRollout:
    'The primary is rolling out the promoted template; traffic moves back to it once it is ready.',
  // RolledBack
  AnalysisFailed: 'A metric failed its thresholds; the canary was rolled back.',
  Aborted: 'An abort command rolled the canary back.',
  ProgressDeadlineExceeded:
    'The run made no progress for progressDeadlineSeconds (e.g. the canary never became ready); it was rolled back.',
  RolledBack: 'The last run was rolled back; this revision is not run again unless a retry command says so.',
  // Invalid
  InvalidSpec: 'The Rollout spec has errors; the message names the field. Nothing is changed until it is fixed.',
  TargetNotFound: 'The Deployment named in spec.targetRef does not exist.',
  RoutingConflict:
    'An object with a name Sluice generates (the VirtualService, a DestinationRule, the -primary or -canary Service, the -primary Deployment) exists and was not made by Sluice, or an adopted VirtualService cannot be routed with: Sluice routes, scales and runs nothing until it is resolved; the message names the objects and how to adopt a VirtualService.',
  // Deletion
  Finalizing:
    'The Rollout is being deleted: the target is scaled up and given all traffic before the primary and routing go.',
  HandOverFailed:
    'The Rollout is being deleted but the target never became ready within progressDeadlineSeconds: the primary, its Services and the routing were left in place (no longer owned by the Rollout) so that traffic keeps flowing; see docs/install.md to clean up.',
  // Any phase
  RoutingRestored:
    'A generated Service, DestinationRule or VirtualService was deleted outside Sluice; it was created again.',
  PrimaryRestored:
    '<target>-primary was deleted, scaled down, or its pod template or -primary config copies changed outside Sluice: it was restored. Condition PrimaryAvailable.',
  PrimaryMissing:
    '<target>-primary does not exist (deleted outside Sluice). It is created again while the target holds the stable revision; otherwise requests to the primary fail until the stable revision is back in Git or the canary is promoted. Condition PrimaryAvailable.',
  PrimaryNotReady:
    '<target>-primary has no ready pod: requests to the primary fail until one is ready. Condition PrimaryAvailable.',
  PrimaryReady: '<target>-primary exists and has ready pods. Condition PrimaryAvailable.',
  // Autoscaling (docs/autoscaling.md)
  AutoscalerCopied:
    "Sluice created or updated <hpa>-primary, the copy of the target's HorizontalPodAutoscaler that scales <target>-primary.",
  AutoscalerRemoved:
    "The target's HorizontalPodAutoscaler is gone (or renamed): Sluice deleted its copy for the primary.",
  PrimaryAutoscaled:
    "<hpa>-primary scales the primary and the target's HPA sizes the canary during a run. Condition Autoscaled.",
  AutoscalerNotFound:
    'spec.autoscalerRef names a HorizontalPodAutoscaler that does not exist or does not scale the target: the primary keeps its size and the canary is sized like it until it does. Condition Autoscaled.',
  RestartingCanary:
    "The run started while the target had pods of an earlier revision (a config-only change does not roll them): traffic back to the primary, then after scaleDownDelay the canary is scaled to 0 and up again with this revision's configs.",
  RoutingUpdated:
    'spec.service changed (timeout, retries, hosts, gateways, match, headers, trafficPolicy, port): the generated VirtualService, DestinationRules and Services were updated to it, the weights kept.',
  ReconcileFailed:
    'Carrying out a decision failed (the message says what and why); the controller retries with backoff, and the status keeps the last state reached.',
  // Commands
  CommandAccepted: 'A manual command was acted on.',
  CommandRejected: 'A manual command could not be acted on in the current phase; the message says why.',
  ChatOpsCommand:
    'A command was given in a pull request comment; the message names who gave it, what it was and the comment.',
  ServiceSelectsTargetOnly:
    "The Service clients call (spec.service.name, owned by Git) selects only the target's pods, which have 0 replicas between runs: clients outside the mesh (no sidecar) find no endpoint. Select on a pod label the Deployment's selector does not use (the -primary pods keep it), or leave the Service to Sluice. Condition ServiceSelectsPrimary.",
  ServiceSelectsNeither:
    "The Service clients call (spec.service.name, owned by Git) selects neither the target's nor the primary's pods. Condition ServiceSelectsPrimary.",
  SelectsPrimary:
    "The Service clients call selects the primary's pods: clients outside the mesh reach the stable version. Condition ServiceSelectsPrimary.",
  NotificationFailed:
    "A notification channel refused Sluice's messages (e.g. Slack channel_not_found or invalid_auth); the rollout goes on; the message says what to fix.",
} as const;

export type Reason = keyof typeof REASONS;

export function renderReasonsDoc(): string {
  const rows = Object.entries(REASONS).map(([reason, doc]) => `| \`${reason}\` | ${doc} |`);
  return [
    '# Status reasons',
    '',
    '<!-- Generated by `npm run gen:crds` from src/rollout/reasons.ts. Do not edit by hand. -->',
    '',
    'Every `status.reason` of a Rollout, and the reason of every Event Sluice records, is one of these.',
    '',
    '| reason | meaning |',
    '|---|---|',
    ...rows,
    '',
  ].join('\n');
}
