/**
 * The invalid-document corpus: every document is rejected with a message that names the file
 * and the field path, and none of them crashes or hangs lint.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { lintPaths, formatFinding } from '../../src/lint/lint.js';

const root = new URL('../../', import.meta.url).pathname;
const TEMPLATES = join(root, 'analysis-templates');
const dir = mkdtempSync(join(tmpdir(), 'sluice-corpus-'));

type Obj = Record<string, any>;
const baseRollout = (): Obj => parse(readFileSync(join(root, 'examples/podinfo/rollout.yaml'), 'utf8')) as Obj;
const baseTemplate = (): Obj => parse(readFileSync(join(TEMPLATES, 'istio-error-rate.yaml'), 'utf8')) as Obj;
const steps = (r: Obj): Obj[] => r.spec.strategy.canary.steps as Obj[];

/** A template that needs an arg without a default, for the missing-arg cases. */
const NEEDS_ARG = stringify({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'AnalysisTemplate',
  metadata: { name: 'needs-arg' },
  spec: {
    args: [{ name: 'maxRate' }],
    metrics: [
      {
        name: 'rate',
        query: 'sum(rate(http_requests_total{namespace="{{ args.namespace }}"}[{{ args.interval }}]))',
        thresholds: { max: '{{ args.maxRate }}' },
      },
    ],
  },
});

interface Case {
  name: string;
  rollout?: (r: Obj) => void;
  template?: (t: Obj) => void;
  raw?: string | Buffer;
  ext?: string;
  path: string;
  message: RegExp;
}

