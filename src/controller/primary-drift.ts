/**
 * How `<target>-primary` differs from what the stable revision makes of it: its pod template
 * edited by hand (`kubectl set image deployment/x-primary`), or a `-primary` ConfigMap or Secret
 * copy deleted or changed. Only known while the target holds the primary's revision — that is
 * the template to rebuild it from. Fields the API server adds (defaults) are not drift.
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import { REVISION_ANNOTATION } from '../rollout/revision.js';
import { referencedConfigs } from './configs.js';
import { holds, primaryDeployment } from './generated.js';
import type { ConfigDigest, ConfigKind } from './configs.js';

export function primaryDrift(
  rollout: Rollout,
  caches: { config(kind: ConfigKind, namespace: string | undefined, name: string): ConfigDigest | undefined },
  target: V1Deployment,
  targetRevision: string,
  primary: V1Deployment,
): string[] {
  const revision = primary.metadata?.annotations?.[REVISION_ANNOTATION];
  if (revision !== targetRevision) return [];
  const ns = rollout.metadata.namespace;
  const want = primaryDeployment(rollout, target, revision, primary.spec?.replicas ?? 1);
  const out = holds(primary.spec?.template, want.spec?.template) ? [] : ['its pod template was changed'];
  const refs = referencedConfigs(target.spec?.template);
  const configs = [
    ...refs.configMaps.map((n) => ['ConfigMap', n] as const),
    ...refs.secrets.map((n) => ['Secret', n] as const),
  ];
  for (const [kind, name] of configs) {
    const source = caches.config(kind, ns, name);
    if (source === undefined) continue; // an optional config that does not exist has no copy either
    const copy = caches.config(kind, ns, `${name}-primary`);
    if (copy === undefined) out.push(`${kind} ${name}-primary is missing`);
    // someone else's object under that name is reported when a promotion needs the name
    else if (copy.sluices === true && copy.hash !== source.hash)
      out.push(`${kind} ${name}-primary differs from ${name}`);
  }
  return out;
}
