/** Revisions: a stable hash of a pod template, the identity of what a canary run releases. */
import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so that equal templates hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return value === undefined ? 'null' : JSON.stringify(value);
}

/**
 * The revision of a pod template, plus the content of the ConfigMaps and Secrets it uses (by
 * name -> content hash), so that a config change is a new revision too.
 */
export function revisionOf(template: unknown, configs: Readonly<Record<string, string>> = {}): string {
  if (typeof template !== 'object' || template === null) return hash(template, configs);
  // The same template object (an informer cache's, replaced on every change) hashes once per configs.
  const configsKey = canonicalJson(configs);
  let known = memo.get(template);
  if (known === undefined) memo.set(template, (known = new Map<string, string>()));
  let revision = known.get(configsKey);
  if (revision === undefined) known.set(configsKey, (revision = hash(template, configs)));
  return revision;
}

const memo = new WeakMap<object, Map<string, string>>();

function hash(template: unknown, configs: Readonly<Record<string, string>>): string {
  return createHash('sha256').update(canonicalJson({ template, configs })).digest('hex').slice(0, 16);
}

/** Annotation on generated Deployments naming the revision they run. */
export const REVISION_ANNOTATION = 'sluice.dev/revision';