const cases: Case[] = [
  // Rollout: steps and weights
  {
    name: 'weight above 100',
    rollout: (r) => (steps(r)[0]!.setWeight = 150),
    path: 'spec.strategy.canary.steps[0].setWeight',
    message: /at most 100/,
  },
  {
    name: 'negative weight',
    rollout: (r) => (steps(r)[0]!.setWeight = -5),
    path: 'spec.strategy.canary.steps[0].setWeight',
    message: /at least 0/,
  },
  {
    name: 'weight as a string',
    rollout: (r) => (steps(r)[0]!.setWeight = 'ten'),
    path: 'spec.strategy.canary.steps[0].setWeight',
    message: /must be an integer/,
  },
  {
    name: 'fractional weight',
    rollout: (r) => (steps(r)[0]!.setWeight = 12.5),
    path: 'spec.strategy.canary.steps[0].setWeight',
    message: /integer/,
  },
  {
    name: 'unknown step kind',
    rollout: (r) => (steps(r)[0] = { setCanaryScale: { replicas: 1 } }),
    path: 'spec.strategy.canary.steps[0].setCanaryScale',
    message: /unknown field/,
  },
  {
    name: 'misspelt step kind',
    rollout: (r) => (steps(r)[0] = { setWeigth: 10 }),
    path: 'spec.strategy.canary.steps[0].setWeigth',
    message: /did you mean "setWeight"/,
  },
  {
    name: 'empty step',
    rollout: (r) => (steps(r)[1] = {}),
    path: 'spec.strategy.canary.steps[1]',
    message: /exactly one of setWeight, pause, analysis/,
  },
  {
    name: 'two kinds in one step',
    rollout: (r) => (steps(r)[0] = { setWeight: 10, pause: {} }),
    path: 'spec.strategy.canary.steps[0]',
    message: /exactly one of/,
  },
  {
    name: 'no steps',
    rollout: (r) => (r.spec.strategy.canary.steps = []),
    path: 'spec.strategy.canary.steps',
    message: /at least 1/,
  },
  {
    name: 'steps never send traffic',
    rollout: (r) => (r.spec.strategy.canary.steps = [{ pause: {} }, { setWeight: 0 }]),
    path: 'spec.strategy.canary.steps',
    message: /no step sends traffic/,
  },
  {
    name: 'canary ends at weight 0',
    rollout: (r) => steps(r).push({ setWeight: 0 }),
    path: 'spec.strategy.canary.steps[5].setWeight',
    message: /ends at weight 0/,
  },
  {
    name: 'steps not a list',
    rollout: (r) => (r.spec.strategy.canary.steps = { setWeight: 10 }),
    path: 'spec.strategy.canary.steps',
    message: /must be a array|must be an? (array|list)/,
  },
  // Rollout: durations
  {
    name: 'duration in words',
    rollout: (r) => (steps(r)[1]!.pause = { duration: '5 minutes' }),
    path: 'spec.strategy.canary.steps[1].pause.duration',
    message: /duration such as 30s/,
  },
  {
    name: 'duration without unit',
    rollout: (r) => (steps(r)[1]!.pause = { duration: 30 }),
    path: 'spec.strategy.canary.steps[1].pause.duration',
    message: /duration such as 30s/,
  },
  {
    name: 'duration in days',
    rollout: (r) => (steps(r)[1]!.pause = { duration: '1d' }),
    path: 'spec.strategy.canary.steps[1].pause.duration',
    message: /duration/,
  },
  {
    name: 'zero pause',
    rollout: (r) => (steps(r)[1]!.pause = { duration: '0s' }),
    path: 'spec.strategy.canary.steps[1].pause.duration',
    message: /longer than 0s/,
  },
  {
    name: 'bad route timeout',
    rollout: (r) => (r.spec.service.timeout = 'forever'),
    path: 'spec.service.timeout',
    message: /duration/,
  },
  // Rollout: target and service
  { name: 'missing target', rollout: (r) => delete r.spec.targetRef, path: 'spec.targetRef', message: /is required/ },
  {
    name: 'unsupported target kind',
    rollout: (r) => (r.spec.targetRef.kind = 'StatefulSet'),
    path: 'spec.targetRef.kind',
    message: /one of "Deployment"/,
  },
  {
    name: 'old target apiVersion',
    rollout: (r) => (r.spec.targetRef.apiVersion = 'extensions/v1beta1'),
    path: 'spec.targetRef.apiVersion',
    message: /one of "apps\/v1"/,
  },
  {
    name: 'target without name',
    rollout: (r) => delete r.spec.targetRef.name,
    path: 'spec.targetRef.name',
    message: /is required/,
  },
  { name: 'missing service', rollout: (r) => delete r.spec.service, path: 'spec.service', message: /is required/ },
  {
    name: 'service port out of range',
    rollout: (r) => (r.spec.service.port = 70000),
    path: 'spec.service.port',
    message: /at most 65535/,
  },
  {
    name: 'service port zero',
    rollout: (r) => (r.spec.service.port = 0),
    path: 'spec.service.port',
    message: /at least 1/,
  },
  {
    name: 'service name not a DNS label',
    rollout: (r) => (r.spec.service.name = 'PodInfo'),
    path: 'spec.service.name',
    message: /DNS-1035 label/,
  },
  {
    name: 'bad host',
    rollout: (r) => (r.spec.service.hosts = ['not a host']),
    path: 'spec.service.hosts[0]',
    message: /not a host name/,
  },
  {
    name: 'bad gateway',
    rollout: (r) => (r.spec.service.gateways = ['a/b/c']),
    path: 'spec.service.gateways[0]',
    message: /not a gateway/,
  },
  {
    name: 'string match with two matchers',
    rollout: (r) => (r.spec.service.match = [{ uri: { exact: '/a', prefix: '/b' } }]),
    path: 'spec.service.match[0].uri',
    message: /exactly one of exact, prefix, regex/,
  },
  {
    name: 'unknown TLS mode',
    rollout: (r) => (r.spec.service.trafficPolicy = { tls: { mode: 'STRICT' } }),
    path: 'spec.service.trafficPolicy.tls.mode',
    message: /one of "DISABLE"/,
  },
  {
    name: 'retries not a number',
    rollout: (r) => (r.spec.service.retries.attempts = 'three'),
    path: 'spec.service.retries.attempts',
    message: /integer/,
  },
  {
    name: 'progress deadline zero',
    rollout: (r) => (r.spec.progressDeadlineSeconds = 0),
    path: 'spec.progressDeadlineSeconds',
    message: /at least 1/,
  },
  {
    name: 'adopted VirtualService without routes',
    rollout: (r) => (r.spec.virtualServiceRef = { name: 'podinfo', routes: [] }),
    path: 'spec.virtualServiceRef.routes',
    message: /at least 1/,
  },
  // Rollout: analysis references and args
  {
    name: 'missing template',
    rollout: (r) => (steps(r)[2]!.analysis.templates[0].name = 'istio-error-ratio'),
    path: 'spec.strategy.canary.steps[2].analysis.templates[0].name',
    message: /"istio-error-ratio" not found in namespace demo/,
  },
  {
    name: 'missing background template',
    rollout: (r) => (r.spec.strategy.canary.analysis.templates = [{ name: 'nope' }]),
    path: 'spec.strategy.canary.analysis.templates[0].name',
    message: /not found/,
  },
  {
    name: 'missing required arg',
    rollout: (r) => (steps(r)[2]!.analysis = { templates: [{ name: 'needs-arg' }] }),
    path: 'spec.strategy.canary.steps[2].analysis.templates[0].name',
    message: /needs arg "maxRate"/,
  },
  {
    name: 'arg no template declares',
    rollout: (r) => r.spec.strategy.canary.analysis.args.push({ name: 'maxLatency', value: '1' }),
    path: 'spec.strategy.canary.analysis.args[1].name',
    message: /no referenced template declares arg "maxLatency"/,
  },
  {
    name: 'built-in arg supplied',
    rollout: (r) => r.spec.strategy.canary.analysis.args.push({ name: 'namespace', value: 'other' }),
    path: 'spec.strategy.canary.analysis.args[1].name',
    message: /built-in arg/,
  },
  {
    name: 'threshold arg not a number',
    rollout: (r) => (r.spec.strategy.canary.analysis.args[0].value = 'one percent'),
    path: 'spec.strategy.canary.analysis.args[0].value',
    message: /not a number/,
  },
  {
    name: 'arg supplied twice',
    rollout: (r) => r.spec.strategy.canary.analysis.args.push({ name: 'maxErrorRate', value: '0.02' }),
    path: 'spec.strategy.canary.analysis.args',
    message: /same name/,
  },
  {
    name: 'starting step beyond the steps',
    rollout: (r) => (r.spec.strategy.canary.analysis.startingStep = 9),
    path: 'spec.strategy.canary.analysis.startingStep',
    message: /only 5 steps/,
  },
  // Rollout: schedule and notifications
  {
    name: 'bad cron',
    rollout: (r) => (r.spec.schedule = { allow: [{ cron: '0 25 * * *', duration: '8h' }] }),
    path: 'spec.schedule.allow[0].cron',
    message: /not a valid cron expression/,
  },
  {
    name: 'cron with too many fields',
    rollout: (r) => (r.spec.schedule = { deny: [{ cron: '* * * * * * *', duration: '1h' }] }),
    path: 'spec.schedule.deny[0].cron',
    message: /7 field/,
  },
  {
    name: 'unknown time zone',
    rollout: (r) => (r.spec.schedule = { timeZone: 'Mars/Olympus', allow: [{ cron: '0 9 * * 1-5', duration: '8h' }] }),
    path: 'spec.schedule.timeZone',
    message: /unknown time zone "Mars\/Olympus"/,
  },
  {
    name: 'window both recurring and one-off',
    rollout: (r) =>
      (r.spec.schedule = {
        deny: [{ cron: '0 9 * * 5', duration: '1h', start: '2026-12-24T00:00:00Z', end: '2026-12-27T00:00:00Z' }],
      }),
    path: 'spec.schedule.deny[0]',
    message: /not both/,
  },
  {
    name: 'window ending before it starts',
    rollout: (r) => (r.spec.schedule = { deny: [{ start: '2026-12-27T00:00:00Z', end: '2026-12-24T00:00:00Z' }] }),
    path: 'spec.schedule.deny[0].end',
    message: /after start/,
  },
  {
    name: 'window start not a time',
    rollout: (r) => (r.spec.schedule = { deny: [{ start: 'Christmas', end: '2026-12-27T00:00:00Z' }] }),
    path: 'spec.schedule.deny[0].start',
    message: /RFC 3339/,
  },
  {
    name: 'cron without duration',
    rollout: (r) => (r.spec.schedule = { allow: [{ cron: '0 9 * * 1-5' }] }),
    path: 'spec.schedule.allow[0].duration',
    message: /is required with cron/,
  },
  {
    name: 'bad repository',
    rollout: (r) => (r.spec.notifications.github.repository = 'just-a-name'),
    path: 'spec.notifications.github.repository',
    message: /must match/,
  },
  {
    name: 'unknown severity',
    rollout: (r) => (r.spec.notifications.slack.severity = 'debug'),
    path: 'spec.notifications.slack.severity',
    message: /one of "info", "warning", "error"/,
  },
  // Rollout: object-level
  {
    name: 'wrong apiVersion (v1)',
    rollout: (r) => (r.apiVersion = 'sluice.dev/v1'),
    path: 'apiVersion',
    message: /"sluice.dev\/v1" is not served; use sluice.dev\/v1alpha1/,
  },
  {
    name: 'wrong apiVersion (v1beta1)',
    rollout: (r) => (r.apiVersion = 'sluice.dev/v1beta1'),
    path: 'apiVersion',
    message: /not served/,
  },
  {
    name: 'unknown kind',
    rollout: (r) => (r.kind = 'Canary'),
    path: 'kind',
    message: /"Canary" is not a kind of sluice.dev/,
  },
  { name: 'missing apiVersion', rollout: (r) => delete r.apiVersion, path: 'apiVersion', message: /is required/ },
  { name: 'missing name', rollout: (r) => delete r.metadata.name, path: 'metadata.name', message: /is required/ },
  { name: 'bad name', rollout: (r) => (r.metadata.name = 'Pod_Info'), path: 'metadata.name', message: /DNS subdomain/ },
  {
    name: 'unknown top-level field',
    rollout: (r) => (r.specs = {}),
    path: 'specs',
    message: /unknown field \(did you mean "spec"\?\)/,
  },
  // AnalysisTemplate
  {
    name: 'broken PromQL',
    template: (t) => (t.spec.metrics[0].query = 'sum(rate(istio_requests_total[5m])'),
    path: 'spec.metrics[0].query',
    message: /not valid PromQL: the query ends too early/,
  },
  {
    name: 'PromQL with a stray word',
    template: (t) => (t.spec.metrics[0].query = 'sum(rate(x[{{ args.interval }}])) by'),
    path: 'spec.metrics[0].query',
    message: /not valid PromQL/,
  },
  {
    name: 'PromQL operator without operand',
    template: (t) => (t.spec.metrics[0].sample.query = 'sum(up) +'),
    path: 'spec.metrics[0].sample.query',
    message: /not valid PromQL/,
  },
  {
    name: 'undeclared arg in query',
    template: (t) => (t.spec.metrics[0].query = 'up{job="{{ args.job }}"}'),
    path: 'spec.metrics[0].query',
    message: /does not declare "job"/,
  },
  {
    name: 'placeholder without args.',
    template: (t) => (t.spec.metrics[0].query = 'up{namespace="{{ namespace }}"}'),
    path: 'spec.metrics[0].query',
    message: /write \{\{ args.namespace \}\}/,
  },
  {
    name: 'threshold as a YAML number',
    template: (t) => (t.spec.metrics[0].thresholds.max = 0.01),
    path: 'spec.metrics[0].thresholds.max',
    message: /number in quotes/,
  },
  {
    name: 'threshold not a number',
    template: (t) => (t.spec.metrics[0].thresholds.max = 'one'),
    path: 'spec.metrics[0].thresholds.max',
    message: /number in quotes/,
  },
  {
    name: 'min above max',
    template: (t) => (t.spec.metrics[0].thresholds = { min: '5', max: '1' }),
    path: 'spec.metrics[0].thresholds',
    message: /min \(5\) is above max \(1\)/,
  },
  {
    name: 'nothing to judge',
    template: (t) => {
      delete t.spec.metrics[0].thresholds;
      delete t.spec.metrics[0].sample;
    },
    path: 'spec.metrics[0]',
    message: /nothing to judge/,
  },
  {
    name: 'compare without workload',
    template: (t) => (t.spec.metrics[0] = { name: 'up', query: 'sum(up)', compare: { maxRatio: '1.2' } }),
    path: 'spec.metrics[0].compare',
    message: /\{\{ args.workload \}\}/,
  },
  {
    name: 'duplicate metric names',
    template: (t) => t.spec.metrics.push({ ...t.spec.metrics[0] }),
    path: 'spec.metrics',
    message: /same name/,
  },
  {
    name: 'template arg shadows a built-in',
    template: (t) => t.spec.args.push({ name: 'workload', value: 'x' }),
    path: 'spec.args[2].name',
    message: /built-in arg/,
  },
  {
    name: 'arg default not a number',
    template: (t) => (t.spec.args[0].value = 'lots'),
    path: 'spec.metrics[0].thresholds.max',
    message: /default "lots" is not a number/,
  },
  {
    name: 'metric interval in days',
    template: (t) => (t.spec.metrics[0].interval = '1d'),
    path: 'spec.metrics[0].interval',
    message: /duration/,
  },
  {
    name: 'prometheus address not a URL',
    template: (t) => (t.spec.prometheus = { address: 'prometheus:9090 ' }),
    path: 'spec.prometheus.address',
    message: /absolute http\(s\) URL/,
  },
  { name: 'no metrics', template: (t) => (t.spec.metrics = []), path: 'spec.metrics', message: /at least 1/ },
  {
    name: 'metric without query, web or job',
    template: (t) => delete t.spec.metrics[0].query,
    path: 'spec.metrics[0]',
    message: /must set exactly one of query, web, job/,
  },
  {
    name: 'metric with both query and web',
    template: (t) => (t.spec.metrics[0].web = { url: 'http://qa.example.com/verdict', jsonPath: '$.ok' }),
    path: 'spec.metrics[0]',
    message: /must set exactly one of query, web, job/,
  },
  {
    name: 'web metric with a comparison',
    template: (t) => {
      const m = t.spec.metrics[0];
      delete m.query;
      m.web = { url: 'http://{{ args.service }}-canary:8080/ready' };
      m.compare = { maxRatio: '1.2' };
    },
    path: 'spec.metrics[0].compare',
    message: /needs a PromQL query; a web metric has none/,
  },
  {
    name: 'web header with both value and valueFrom',
    template: (t) => {
      const m = t.spec.metrics[0];
      delete m.query;
      m.web = {
        url: 'https://qa.example.com/verdict',
        headers: [{ name: 'Authorization', value: 'x', valueFrom: { secretKeyRef: { name: 's', key: 'token' } } }],
      };
    },
    path: 'spec.metrics[0].web.headers[0]',
    message: /exactly one of value and valueFrom/,
  },
  {
    name: 'web body with GET',
    template: (t) => {
      const m = t.spec.metrics[0];
      delete m.query;
      m.web = { url: 'https://qa.example.com/verdict', body: '{}' };
    },
    path: 'spec.metrics[0].web.body',
    message: /only with method POST or PUT/,
  },
  {
    name: 'job metric whose pods would restart forever',
    template: (t) => {
      const m = t.spec.metrics[0];
      delete m.query;
      m.job = { spec: { template: { spec: { containers: [{ name: 'k6', image: 'grafana/k6' }] } } } };
    },
    path: 'spec.metrics[0].job.spec.template.spec.restartPolicy',
    message: /must be Never or OnFailure/,
  },
  {
    name: 'job metric with an undeclared arg',
    template: (t) => {
      const m = t.spec.metrics[0];
      delete m.query;
      m.job = {
        spec: {
          template: {
            spec: {
              restartPolicy: 'Never',
              containers: [{ name: 'k6', image: 'grafana/k6', args: ['{{ args.vus }}'] }],
            },
          },
        },
      };
    },
    path: 'spec.metrics[0].job.spec',
    message: /spec.args does not declare "vus"/,
  },
  {
    name: 'unknown onConsecutiveErrors',
    template: (t) => (t.spec.metrics[0].onConsecutiveErrors = 'Ignore'),
    path: 'spec.metrics[0].onConsecutiveErrors',
    message: /one of "Pause", "Rollback"/,
  },
  // Files that are not (good) YAML
  {
    name: 'not YAML',
    raw: 'apiVersion: sluice.dev/v1alpha1\nkind: Rollout\nspec: [unclosed\n',
    path: '',
    message: /not valid YAML/,
  },
  {
    name: 'tab indentation',
    raw: 'apiVersion: v1\nkind: Rollout\nspec:\n\tsteps: []\n',
    path: '',
    message: /not valid YAML/,
  },
  { name: 'empty file', raw: '', path: '', message: /file is empty/ },
  {
    name: 'only separators and comments',
    raw: '# nothing here\n---\n---\n',
    path: '',
    message: /only empty documents/,
  },
  {
    name: 'binary bytes',
    raw: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00, 0xff]),
    path: '',
    message: /binary/,
  },
  { name: 'not UTF-8', raw: Buffer.from('kind: Caf\xe9\n', 'latin1'), path: '', message: /not UTF-8/ },
  {
    name: 'duplicate keys',
    raw: 'apiVersion: sluice.dev/v1alpha1\nkind: Rollout\nkind: AnalysisTemplate\n',
    path: '',
    message: /unique/,
  },
  { name: 'YAML bomb (billion laughs)', raw: billionLaughs(), path: '', message: /alias bomb/ },
  {
    name: 'deep nesting',
    raw: `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`,
    path: '',
    message: /nests too deeply|not valid YAML/,
  },
  {
    name: 'a 10 MB file',
    raw: `apiVersion: v1\nkind: ConfigMap\ndata:\n${'  k: "x"\n'.repeat(1_200_000)}`,
    path: '',
    message: /above the 8 MiB/,
  },
  { name: 'a plain string', raw: 'hello world\n', path: '', message: /expected a Kubernetes object.*found a string/ },
  { name: 'a list document', raw: '- a\n- b\n', path: '', message: /found a list/ },
  {
    name: 'broken JSON',
    ext: 'json',
    raw: '{"apiVersion": "sluice.dev/v1alpha1", "kind": ',
    path: '',
    message: /not valid YAML/,
  },
  {
    name: 'huge name',
    raw: `apiVersion: sluice.dev/v1alpha1\nkind: AnalysisTemplate\nmetadata: {name: ${'a'.repeat(3_000_000)}!}\nspec: {metrics: []}\n`,
    path: 'metadata.name',
    message: /longer than 253/,
  },
];

