/**
 * ConfigMaps and Secrets a pod template uses. A change of their content is a new revision, and
 * the primary runs on `-primary` copies of them, so that a new config reaches only the canary
 * until it is promoted (as with Flagger). Pure helpers over the template.
 */
import { createHash } from 'node:crypto';
import type { KubernetesObject, V1OwnerReference, V1PodTemplateSpec } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import {
  GENERATED_ANNOTATIONS,
  isManagedBySluice,
  MANAGED_BY,
  ownerReference,
  withoutTracking,
} from '../kube/ownership.js';
import { canonicalJson } from '../rollout/revision.js';

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
  for (const c of [...((spec['containers'] ?? []) as Json[]), ...((spec['initContainers'] ?? []) as Json[])])
    yield* containerRefs(c);
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
/** Whether the template uses this config, or it is the `-primary` copy of one it uses (the primary's). */
export function usesConfig(template: V1PodTemplateSpec | undefined, kind: ConfigKind, name: string): boolean {
  const refs = referencedConfigs(template);
  const source = name.endsWith('-primary') ? name.slice(0, -'-primary'.length) : name;
  return (kind === 'ConfigMap' ? refs.configMaps : refs.secrets).some((n) => n === name || n === source);
}

export function withPrimaryConfigs(template: V1PodTemplateSpec, suffix = '-primary'): V1PodTemplateSpec {
  const copy = structuredClone(template);
  for (const [, holder, key] of references((copy.spec ?? {}) as unknown as Json)) {
    const name = holder[key];
    if (typeof name === 'string') holder[key] = `${name}${suffix}`;
  }
  return copy;
}

export type ConfigKind = 'ConfigMap' | 'Secret';

/** What the controller keeps of a ConfigMap or Secret: its identity and a hash of its content. */
export interface ConfigDigest extends KubernetesObject {
  hash: string;
  /** Made by Sluice (a `-primary` copy): only those are Sluice's to restore. */
  sluices?: true;
}

/** The content that matters to pods: data, binaryData and a Secret's type. */
export function contentHash(obj: KubernetesObject): string {
  const o = obj as { data?: unknown; binaryData?: unknown; type?: unknown };
  return createHash('sha256')
    .update(canonicalJson({ data: o.data ?? {}, binaryData: o.binaryData ?? {}, type: o.type }))
    .digest('hex')
    .slice(0, 16);
}

export function configDigest(obj: KubernetesObject): ConfigDigest {
  const m = obj.metadata ?? {};
  return {
    apiVersion: obj.apiVersion ?? 'v1',
    kind: obj.kind ?? '',
    metadata: {
      name: m.name ?? '',
      ...(m.namespace === undefined ? {} : { namespace: m.namespace }),
      ...(m.resourceVersion === undefined ? {} : { resourceVersion: m.resourceVersion }),
    },
    hash: contentHash(obj),
    ...(isManagedBySluice(m.labels) ? { sluices: true as const } : {}),
  };
}

/** Marks a config that the template names but that does not exist (pods would not start on it). */
export const ABSENT = 'absent';

/**
 * The content hashes of every config the template uses, keyed `Kind/name`: the part of a
 * revision that is not in the template. Empty when the template uses none.
 */
export function configHashes(
  template: V1PodTemplateSpec | undefined,
  hashOf: (kind: ConfigKind, name: string) => string | undefined,
): Record<string, string> {
  const refs = referencedConfigs(template);
  const entries = [
    ...refs.configMaps.map((n) => ['ConfigMap', n] as const),
    ...refs.secrets.map((n) => ['Secret', n] as const),
  ];
  return Object.fromEntries(entries.map(([kind, name]) => [`${kind}/${name}`, hashOf(kind, name) ?? ABSENT]));
}

interface ConfigObject extends KubernetesObject {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  type?: string;
}

/**
 * `<name>-primary`, the copy of a config that the primary runs on. Several Rollouts may share a
 * config, so each is an owner (none the controller) and the copy goes with the last of them.
 */
export function configCopy(
  rollout: Rollout,
  source: ConfigObject,
  existingOwners: readonly V1OwnerReference[] = [],
): ConfigObject {
  const mine = ownerReference(rollout, false);
  const others = existingOwners.filter((o) => o.uid !== mine.uid);
  return {
    apiVersion: 'v1',
    kind: source.kind ?? 'ConfigMap',
    metadata: {
      name: `${source.metadata?.name ?? ''}-primary`,
      ...(rollout.metadata.namespace === undefined ? {} : { namespace: rollout.metadata.namespace }),
      labels: { ...withoutTracking(source.metadata?.labels), ...MANAGED_BY },
      annotations: { ...GENERATED_ANNOTATIONS },
      ownerReferences: [...others, mine],
    },
    ...(source.data === undefined ? {} : { data: source.data }),
    ...(source.binaryData === undefined ? {} : { binaryData: source.binaryData }),
    ...(source.type === undefined ? {} : { type: source.type }),
  };
}
