/**
 * The objects Sluice generates next to a Rollout: `<target>-primary` (a copy of the target's
 * pod template with its selector and labels rewritten), and `<service>-primary` /
 * `<service>-canary`. Pure builders; the shell creates or updates them.
 */
import type { V1Deployment, V1DeploymentStrategy, V1PodTemplateSpec, V1Service } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import {
  GENERATED_ANNOTATIONS,
  isManagedBySluice,
  MANAGED_BY,
  ownerReference,
  withoutTracking,
} from '../kube/ownership.js';
import { REVISION_ANNOTATION } from '../rollout/revision.js';
import { withPrimaryConfigs } from './configs.js';
import { primaryLabels, selectorKeys } from '../rollout/pod-labels.js';

export function primaryName(rollout: Rollout): string {
  return `${rollout.spec.targetRef.name}-primary`;
}

/**
 * How the primary rolls out a promotion: never below the replicas it serves with
 * (maxUnavailable 0), new pods added as the target's maxSurge allows (at least one). A target
 * that asks for Recreate (a volume only one pod may mount, say) keeps it: its primary is down
 * while it recreates, as the target would be.
 */
export function primaryStrategy(strategy: V1DeploymentStrategy | undefined): V1DeploymentStrategy {
  if (strategy?.type === 'Recreate') return { type: 'Recreate' };
  const surge = strategy?.rollingUpdate?.maxSurge;
  const none = surge === undefined || surge === 0 || surge === '0' || surge === '0%';
  return { type: 'RollingUpdate', rollingUpdate: { maxSurge: none ? '25%' : surge, maxUnavailable: 0 } };
}

/** `<target>-primary`, running `revision` (the target's current template). */
export function primaryDeployment(
  rollout: Rollout,
  target: V1Deployment,
  revision: string,
  replicas: number,
): V1Deployment {
  const name = primaryName(rollout);
  const keys = selectorKeys(target);
  // The primary runs on -primary copies of the ConfigMaps and Secrets, and its pods carry the
  // revision, so that a config-only change still rolls the primary's pods when promoted.
  const template: V1PodTemplateSpec = withPrimaryConfigs(target.spec?.template ?? {});
  template.metadata = {
    ...(template.metadata ?? {}),
    labels: primaryLabels(template.metadata?.labels, keys),
    annotations: { ...(template.metadata?.annotations ?? {}), [REVISION_ANNOTATION]: revision },
  };
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
    spec: {
      ...structuredClone(target.spec ?? { selector: {}, template: {} }),
      replicas,
      selector: { matchLabels },
      strategy: primaryStrategy(target.spec?.strategy),
      template,
    },
  };
}

/** `<service>-primary` and `<service>-canary`, selecting the primary's and the target's pods. */
export function services(rollout: Rollout, target: V1Deployment): V1Service[] {
  const svc = rollout.spec.service;
  const selector = target.spec?.selector.matchLabels ?? {};
  const port = {
    name: svc.portName ?? 'http',
    port: svc.port,
    targetPort: svc.targetPort ?? svc.port,
    protocol: 'TCP',
    ...(svc.appProtocol === undefined ? {} : { appProtocol: svc.appProtocol }),
  };
  const make = (name: string, sel: Record<string, string>): V1Service => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: rollout.metadata.namespace,
      labels: { ...MANAGED_BY },
      annotations: { ...GENERATED_ANNOTATIONS },
      ownerReferences: [ownerReference(rollout)],
    },
    spec: { type: 'ClusterIP', selector: sel, ports: [port] },
  });
  const primary = primaryLabels(selector, Object.keys(selector));
  return [make(`${svc.name}-primary`, primary), make(`${svc.name}-canary`, selector)];
}

/**
 * The Service clients call (`spec.service.name`), when Git has none: it selects the primary's
 * pods, as Flagger's generated apex Service does, so that clients outside the mesh (no sidecar)
 * reach the stable version between and during runs. Mesh clients are routed by the VirtualService.
 */
export function apexService(rollout: Rollout, target: V1Deployment): V1Service {
  const [primary] = services(rollout, target) as [V1Service, V1Service];
  return { ...primary, metadata: { ...primary.metadata, name: rollout.spec.service.name } };
}

/** Whether `have` holds every field of `want` with the same value (the API server adds defaults of its own). */
export function holds(have: unknown, want: unknown): boolean {
  if (Array.isArray(want))
    return Array.isArray(have) && have.length === want.length && want.every((w, i) => holds(have[i], w));
  if (typeof want === 'object' && want !== null)
    return (
      typeof have === 'object' &&
      have !== null &&
      Object.entries(want).every(([k, w]) => w === undefined || holds((have as Record<string, unknown>)[k], w))
    );
  return have === want;
}

/**
 * The Services Sluice made (`-primary`, `-canary`, and the one clients call when Sluice created
 * it) whose selector or ports differ from what spec.service and the target say now, as the
 * Services they should be.
 */
export function driftedServices(
  rollout: Rollout,
  target: V1Deployment,
  current: (name: string) => V1Service | undefined,
): V1Service[] {
  return [...services(rollout, target), apexService(rollout, target)].filter((want) => {
    const have = current(want.metadata?.name ?? '');
    if (have === undefined || !isManagedBySluice(have.metadata?.labels)) return false;
    const selector = JSON.stringify(Object.entries(have.spec?.selector ?? {}).sort());
    return (
      selector !== JSON.stringify(Object.entries(want.spec?.selector ?? {}).sort()) ||
      !holds(have.spec?.ports, want.spec?.ports)
    );
  });
}
