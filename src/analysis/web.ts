/**
 * A web check: one HTTP call whose answer is the value — the number (or boolean, as 1/0) at a
 * JSONPath in a JSON answer, or else the status code. Failures come back as data (never thrown),
 * and no header value (which may come from a Secret) is ever part of a message.
 */
import { JSONPath } from 'jsonpath-plus';
import type { QueryValue } from './judge.js';
import type { ResolvedWeb } from './resolve.js';

// eslint-disable-next-line no-control-regex -- control characters are what is refused
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** The value of a header that comes from a Secret key; a string with `error` when it cannot be read. */
export type SecretValue = (namespace: string, name: string, key: string) => Promise<string | { error: string }>;

/** The first value the JSONPath selects, as a number. */
export function valueAt(json: unknown, path: string): QueryValue {
  let found: unknown[];
  try {
    found = JSONPath<unknown[]>({ path, json: json as object, wrap: true, eval: false });
  } catch (e) {
    return { kind: 'error', message: `jsonPath ${path} is not valid: ${(e as Error).message}` };
  }
  if (found.length === 0) return { kind: 'error', message: `the answer has nothing at ${path}` };
  const v = found[0];
  if (typeof v === 'boolean') return { kind: 'value', value: v ? 1 : 0 };
  if (typeof v === 'number' && Number.isFinite(v)) return { kind: 'value', value: v };
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)))
    return { kind: 'value', value: Number(v) };
  return {
    kind: 'error',
    message: `${path} is ${v === undefined ? 'undefined' : JSON.stringify(v).slice(0, 80)}, not a number or a boolean`,
  };
}

async function headersOf(
  web: ResolvedWeb,
  secret: SecretValue,
): Promise<{ ok: true; headers: Record<string, string> } | { ok: false; error: string }> {
  const headers: Record<string, string> = {};
  for (const h of web.headers) {
    if (h.secret === undefined) {
      headers[h.name] = h.value ?? '';
      continue;
    }
    const v = await secret(h.secret.namespace, h.secret.name, h.secret.key);
    if (typeof v !== 'string') return { ok: false, error: `header ${h.name}: ${v.error}` };
    headers[h.name] = v.trim();
  }
  // fetch would refuse such a value with an error that quotes it (a Secret's value)
  const bad = Object.entries(headers).find(([, v]) => CONTROL.test(v));
  if (bad !== undefined) return { ok: false, error: `header ${bad[0]}: its value has control characters` };
  return { ok: true, headers };
}

/** Calls the check once. */
export async function callWeb(web: ResolvedWeb, secret: SecretValue): Promise<QueryValue> {
  const headers = await headersOf(web, secret);
  if (!headers.ok) return { kind: 'error', message: headers.error };
  let res: Response;
  try {
    res = await fetch(web.url, {
      method: web.method,
      headers: headers.headers,
      ...(web.body === undefined ? {} : { body: web.body }),
      signal: AbortSignal.timeout(web.timeoutMs),
      // a redirect elsewhere would take header values from Secrets along (fetch drops only a few)
      redirect: web.headers.some((h) => h.secret !== undefined) ? 'manual' : 'follow',
    });
  } catch (e) {
    // never err.message itself: it can quote a header value
    const err = e as Error & { cause?: { code?: string; message?: string } };
    const why =
      err.name === 'TimeoutError'
        ? `no answer within ${web.timeoutMs} ms`
        : (err.cause?.code ?? err.cause?.message ?? `the request could not be made (${err.name})`);
    return { kind: 'error', message: `${web.method} ${web.url} failed: ${why}` };
  }
  if (web.jsonPath === undefined) {
    await res.body?.cancel();
    return { kind: 'value', value: res.status };
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) return { kind: 'error', message: `${web.method} ${web.url} answered ${res.status}` };
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { kind: 'error', message: `${web.method} ${web.url} did not answer JSON` };
  }
  return valueAt(json, web.jsonPath);
}
