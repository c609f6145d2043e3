/** `Rollout.status`: written by Sluice only, through the status subresource. */
import { Obj, Str, Int, Num, Bool, List, Enum, DateTime, Optional, type Static } from './kit.js';
import { Condition } from './meta.js';
import { ROLLOUT_PHASE_NAMES, MEASUREMENT_PHASE_NAMES, COMMAND_ACTION_NAMES } from '../phases.js';

export const Measurement = Obj(
  {
    phase: Enum(MEASUREMENT_PHASE_NAMES, { description: 'Verdict of this measurement.' }),
    value: Optional(Num({ description: 'Measured value of the canary.' })),
    primaryValue: Optional(Num({ description: 'Measured value of the primary, for comparative thresholds.' })),
    sample: Optional(Num({ description: 'Requests in the window, for the minimum-sample guard.' })),
    message: Optional(Str({ description: 'What was decided and why, e.g. "412 ms > 300 ms".', maxLength: 1024 })),
    failFast: Optional(Bool({ description: 'The value broke a fail-fast bound: the canary is rolled back at once.' })),
    startedAt: DateTime({ description: 'When the measurement was taken.' }),
  },
  { description: 'One measurement of a metric.' },
);

export const MetricStatus = Obj(
  {
    name: Str({
      description:
        'Where the metric runs and which it is: background:<template>/<metric>, or step[<index>]:<template>/<metric> for an analysis step.',
      maxLength: 253,
    }),
    phase: Enum(MEASUREMENT_PHASE_NAMES, { description: 'Overall verdict of the metric in this run so far.' }),
    unit: Optional(Str({ description: 'Unit of the values, from the template.', maxLength: 32 })),
    min: Optional(Num({ description: 'Lowest passing value (the resolved thresholds.min), for people and reports.' })),
    max: Optional(Num({ description: 'Highest passing value (the resolved thresholds.max), for people and reports.' })),
    successful: Int({ description: 'Successful measurements in this run.', minimum: 0 }),
    failed: Int({ description: 'Failed measurements in this run.', minimum: 0 }),
    inconclusive: Int({ description: 'Inconclusive measurements in this run.', minimum: 0 }),
    errors: Int({ description: 'Measurements that errored in this run.', minimum: 0 }),
    consecutiveErrors: Int({ description: 'Errors since the last measurement that did not error.', minimum: 0 }),
    measurements: List(Measurement, { description: 'The latest measurements, newest last (bounded).', maxItems: 10 }),
  },
  { description: 'Analysis state of one metric in the current run.' },
);

export const Command = Obj(
  {
    id: Str({ description: 'Unique id of the command.', maxLength: 64 }),
    action: Enum(COMMAND_ACTION_NAMES, { description: 'What was asked.' }),
    user: Str({ description: 'Who asked (Kubernetes user or GitHub login).', maxLength: 256 }),
    source: Enum(['cli', 'github', 'api'] as const, { description: 'Where the command came from.' }),
    at: DateTime({ description: 'When the command was given.' }),
    reason: Optional(Str({ description: 'Reason given with the command.', maxLength: 1024 })),
    force: Optional(Bool({ description: 'Override a closed promotion window.' })),
    revision: Optional(Str({ description: 'Revision the command applies to.', maxLength: 64 })),
    handledAt: Optional(DateTime({ description: 'When the controller acted on the command.' })),
    outcome: Optional(Str({ description: 'What the controller did with it.', maxLength: 1024 })),
    accepted: Optional(
      Bool({ description: 'Whether the controller did what was asked (false: refused, the outcome says why).' }),
    ),
  },
  { description: 'A manual command, recorded on status so that GitOps tools never revert it.' },
);

export const Release = Obj(
  {
    repository: Str({ description: 'The repository on GitHub, as owner/name.', maxLength: 200 }),
    commit: Optional(
      Str({
        description: 'The commit of the release (the full SHA once Sluice has looked it up).',
        pattern: '^[0-9a-f]{7,40}$',
        maxLength: 40,
      }),
    ),
    pullRequest: Optional(Int({ description: 'The pull request that shipped the release.', minimum: 1 })),
    source: Enum(['annotations', 'spec'] as const, {
      description: 'Where the repository came from: sluice.dev/* annotations, or spec.notifications.github.',
    }),
  },
  {
    description:
      "Where the target's current release comes from on GitHub, as Sluice resolved it (PR comments are mapped back to the Rollout through it).",
  },
);

const WorkloadReplicas = Obj(
  {
    replicas: Int({ description: 'spec.replicas of the Deployment.', minimum: 0 }),
    ready: Int({ description: 'Its ready replicas.', minimum: 0 }),
  },
  { description: 'The replicas of a Deployment.' },
);

