/**
 * The objects Sluice generates next to a Rollout: `<target>-primary` (a copy of the target's
 * pod template with its selector and labels rewritten), and `<service>-primary` /
 * `<service>-canary`. Pure builders; the shell creates or updates them.
 */
import type { V1Deployment, V1OwnerReference, V1PodTemplateSpec, V1Service } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import { REVISION_ANNOTATION } from '../rollout/revision.js';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'sluice' };

/** Labels and annotations by which GitOps tools claim objects: never copied to generated ones. */
const GITOPS_TRACKING = [
  'app.kubernetes.io/instance',
  'argocd.argoproj.io/instance',
  'argocd.argoproj.io/tracking-id',
  'kustomize.toolkit.fluxcd.io/name',
  'kustomize.toolkit.fluxcd.io/namespace',
  'helm.toolkit.fluxcd.io/name',
  'helm.toolkit.fluxcd.io/namespace',
  'kubectl.kubernetes.io/last-applied-configuration',
];

/** Argo CD shows generated objects as extraneous but in sync, and never prunes them. */
export const GENERATED_ANNOTATIONS = { 'argocd.argoproj.io/compare-options': 'IgnoreExtraneous', 'argocd.argoproj.io/sync-options': 'Prune=false' };

function withoutTracking(map: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).filter(([k]) => !GITOPS_TRACKING.includes(k)));
}

export function ownerReference(rollout: Rollout): V1OwnerReference {
  return { apiVersion: 'sluice.dev/v1alpha1', kind: 'Rollout', name: rollout.metadata.name, uid: rollout.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
}

export function primaryName(rollout: Rollout): string {
  return `${rollout.spec.targetRef.name}-primary`;
}

/**
 * The target's selector labels with `-primary` appended to their values (as Flagger does), so
 * that the target and the primary never select each other's pods.
 */
function primaryLabels(labels: Record<string, string> | undefined, selectorKeys: readonly string[]): Record<string, string> {
  return Object.fromEntries(Object.entries(labels ?? {}).map(([k, v]) => [k, selectorKeys.includes(k) ? `${v}-primary` : v]));
}

function selectorKeys(target: V1Deployment): string[] {
  return Object.keys(target.spec?.selector.matchLabels ?? {});
}

/** `<target>-primary`, running `revision` (the target's current template). */
export function primaryDeployment(rollout: Rollout, target: V1Deployment, revision: string, replicas: number): V1Deployment {
  const name = primaryName(rollout);
  const keys = selectorKeys(target);
  const template: V1PodTemplateSpec = structuredClone(target.spec?.template ?? {});
  template.metadata = { ...(template.metadata ?? {}), labels: primaryLabels(template.metadata?.labels, keys) };
  const matchLabels = primaryLabels(target.spec?.selector.matchLabels, keys);
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace: rollout.metadata.namespace,
      labels: { ...withoutTracking(target.metadata?.labels), ...MANAGED_BY },
      annotations: { ...GENERATED_ANNOTATIONS, [REVISION_ANNOTATION]: revision },
      ownerReferences: [ownerReference(rollout)],
    },
    spec: { ...structuredClone(target.spec ?? { selector: {}, template: {} }), replicas, selector: { matchLabels }, template },
  };
}

/** `<service>-primary` and `<service>-canary`, selecting the primary's and the target's pods. */
export function services(rollout: Rollout, target: V1Deployment): V1Service[] {
  const svc = rollout.spec.service;
  const selector = target.spec?.selector.matchLabels ?? {};
  const port = { name: svc.portName ?? 'http', port: svc.port, targetPort: svc.targetPort ?? svc.port, protocol: 'TCP', ...(svc.appProtocol === undefined ? {} : { appProtocol: svc.appProtocol }) };
  const make = (name: string, sel: Record<string, string>): V1Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: rollout.metadata.namespace, labels: { ...MANAGED_BY }, annotations: { ...GENERATED_ANNOTATIONS }, ownerReferences: [ownerReference(rollout)] },
    spec: { type: 'ClusterIP', selector: sel, ports: [port] },
  });
  return [make(`${svc.name}-primary`, primaryLabels(selector, Object.keys(selector))), make(`${svc.name}-canary`, selector)];
}
