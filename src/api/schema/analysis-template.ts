/** The `AnalysisTemplate` kind (sluice.dev/v1alpha1): reusable Prometheus checks. */
import { Type } from '@sinclair/typebox';
import {
  Obj,
  Str,
  Int,
  List,
  Duration,
  Enum,
  NumberOrArg,
  Optional,
  ARG_NAME_PATTERN,
  DNS_LABEL_PATTERN,
  DNS_SUBDOMAIN_PATTERN,
  type Static,
} from './kit.js';
import { ObjectMeta } from './meta.js';

/** The fields of a metric that say what is measured: exactly one is set. */
export const METRIC_SOURCES = ['query', 'web', 'job'] as const;

const SecretKeyRef = Obj(
  {
    name: Str({ description: 'Secret in the Rollout namespace.', pattern: DNS_SUBDOMAIN_PATTERN, maxLength: 253 }),
    key: Str({ description: 'Key of the value in the Secret.', minLength: 1, maxLength: 253 }),
  },
  { description: 'A value read from a Secret; it never appears in logs, status or reports.' },
);

export const WebHeader = Obj(
  {
    name: Str({ description: 'Header name.', pattern: "^[A-Za-z0-9!#$%&'*+.^_`|~-]+$", maxLength: 256 }),
    value: Optional(Str({ description: 'Header value; placeholders as in url.', maxLength: 4096 })),
    valueFrom: Optional(Obj({ secretKeyRef: SecretKeyRef }, { description: 'Where the value comes from instead.' })),
  },
  { description: 'A request header: value or valueFrom.' },
);

export const WebCheck = Obj(
  {
    url: Str({
      description:
        'URL to call; {{ args.NAME }} placeholders are replaced by URL-escaped values (e.g. http://{{ args.service }}-canary.{{ args.namespace }}:8080/ready).',
      minLength: 1,
      maxLength: 2048,
    }),
    method: Optional(Enum(['GET', 'POST', 'PUT'] as const, { description: 'HTTP method.', default: 'GET' })),
    headers: Optional(
      List(WebHeader, { description: 'Request headers.', maxItems: 32, listType: 'map', mapKeys: ['name'] }),
    ),
    body: Optional(Str({ description: 'Request body (POST, PUT); placeholders as in url.', maxLength: 65536 })),
    jsonPath: Optional(
      Str({
        description:
          'JSONPath into the JSON answer giving the value, e.g. $.ok or $.data.errorRate: a number, or a boolean as 1/0. Without it the value is the HTTP status code.',
        minLength: 1,
        maxLength: 1024,
      }),
    ),
    timeout: Optional(Duration({ description: 'Timeout of one call.', default: '10s' })),
  },
  { description: 'An HTTP call whose answer is the value (a smoke test, or asking an external system).' },
);

export const JobCheck = Obj(
  {
    spec: Type.Unsafe<Record<string, unknown>>({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
      description:
        'A batch/v1 JobSpec; placeholders as in queries. A Job that succeeds is a Successful measurement (value 1), one that fails a Failed one (value 0).',
    }),
  },
  {
    description:
      'A Job run once per measurement (owned by the Rollout, deleted by its TTL after it finishes, or at once when the run ends first): a load test or a smoke test.',
  },
);

const Bounds = {
  min: Optional(NumberOrArg({ description: 'Lowest acceptable value (inclusive).' })),
  max: Optional(NumberOrArg({ description: 'Highest acceptable value (inclusive).' })),
};

