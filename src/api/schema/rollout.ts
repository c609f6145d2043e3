/** The `Rollout` kind (sluice.dev/v1alpha1): spec written in Git, status written by Sluice. */
import {
  Obj,
  Str,
  Int,
  Bool,
  List,
  Duration,
  Enum,
  Optional,
  DateTime,
  MapOf,
  ARG_NAME_PATTERN,
  DNS_SUBDOMAIN_PATTERN,
  type Static,
} from './kit.js';
import { ObjectMeta } from './meta.js';
import { Service, VirtualServiceRef } from './service.js';
import { RolloutStatus } from './rollout-status.js';
import { PrometheusProvider, TEMPLATE_KINDS } from './analysis-template.js';

export const TemplateRef = Obj(
  {
    name: Str({
      description: 'Name of an AnalysisTemplate in the Rollout namespace, or of a ClusterAnalysisTemplate.',
      pattern: DNS_SUBDOMAIN_PATTERN,
      maxLength: 253,
    }),
    kind: Optional(
      Enum(TEMPLATE_KINDS, {
        description: 'AnalysisTemplate (in the Rollout namespace; the default) or ClusterAnalysisTemplate.',
      }),
    ),
  },
  { description: 'A reference to an AnalysisTemplate or a ClusterAnalysisTemplate.' },
);

export const ArgValue = Obj(
  {
    name: Str({
      description: 'Name of the arg, as declared in the template.',
      pattern: ARG_NAME_PATTERN,
      maxLength: 63,
    }),
    value: Str({
      description: 'Value of the arg. It is escaped when put into a query, so it can never change the query shape.',
      maxLength: 1024,
    }),
  },
  { description: 'A value for a template arg.' },
);

const analysisRefFields = {
  templates: List(TemplateRef, { description: 'Templates whose metrics are measured.', minItems: 1, maxItems: 16 }),
  args: Optional(
    List(ArgValue, {
      description: 'Values for the args the templates declare.',
      listType: 'map',
      mapKeys: ['name'],
      maxItems: 64,
    }),
  ),
};

export const AnalysisRef = Obj(analysisRefFields, {
  description:
    'An analysis gate: the metrics of the templates are measured (count times, interval apart) and the next step waits for the verdict.',
});

export const BackgroundAnalysis = Obj(
  {
    ...analysisRefFields,
    startingStep: Optional(
      Int({
        description: 'Index of the step from which background analysis runs; 0 (the default) is the start of the run.',
        minimum: 0,
      }),
    ),
  },
  {
    description:
      'Analysis that runs every interval for the whole canary run; a failure rolls the canary back at any step.',
  },
);

export const Step = Obj(
  {
    setWeight: Optional(Int({ description: 'Percentage of traffic sent to the canary.', minimum: 0, maximum: 100 })),
    pause: Optional(
      Obj(
        {
          duration: Optional(
            Duration({ description: 'How long to wait; without it the run waits for a promote command.' }),
          ),
        },
        { description: 'Wait for a time, or until a person promotes.' },
      ),
    ),
    analysis: Optional(AnalysisRef),
  },
  {
    description: 'One step of the canary: exactly one of setWeight, pause or analysis.',
    minProperties: 1,
    maxProperties: 1,
  },
);

export const AutoscalerRef = Obj(
  {
    apiVersion: Enum(['autoscaling/v2', 'keda.sh/v1alpha1'] as const, {
      description: 'autoscaling/v2 for a HorizontalPodAutoscaler, keda.sh/v1alpha1 for a KEDA ScaledObject.',
    }),
    kind: Enum(['HorizontalPodAutoscaler', 'ScaledObject'] as const, { description: 'Kind of the autoscaler.' }),
    name: Str({
      description: "Name of the autoscaler, in the Rollout's namespace.",
      pattern: DNS_SUBDOMAIN_PATTERN,
      maxLength: 253,
    }),
    primaryScalerQueries: Optional(
      MapOf(Str({ maxLength: 4096, description: 'The query.' }), {
        description: [
          'ScaledObject only: trigger name -> the query its copy for the primary uses instead (metadata.query),',
          "for a trigger whose query measures the target's own pods (the canary during a run).",
        ].join(' '),
      }),
    ),
  },
  {
    description: [
      'The autoscaler of the target, named explicitly (without it Sluice finds the KEDA ScaledObject or',
      'HorizontalPodAutoscaler whose scaleTargetRef is the target). Sluice copies it as <name>-primary for the primary',
      'and never edits its spec; it sizes the canary while a run goes on (a ScaledObject is paused between runs).',
    ].join(' '),
  },
);

