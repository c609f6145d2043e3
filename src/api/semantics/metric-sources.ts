/** Semantic checks of what a metric measures besides PromQL: web checks and Jobs. */
import { parseDuration } from '../duration.js';
import { BUILTIN_ARGS, isBuiltinArg, scanPlaceholders } from '../placeholders.js';
import { error, warning, type PathSegment, type Problem } from '../problem.js';
import type { JobCheck, Metric, WebCheck } from '../schema/analysis-template.js';

/** Placeholders in `text`: well-formed, and each a built-in or declared arg (recorded in `used`). */
export function checkPlaceholders(
  text: string,
  path: PathSegment[],
  declared: Map<string, string | undefined>,
  used: Set<string>,
): Problem[] {
  const problems: Problem[] = [];
  const scan = scanPlaceholders(text);
  for (const bad of scan.malformed) {
    const inner = /\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}/.exec(bad.text)?.[1];
    problems.push(error(path, `${bad.text} is not a placeholder; write {{ args.${inner ?? 'NAME'} }}`));
  }
  for (const p of scan.placeholders) {
    used.add(p.name);
    if (!isBuiltinArg(p.name) && !declared.has(p.name)) {
      problems.push(
        error(
          path,
          `uses {{ args.${p.name} }}, but spec.args does not declare "${p.name}" (built-in args: ${Object.keys(BUILTIN_ARGS).join(', ')})`,
        ),
      );
    }
  }
  return problems;
}

function checkWeb(
  web: WebCheck,
  path: PathSegment[],
  declared: Map<string, string | undefined>,
  used: Set<string>,
): Problem[] {
  const problems = checkPlaceholders(web.url, [...path, 'url'], declared, used);
  const url = web.url.replace(/\{\{[^}]*\}\}/g, 'x');
  if (!/^(https?:\/\/[^/]|x)/.test(url))
    problems.push(
      error([...path, 'url'], 'must be an absolute http(s) URL, e.g. http://{{ args.service }}-canary:8080/ready'),
    );
  (web.headers ?? []).forEach((h, i) => {
    const at = [...path, 'headers', i];
    if ((h.value === undefined) === (h.valueFrom === undefined))
      problems.push(error(at, 'must set exactly one of value and valueFrom'));
    if (h.value !== undefined) problems.push(...checkPlaceholders(h.value, [...at, 'value'], declared, used));
  });
  if (web.body !== undefined) {
    problems.push(...checkPlaceholders(web.body, [...path, 'body'], declared, used));
    if ((web.method ?? 'GET') === 'GET')
      problems.push(error([...path, 'body'], 'is sent only with method POST or PUT'));
  }
  return problems;
}

function checkJob(
  job: JobCheck,
  path: PathSegment[],
  declared: Map<string, string | undefined>,
  used: Set<string>,
): Problem[] {
  const problems = checkPlaceholders(JSON.stringify(job.spec), [...path, 'spec'], declared, used);
  const template = job.spec['template'] as { spec?: { containers?: unknown; restartPolicy?: unknown } } | undefined;
  const containers = template?.spec?.containers;
  if (!Array.isArray(containers) || containers.length === 0)
    problems.push(
      error([...path, 'spec', 'template', 'spec', 'containers'], 'is required: the Job needs a container to run'),
    );
  const restart = template?.spec?.restartPolicy;
  if (restart !== 'Never' && restart !== 'OnFailure')
    problems.push(
      error([...path, 'spec', 'template', 'spec', 'restartPolicy'], 'must be Never or OnFailure, as a Job requires'),
    );
  if (job.spec['selector'] !== undefined)
    problems.push(error([...path, 'spec', 'selector'], 'is set by Kubernetes for each Job; remove it'));
  return problems;
}

/** Checks of a web or job metric; fields that only a PromQL metric has are refused. */
export function checkSource(
  m: Metric,
  path: PathSegment[],
  declared: Map<string, string | undefined>,
  used: Set<string>,
): Problem[] {
  const problems: Problem[] = [];
  for (const field of ['compare', 'sample'] as const)
    if (m[field] !== undefined)
      problems.push(
        error([...path, field], `needs a PromQL query; a ${m.web === undefined ? 'job' : 'web'} metric has none`),
      );
  if (m.web !== undefined) {
    problems.push(...checkWeb(m.web, [...path, 'web'], declared, used));
    if (m.thresholds === undefined && m.failFast === undefined)
      problems.push(error(path, 'has nothing to judge, so it can never fail: add thresholds (min/max)'));
    const timeout = parseDuration(m.web.timeout ?? '10s') ?? 0;
    if (timeout > (parseDuration(m.interval ?? '1m') ?? 0))
      problems.push(warning([...path, 'web', 'timeout'], 'is longer than the interval of the metric'));
  }
  if (m.job !== undefined) problems.push(...checkJob(m.job, [...path, 'job'], declared, used));
  return problems;
}