export const Metric = Obj(
  {
    name: Str({
      description: 'Name of the metric, unique in the template.',
      pattern: DNS_LABEL_PATTERN,
      maxLength: 63,
    }),
    query: Optional(
      Str({
        description:
          'PromQL returning one number for the canary. {{ args.NAME }} placeholders are replaced by escaped arg values; built-in args: namespace, workload, primary, service, interval. A metric has exactly one of query, web and job.',
        minLength: 1,
        maxLength: 16384,
      }),
    ),
    web: Optional(WebCheck),
    job: Optional(JobCheck),
    unit: Optional(Str({ description: 'Unit shown after values in messages, e.g. ms or req/s.', maxLength: 16 })),
    interval: Optional(
      Duration({
        description:
          'Time between measurements (default 1m; a running Job is looked at every 10s or this, whichever is shorter); also the value of {{ args.interval }}. The range a PromQL measurement covers is {{ args.window }}: this interval, widened to at least four scrapes of Prometheus. A web call or a Job is measured as soon as its step starts (after initialDelay), then once per interval.',
      }),
    ),
    initialDelay: Optional(
      Duration({ description: 'Wait this long after the canary starts before the first measurement.' }),
    ),
    count: Optional(
      Int({
        description:
          'Judged measurements (Successful or Failed) an analysis step needs before it decides; an Inconclusive one is taken again (up to inconclusiveLimit). Background analysis measures for the whole run.',
        minimum: 1,
        maximum: 1000,
        default: 1,
      }),
    ),
    thresholds: Optional(Obj(Bounds, { description: 'Absolute bounds on the canary value.' })),
    compare: Optional(
      Obj(
        {
          maxRatio: Optional(
            NumberOrArg({ description: 'The canary fails above primary x maxRatio, e.g. "1.2" for P99 latency.' }),
          ),
          maxDelta: Optional(
            NumberOrArg({
              description:
                'The canary fails above primary + maxDelta, e.g. "0.005" (half a percentage point) for error rate.',
            }),
          ),
          minPrimary: Optional(
            NumberOrArg({
              description:
                'maxRatio is taken from at least this primary value, e.g. "0.001" for an error rate, so that a primary at 0 does not fail a canary on one error. Without it a primary at 0 makes the ratio inconclusive.',
            }),
          ),
        },
        {
          description:
            'Bounds relative to the primary: the same query is run with {{ args.workload }} set to the primary.',
        },
      ),
    ),
    failFast: Optional(
      Obj(Bounds, {
        description:
          'Bounds whose violation rolls back at once, ignoring failureLimit (e.g. error rate above 5x the limit).',
      }),
    ),
    sample: Optional(
      Obj(
        {
          query: Str({
            description: 'PromQL returning the number of requests in the window (same placeholders as query).',
            minLength: 1,
            maxLength: 16384,
          }),
          min: NumberOrArg({
            description: 'Below this many requests a measurement is Inconclusive rather than judged.',
          }),
        },
        { description: 'Minimum-sample guard: too little traffic gives no verdict instead of a false failure.' },
      ),
    ),
    failureLimit: Optional(
      Int({
        description:
          'Failed measurements tolerated in a run; one more rolls back. Default 1, and 0 for a job metric (a Job that failed is a verdict, not noise).',
        minimum: 0,
      }),
    ),
    inconclusiveLimit: Optional(
      Int({
        description: 'Inconclusive measurements tolerated in a run; one more pauses it for a person to decide.',
        minimum: 0,
        default: 2,
      }),
    ),
    consecutiveErrorLimit: Optional(
      Int({
        description: 'Consecutive provider errors tolerated; one more applies onConsecutiveErrors.',
        minimum: 0,
        default: 4,
      }),
    ),
    onConsecutiveErrors: Optional(
      Enum(['Pause', 'Rollback'] as const, {
        description: 'What to do when the provider keeps failing.',
        default: 'Pause',
      }),
    ),
  },
  {
    description:
      'A metric: a PromQL query, an HTTP call or a Job (exactly one), how often it is measured and what values pass.',
    oneOf: METRIC_SOURCES.map((source) => ({ required: [source] })),
  },
);

export const TemplateArg = Obj(
  {
    name: Str({ description: 'Name used as {{ args.NAME }}.', pattern: ARG_NAME_PATTERN, maxLength: 63 }),
    value: Optional(
      Str({
        description: 'Default value; without one, every Rollout using the template must supply it.',
        maxLength: 1024,
      }),
    ),
    description: Optional(Str({ description: 'What the arg means.', maxLength: 1024 })),
  },
  { description: 'An arg of the template.' },
);