export const CanaryScale = Obj(
  {
    matchTrafficWeight: Optional(
      Bool({
        description: 'The canary runs ceil(primary replicas x weight / 100) replicas, resized before each weight step.',
      }),
    ),
    replicas: Optional(Int({ description: 'The canary runs this many replicas.', minimum: 1, maximum: 10000 })),
    percent: Optional(
      Int({
        description: 'The canary runs ceil(primary replicas x percent / 100) replicas.',
        minimum: 1,
        maximum: 100,
      }),
    ),
  },
  {
    description:
      "How many replicas the canary runs when no autoscaler sizes it: exactly one of matchTrafficWeight, replicas or percent (Argo Rollouts' setCanaryScale). Without it, as many as the primary.",
    minProperties: 1,
    maxProperties: 1,
  },
);

export const Window = Obj(
  {
    name: Optional(
      Str({ description: 'Name shown in status and messages, e.g. office-hours or year-end-freeze.', maxLength: 63 }),
    ),
    cron: Optional(
      Str({
        description: 'Cron expression (5 fields, or 6 with seconds) at which the window opens; use with duration.',
        maxLength: 128,
      }),
    ),
    duration: Optional(Duration({ description: 'How long the window stays open after each cron time.' })),
    start: Optional(DateTime({ description: 'Start of a one-off window (RFC 3339); use with end.' })),
    end: Optional(DateTime({ description: 'End of a one-off window (RFC 3339); use with start.' })),
    timeZone: Optional(
      Str({ description: 'IANA time zone of the cron expression; defaults to spec.schedule.timeZone.', maxLength: 64 }),
    ),
  },
  { description: 'A time window: a recurring one (cron + duration) or a one-off range (start + end).' },
);

export const Schedule = Obj(
  {
    timeZone: Optional(
      Str({ description: 'IANA time zone of the windows, e.g. Europe/Berlin.', default: 'UTC', maxLength: 64 }),
    ),
    allow: Optional(
      List(Window, {
        description: 'Traffic moves only inside one of these windows; empty means always allowed.',
        maxItems: 32,
      }),
    ),
    deny: Optional(
      List(Window, {
        description: 'Freezes: traffic never moves forward inside these windows. Rollback is never blocked.',
        maxItems: 32,
      }),
    ),
  },
  {
    description:
      'When a canary may advance. Outside the allowed windows a run holds its weight; analysis and rollback go on.',
  },
);

export const Notifications = Obj(
  {
    github: Optional(
      Obj(
        {
          repository: Str({
            description:
              'Repository as owner/name, used when the release carries no sluice.dev/github-repository annotation.',
            pattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$',
            maxLength: 200,
          }),
          environment: Optional(
            Str({ description: 'GitHub deployment environment; defaults to <cluster>/<namespace>.', maxLength: 255 }),
          ),
          approvers: Optional(
            List(
              Str({ description: 'A GitHub login.', pattern: '^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$', maxLength: 39 }),
              {
                description:
                  'GitHub users who may command this Rollout from pull-request comments even without write permission on the repository.',
                maxItems: 100,
                listType: 'set',
              },
            ),
          ),
        },
        { description: 'Report runs on GitHub: commit status, deployment and one pull-request comment.' },
      ),
    ),
    webhook: Optional(
      Obj(
        {
          url: Str({
            description: 'Where every run decision is POSTed as a CloudEvent (structured JSON mode).',
            format: 'uri',
            maxLength: 2048,
          }),
          secretRef: Optional(
            Obj(
              {
                name: Str({
                  description: 'Secret in the Rollout namespace.',
                  pattern: DNS_SUBDOMAIN_PATTERN,
                  maxLength: 253,
                }),
                key: Optional(Str({ description: 'Key of the signing secret.', default: 'secret', maxLength: 253 })),
              },
              {
                description:
                  'Signs each event: header X-Sluice-Signature-256: sha256=<HMAC-SHA256 of the body with the secret, hex>.',
              },
            ),
          ),
        },
        {
          description:
            'Run decisions (started, weight.set, paused, analysis.failed, promoted, rolledback, command.received) as CloudEvents 1.0 of type dev.sluice.rollout.<decision>, delivered at least once with a stable id per decision.',
        },
      ),
    ),
    slack: Optional(
      Obj(
        {
          channel: Str({ description: 'Slack channel (name like #deploys, or id).', minLength: 1, maxLength: 80 }),
          severity: Optional(
            Enum(['info', 'warning', 'error'] as const, {
              description: 'Least severe decision posted in the thread.',
              default: 'info',
            }),
          ),
          dashboardUrl: Optional(
            Str({
              description: 'Link shown in the message, e.g. a Grafana dashboard.',
              format: 'uri',
              maxLength: 2048,
            }),
          ),
        },
        { description: 'Report runs in Slack: one message per run, decisions in its thread.' },
      ),
    ),
  },
  { description: 'Where runs are reported.' },
);

