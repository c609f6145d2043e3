/**
 * What a Rollout's deletion leaves behind, written: the Service clients call, when Sluice made it,
 * is handed to the target (selector) and kept; when the target never became ready, the primary,
 * its Services and the routing are kept, unowned, so that traffic keeps flowing.
 */
import { PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import type { Kube } from '../kube/client.js';
import { disown } from '../kube/disown.js';
import type { TrafficRouter } from '../traffic/router.js';
import { primaryName } from './generated.js';

/** Sluice's Service `spec.service.name` selects the target's pods from now on and stays when the Rollout goes. */
export async function releaseService(kube: Pick<Kube, 'core'>, rollout: Rollout, target: V1Deployment): Promise<void> {
  await kube.core.patchNamespacedService(
    {
      name: rollout.spec.service.name,
      namespace: rollout.metadata.namespace ?? 'default',
      body: {
        metadata: { ownerReferences: null, labels: { 'app.kubernetes.io/managed-by': null } },
        spec: { selector: target.spec?.selector.matchLabels ?? {} },
      },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

/** The primary, its Services, the Service clients call and the routing stay, owned by nobody. */
export async function orphan(kube: Pick<Kube, 'objects'>, router: TrafficRouter, rollout: Rollout): Promise<void> {
  const ns = rollout.metadata.namespace;
  const svc = rollout.spec.service.name;
  await disown(kube, { apiVersion: 'apps/v1', kind: 'Deployment', namespace: ns, name: primaryName(rollout) });
  for (const name of [svc, `${svc}-primary`, `${svc}-canary`])
    await disown(kube, { apiVersion: 'v1', kind: 'Service', namespace: ns, name });
  await router.disown(rollout);
}
