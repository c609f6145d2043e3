/** Web checks and Job metrics with their args rendered (resolve.ts does PromQL queries). Pure. */
import { parseDuration } from '../api/duration.js';
import type { JobCheck, WebCheck } from '../api/schema/analysis-template.js';
import { renderJson, renderText, renderUrl } from './render-text.js';
import type { MetricSource, ResolvedWeb } from './metric-source.js';

/** How often a running Job is looked at (its end also wakes the Rollout through the Job's watch). */
export const JOB_POLL_MS = 10_000;

type Resolved = { ok: true; source: MetricSource } | { ok: false; error: string };

function headersOf(
  web: WebCheck,
  args: Readonly<Record<string, string>>,
  namespace: string,
): ResolvedWeb['headers'] | { ok: false; error: string } {
  const headers: ResolvedWeb['headers'] = [];
  for (const h of web.headers ?? []) {
    const ref = h.valueFrom?.secretKeyRef;
    if (ref !== undefined) {
      headers.push({ name: h.name, secret: { namespace, name: ref.name, key: ref.key } });
      continue;
    }
    const value = renderText(h.value ?? '', args);
    if (!value.ok) return { ok: false, error: `web.headers[${h.name}]: ${value.error}` };
    headers.push({ name: h.name, value: value.text });
  }
  return headers;
}

export function resolveWeb(web: WebCheck, args: Readonly<Record<string, string>>, namespace: string): Resolved {
  const url = renderUrl(web.url, args);
  if (!url.ok) return { ok: false, error: `web.url: ${url.error}` };
  const headers = headersOf(web, args, namespace);
  if (!Array.isArray(headers)) return headers;
  const body = web.body === undefined ? undefined : renderText(web.body, args);
  if (body !== undefined && !body.ok) return { ok: false, error: `web.body: ${body.error}` };
  return {
    ok: true,
    source: {
      kind: 'web',
      web: {
        url: url.text,
        method: web.method ?? 'GET',
        headers,
        ...(body === undefined ? {} : { body: body.text }),
        ...(web.jsonPath === undefined ? {} : { jsonPath: web.jsonPath }),
        timeoutMs: parseDuration(web.timeout ?? '10s') ?? 10_000,
      },
    },
  };
}

export function resolveJob(job: JobCheck, args: Readonly<Record<string, string>>): Resolved {
  const spec = renderJson(job.spec, args);
  if (!spec.ok) return { ok: false, error: `job.spec: ${spec.error}` };
  return { ok: true, source: { kind: 'job', job: { spec: spec.value as Record<string, unknown> } } };
}
