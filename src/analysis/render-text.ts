/**
 * Arg values put into the text of web checks (URL, headers, body) and into Job specs. A URL gets
 * each value URL-escaped (a value can never add a path segment, a query parameter or a host) but
 * the one that starts it (its base); a Job spec gets values in its string fields only, after it
 * was parsed, so that a value can never add a field. Pure.
 */
import { scanPlaceholders, substitute } from '../api/placeholders.js';

export type RenderedText = { ok: true; text: string } | { ok: false; error: string };

/** Renders `text` with `args`, each value passed through `escape`; every placeholder must have a value. */
export function renderText(
  text: string,
  args: Readonly<Record<string, string>>,
  escape: (value: string, start: number) => string = (v) => v,
): RenderedText {
  const scan = scanPlaceholders(text);
  const bad = scan.malformed[0];
  if (bad !== undefined) return { ok: false, error: `${bad.text} is not a placeholder; write {{ args.NAME }}` };
  const missing = scan.placeholders.find((p) => args[p.name] === undefined);
  if (missing !== undefined)
    return {
      ok: false,
      error: `arg "${missing.name}" has no value: give it in the Rollout's analysis args or as a default in the template`,
    };
  return { ok: true, text: substitute(text, scan.placeholders, (p) => escape(args[p.name] ?? '', p.start)).text };
}

/**
 * A URL with URL-escaped values, except a placeholder that starts the URL: that one is its base
 * (scheme, host, maybe a path), given as is. It must come out as an absolute http(s) URL.
 */
export function renderUrl(url: string, args: Readonly<Record<string, string>>): RenderedText {
  const dots = scanPlaceholders(url).placeholders.find((p) => p.start > 0 && /^\.{1,2}$/.test(args[p.name] ?? ''));
  if (dots !== undefined)
    return { ok: false, error: `arg "${dots.name}" is "${args[dots.name] ?? ''}": it would change the path` };
  const r = renderText(url, args, (v, start) => (start === 0 ? v : encodeURIComponent(v)));
  if (!r.ok) return r;
  try {
    const parsed = new URL(r.text);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('not http');
  } catch {
    return { ok: false, error: `the url ${JSON.stringify(r.text.slice(0, 200))} is not an absolute http(s) URL` };
  }
  return r;
}

/** Every string of a JSON value rendered (keys are left alone); the first error wins. */
export function renderJson(
  value: unknown,
  args: Readonly<Record<string, string>>,
): { ok: true; value: unknown } | { ok: false; error: string } {
  let error: string | undefined;
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = renderText(v, args);
      if (r.ok) return r.text;
      error ??= r.error;
      return v;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && v !== null)
      return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  const out = walk(value);
  return error === undefined ? { ok: true, value: out } : { ok: false, error };
}