function billionLaughs(): string {
  let out = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n';
  const names = 'abcdefghi';
  for (let i = 1; i < names.length; i++)
    out += `${names[i]}: &${names[i]} [${Array(9)
      .fill(`*${names[i - 1]}`)
      .join(',')}]\n`;
  return out;
}

function writeCase(c: Case, index: number): string {
  const file = join(dir, `case-${String(index).padStart(3, '0')}.${c.ext ?? 'yaml'}`);
  if (c.raw !== undefined) {
    writeFileSync(file, c.raw);
  } else if (c.rollout !== undefined) {
    const r = baseRollout();
    c.rollout(r);
    writeFileSync(file, `${NEEDS_ARG}---\n${stringify(r)}`);
  } else {
    const t = baseTemplate();
    c.template?.(t);
    writeFileSync(file, stringify(t));
  }
  return file;
}

describe('the invalid-document corpus', () => {
  it('holds at least 40 documents', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
  });

  it.each(cases.map((c, i) => [c.name, c, i] as const))('%s: rejected with file and field path', (_name, c, i) => {
    const file = writeCase(c, i);
    const report = lintPaths([file, TEMPLATES]);
    const errors = report.findings.filter((f) => f.severity === 'error');
    const lines = errors.map(formatFinding);
    expect(errors.length, lines.join('\n')).toBeGreaterThan(0);
    const hit = errors.find((f) => f.file === file && f.path === c.path && c.message.test(f.message));
    expect(hit, `expected ${c.path || '(file)'}: ${String(c.message)} among\n${lines.join('\n')}`).toBeDefined();
    expect(hit!.line).toBeGreaterThanOrEqual(1);
    expect(formatFinding(hit!)).toMatch(
      c.path === ''
        ? new RegExp(`^${file}:\\d+: `)
        : new RegExp(`^${file}:\\d+: ${c.path.replace(/[.[\]]/g, '\\$&')}: `),
    );
    // Errors are confined to the broken file: the shipped templates stay clean.
    expect(errors.filter((f) => f.file !== file)).toEqual([]);
  });

  it('the valid inputs they are made from lint clean', () => {
    const report = lintPaths([join(root, 'examples'), TEMPLATES]);
    expect(report.findings.map(formatFinding)).toEqual([]);
    expect(report.objects).toBeGreaterThanOrEqual(7);
  });
});