export const PrometheusProvider = Obj(
  {
    address: Optional(
      Str({
        description:
          "Base URL of Prometheus. A template's address wins over the Rollout's, which wins over the controller --prometheus-url.",
        format: 'uri',
        maxLength: 2048,
      }),
    ),
    timeout: Optional(Duration({ description: 'Timeout of one query.', default: '10s' })),
    scrapeInterval: Optional(
      Duration({
        description:
          "How often this Prometheus scrapes the mesh's metrics (Istio's bundled Prometheus: 15s, the Prometheus Operator: 30s). The built-in arg window, the range of the shipped templates' rate(), is max(interval, 4 x scrapeInterval). A template's value wins over the Rollout's, which wins over the controller --scrape-interval (default 15s).",
      }),
    ),
    authSecretRef: Optional(
      Obj(
        {
          name: Str({
            description:
              'Secret in the Rollout namespace with key token (bearer) or keys username and password (basic).',
            pattern: DNS_SUBDOMAIN_PATTERN,
            maxLength: 253,
          }),
        },
        { description: 'Credentials for Prometheus.' },
      ),
    ),
  },
  { description: 'The Prometheus server to query.' },
);

export const AnalysisTemplateSpec = Obj(
  {
    args: Optional(
      List(TemplateArg, {
        description: 'Args the queries and thresholds use.',
        listType: 'map',
        mapKeys: ['name'],
        maxItems: 64,
      }),
    ),
    prometheus: Optional(PrometheusProvider),
    metrics: List(Metric, {
      description: 'The checks of this template.',
      minItems: 1,
      maxItems: 32,
      listType: 'map',
      mapKeys: ['name'],
    }),
  },
  { description: 'The metrics of the template and the args they take.' },
);

/** A template kind: the same spec, namespaced or cluster-scoped. */
// eslint-disable-next-line @typescript-eslint/explicit-function-return-type -- the TypeBox type is the schema itself; spelled out it would repeat it
function templateKind<const K extends string>(kind: K, description: string) {
  return Obj(
    {
      apiVersion: Enum(['sluice.dev/v1alpha1'] as const, { description: 'APIVersion of the object.' }),
      kind: Enum([kind] as const, { description: 'Kind of the object.' }),
      metadata: ObjectMeta,
      spec: AnalysisTemplateSpec,
      status: Optional(
        Type.Object(
          {
            observedGeneration: Optional(Int({ description: 'The .metadata.generation last validated.', minimum: 0 })),
          },
          { description: 'Observed state of the template.', additionalProperties: false },
        ),
      ),
    },
    { description },
  );
}

export const AnalysisTemplate = templateKind(
  'AnalysisTemplate',
  'Reusable checks that Rollouts reference from analysis steps and background analysis.',
);

/** The same checks, cluster-scoped: one definition for every namespace (Rollouts name it with kind ClusterAnalysisTemplate). */
export const ClusterAnalysisTemplate = templateKind(
  'ClusterAnalysisTemplate',
  'Reusable checks for Rollouts of every namespace (cluster-scoped AnalysisTemplate); a Secret it names is read from the Rollout namespace.',
);

/** The kinds a Rollout's analysis can name. */
export const TEMPLATE_KINDS = ['AnalysisTemplate', 'ClusterAnalysisTemplate'] as const;
export type TemplateKind = (typeof TEMPLATE_KINDS)[number];

/** A namespaced or a cluster template: the same spec. */
export type AnalysisTemplate = Static<typeof AnalysisTemplate> | Static<typeof ClusterAnalysisTemplate>;
export type AnalysisTemplateSpec = Static<typeof AnalysisTemplateSpec>;
export type Metric = Static<typeof Metric>;
export type WebCheck = Static<typeof WebCheck>;
export type JobCheck = Static<typeof JobCheck>;