export const RolloutStatus = Obj(
  {
    observedGeneration: Optional(
      Int({ description: 'The .metadata.generation this status was computed for.', minimum: 0 }),
    ),
    sequence: Optional(
      Int({
        description:
          'Counts the status writes of the controller; replicas use it to tell that their view of the Rollout is behind.',
        minimum: 0,
      }),
    ),
    phase: Optional(
      Enum(ROLLOUT_PHASE_NAMES, { description: 'Where the Rollout is in its lifecycle (see docs/api.md).' }),
    ),
    reason: Optional(
      Str({ description: 'Machine-readable reason for the phase (see docs/reasons.md).', maxLength: 128 }),
    ),
    message: Optional(Str({ description: 'One human sentence about now.', maxLength: 4096 })),
    canaryWeight: Optional(
      Int({ description: 'Percentage of traffic currently sent to the canary.', minimum: 0, maximum: 100 }),
    ),
    currentStepIndex: Optional(
      Int({ description: 'Index of the step being run (equal to the number of steps once all are done).', minimum: 0 }),
    ),
    stableRevision: Optional(Str({ description: 'Hash of the pod template served by the primary.', maxLength: 64 })),
    canaryRevision: Optional(
      Str({ description: 'Hash of the pod template of the target (the canary).', maxLength: 64 }),
    ),
    rolledBackRevision: Optional(
      Str({ description: 'Revision last rolled back; it is not run again unless retried.', maxLength: 64 }),
    ),
    primaryReplicas: Optional(
      Int({
        description:
          "The primary's full size: its size between runs (the target's at initialization, then whatever a person or its autoscaler makes it), never lowered during a run, so that a promotion or rollback finds the capacity to take all traffic back (docs/autoscaling.md). A primary deleted or scaled to 0 outside Sluice is restored to it.",
        minimum: 0,
      }),
    ),
    primaryGrowingSince: Optional(
      DateTime({
        description:
          'dynamicStableScale: since when the primary has been scaled back up before traffic returns to it; past progressDeadlineSeconds the traffic moves anyway (Warning PrimaryNotScaled).',
      }),
    ),
    replicas: Optional(
      Obj(
        {
          primary: Optional(WorkloadReplicas),
          canary: Optional(WorkloadReplicas),
        },
        {
          description:
            'The replicas of <target>-primary (primary) and of the target, the canary (canary), as last seen: sluice get and the reports show them.',
        },
      ),
    ),
    canaryRestart: Optional(
      Bool({
        description:
          "The run started while the target had pods of an earlier revision, which a config-only change would not roll: they are restarted (traffic off, scaleDownDelay, scaled to 0 and up again) before the run's steps go on.",
      }),
    ),
    runStartedAt: Optional(DateTime({ description: 'When the current run started.' })),
    stepStartedAt: Optional(DateTime({ description: 'When the current step started.' })),
    progressStalledAt: Optional(
      DateTime({
        description:
          'When the canary stopped progressing (not rolled out, or without a ready replica); spec.progressDeadlineSeconds counts from it.',
      }),
    ),
    scaleDownAt: Optional(
      DateTime({
        description:
          'When the canary, whose traffic went to 0, is scaled down (spec.strategy.canary.scaleDownDelay after the weight change).',
      }),
    ),
    scaleDownRoutingVersion: Optional(
      Str({
        maxLength: 64,
        description: [
          'The resourceVersion of the routing object in which the canary was seen without traffic when scaleDownAt was set;',
          'another version (a later routing write) restarts the delay.',
        ].join(' '),
      }),
    ),
    nextWindow: Optional(
      DateTime({
        description:
          'While a run waits outside its promotion windows (reason OutsideWindow): when traffic may move again.',
      }),
    ),
    conditions: Optional(
      List(Condition, {
        description: 'Conditions per the Kubernetes API conventions.',
        listType: 'map',
        mapKeys: ['type'],
        maxItems: 32,
      }),
    ),
    metrics: Optional(
      List(MetricStatus, {
        description: 'Analysis state of each metric in the current run.',
        listType: 'map',
        mapKeys: ['name'],
        maxItems: 64,
      }),
    ),
    commands: Optional(List(Command, { description: 'Recent manual commands, oldest first (bounded).', maxItems: 20 })),
    release: Optional(Release),
  },
  { description: 'Observed state of the Rollout, written by Sluice.' },
);

export type RolloutStatus = Static<typeof RolloutStatus>;
export type MetricStatus = Static<typeof MetricStatus>;
export type Measurement = Static<typeof Measurement>;
export type Command = Static<typeof Command>;
export type Release = Static<typeof Release>;
