/**
 * How Sluice marks the objects it generates: a managed-by label, an owner reference to the
 * Rollout (garbage collection), annotations that keep GitOps tools from pruning them, and no
 * GitOps tracking labels copied from the user's objects (else Argo CD or Flux would claim them).
 */
import type { V1OwnerReference } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'sluice' };
export const MANAGED_BY_SELECTOR = 'app.kubernetes.io/managed-by=sluice';

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
export const GENERATED_ANNOTATIONS = {
  'argocd.argoproj.io/compare-options': 'IgnoreExtraneous',
  'argocd.argoproj.io/sync-options': 'Prune=false',
};

export function withoutTracking(map: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).filter(([k]) => !GITOPS_TRACKING.includes(k)));
}

export function isManagedBySluice(labels: Record<string, string> | undefined): boolean {
  return labels?.['app.kubernetes.io/managed-by'] === 'sluice';
}

/**
 * The Rollout as the controlling owner (`controller: false` for objects several Rollouts share).
 * No `blockOwnerDeletion`: setting it needs `update` on `rollouts/finalizers` where the API server
 * enforces owner-reference permissions (OwnerReferencesPermissionEnforcement), and Sluice's own
 * finalizer already orders a Rollout's deletion.
 */
export function ownerReference(rollout: Rollout, controller = true): V1OwnerReference {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    name: rollout.metadata.name,
    uid: rollout.metadata.uid ?? '',
    controller,
  };
}
