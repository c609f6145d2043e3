/**
 * ConfigMaps and Secrets a pod template uses. A change of their content is a new revision, and
 * the primary runs on `-primary` copies of them, so that a new config reaches only the canary
 * until it is promoted (as with Flagger). Pure helpers over the template.
 */
import type { V1PodTemplateSpec } from '@kubernetes/client-node';

export interface ConfigRefs {
  configMaps: string[];
  secrets: string[];
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

type Ref = ['configMap' | 'secret', Json, string];

function* containerRefs(c: Json): Generator<Ref> {
  for (const e of (c['envFrom'] ?? []) as Json[]) {
    if (isObject(e['configMapRef'])) yield ['configMap', e['configMapRef'], 'name'];
    if (isObject(e['secretRef'])) yield ['secret', e['secretRef'], 'name'];
  }
  for (const e of (c['env'] ?? []) as Json[]) {
    const from = e['valueFrom'];
    if (!isObject(from)) continue;
    if (isObject(from['configMapKeyRef'])) yield ['configMap', from['configMapKeyRef'], 'name'];
    if (isObject(from['secretKeyRef'])) yield ['secret', from['secretKeyRef'], 'name'];
  }
}

function* volumeRefs(v: Json): Generator<Ref> {
  if (isObject(v['configMap'])) yield ['configMap', v['configMap'], 'name'];
  if (isObject(v['secret'])) yield ['secret', v['secret'], 'secretName'];
  const projected = v['projected'];
  for (const source of (isObject(projected) ? (projected['sources'] ?? []) : []) as Json[]) {
    if (isObject(source['configMap'])) yield ['configMap', source['configMap'], 'name'];
    if (isObject(source['secret'])) yield ['secret', source['secret'], 'name'];
  }
}

/** Every place a pod spec names a ConfigMap or Secret: [kind, object holding the name, key of the name]. */
function* references(spec: Json): Generator<Ref> {
  for (const c of [...((spec['containers'] ?? []) as Json[]), ...((spec['initContainers'] ?? []) as Json[])]) yield* containerRefs(c);
  for (const v of (spec['volumes'] ?? []) as Json[]) yield* volumeRefs(v);
}

export function referencedConfigs(template: V1PodTemplateSpec | undefined): ConfigRefs {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const [kind, holder, key] of references((template?.spec ?? {}) as unknown as Json)) {
    const name = holder[key];
    if (typeof name === 'string') (kind === 'configMap' ? configMaps : secrets).add(name);
  }
  return { configMaps: [...configMaps].sort(), secrets: [...secrets].sort() };
}

/** The primary's template: every ConfigMap and Secret reference points at its `-primary` copy. */
export function withPrimaryConfigs(template: V1PodTemplateSpec, suffix = '-primary'): V1PodTemplateSpec {
  const copy = structuredClone(template);
  for (const [, holder, key] of references((copy.spec ?? {}) as unknown as Json)) {
    const name = holder[key];
    if (typeof name === 'string') holder[key] = `${name}${suffix}`;
  }
  return copy;
}
