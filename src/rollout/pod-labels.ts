/**
 * Pod labels of the target and of its `-primary` copy, and what a Service selector picks among
 * them. Pure: used by the controller (generated objects, observations) and by `sluice lint`.
 */
import type { V1Deployment } from '@kubernetes/client-node';

/**
 * The target's selector labels with `-primary` appended to their values (as Flagger does), so
 * that the target and the primary never select each other's pods.
 */
export function primaryLabels(
  labels: Record<string, string> | undefined,
  selectorKeys: readonly string[],
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(labels ?? {}).map(([k, v]) => [k, selectorKeys.includes(k) ? `${v}-primary` : v]),
  );
}

export function selectorKeys(target: V1Deployment): string[] {
  return Object.keys(target.spec?.selector.matchLabels ?? {});
}

/** Whether a Service selector picks pods with these labels (a Service without a selector picks none). */
export function selects(
  selector: Readonly<Record<string, string>> | undefined,
  labels: Record<string, string>,
): boolean {
  const entries = Object.entries(selector ?? {});
  return entries.length > 0 && entries.every(([k, v]) => labels[k] === v);
}

/** Which pods the Service that clients call reaches: the primary's (stable) ones, only the target's, or neither. */
export type ServiceReach = 'primary' | 'targetOnly' | 'neither';

/**
 * What the Service named by spec.service.name selects, given the target: the primary's pods carry
 * the target's template labels with the selector labels' values suffixed `-primary`, so a Service
 * that selects on the target's selector labels reaches only the target — at 0 replicas between runs.
 */
export function serviceReach(
  selector: Readonly<Record<string, string>> | undefined,
  target: V1Deployment,
): ServiceReach {
  const podLabels = target.spec?.template.metadata?.labels ?? {};
  if (selects(selector, primaryLabels(podLabels, selectorKeys(target)))) return 'primary';
  return selects(selector, podLabels) ? 'targetOnly' : 'neither';
}