export const RolloutSpec = Obj(
  {
    targetRef: Obj(
      {
        apiVersion: Enum(['apps/v1'] as const, { description: 'API version of the target.' }),
        kind: Enum(['Deployment'] as const, { description: 'Kind of the target; Deployment is supported.' }),
        name: Str({
          description: 'Name of the target in the Rollout namespace.',
          pattern: DNS_SUBDOMAIN_PATTERN,
          maxLength: 253,
        }),
      },
      {
        description:
          'The workload Git deploys. It becomes the canary; Sluice creates <name>-primary to serve stable traffic.',
      },
    ),
    service: Service,
    virtualServiceRef: Optional(VirtualServiceRef),
    autoscalerRef: Optional(AutoscalerRef),
    progressDeadlineSeconds: Optional(
      Int({
        description: 'A run that makes no progress (canary not ready, step stuck) for this long is rolled back.',
        minimum: 1,
        default: 600,
      }),
    ),
    strategy: Obj(
      {
        canary: Obj(
          {
            steps: List(Step, {
              description: 'The steps of a run, in order; after the last one the canary is promoted.',
              minItems: 1,
              maxItems: 100,
            }),
            analysis: Optional(BackgroundAnalysis),
            canaryScale: Optional(CanaryScale),
            dynamicStableScale: Optional(
              Bool({
                description:
                  "The primary shrinks as the canary takes traffic (to ceil(full size x (100 - weight) / 100) once a weight is set) and grows back, every pod ready, before traffic returns to it (Argo Rollouts' dynamicStableScale). Not used when the target has an autoscaler: the primary's copy of it sizes the primary then.",
              }),
            ),
            scaleDownDelay: Optional(
              Duration({
                description:
                  "How long the canary keeps its replicas after its traffic went to 0 (promotion, rollback), so that proxies still routing to it by the old configuration find it: Istio pushes a routing change to the sidecars in seconds, not at once (Argo Rollouts' scaleDownDelaySeconds).",
                default: '30s',
              }),
            ),
          },
          { description: 'Canary strategy: traffic shifted step by step, gated on analysis.' },
        ),
      },
      { description: 'How a new revision is released.' },
    ),
    schedule: Optional(Schedule),
    prometheus: Optional(PrometheusProvider),
    notifications: Optional(Notifications),
  },
  { description: 'Desired behaviour of the Rollout, written in Git. Sluice never writes it.' },
);

export const Rollout = Obj(
  {
    apiVersion: Enum(['sluice.dev/v1alpha1'] as const, { description: 'APIVersion of the object.' }),
    kind: Enum(['Rollout'] as const, { description: 'Kind of the object.' }),
    metadata: ObjectMeta,
    spec: RolloutSpec,
    status: Optional(RolloutStatus),
  },
  {
    description:
      'A Rollout releases a Deployment progressively: each new revision runs as a canary that receives traffic step by step through Istio, gated on Prometheus analysis.',
  },
);

export type RolloutSpec = Static<typeof RolloutSpec>;
export type Rollout = Static<typeof Rollout>;
export type Step = Static<typeof Step>;
export type AnalysisRef = Static<typeof AnalysisRef>;
export type TemplateRef = Static<typeof TemplateRef>;
export type BackgroundAnalysis = Static<typeof BackgroundAnalysis>;
export type Window = Static<typeof Window>;
