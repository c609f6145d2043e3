/** Carries out the planner's actions against the API; each is idempotent. */
import {
  PatchStrategy,
  setHeaderOptions,
  type KubernetesObject,
  type V1Deployment,
  type V1Service,
} from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import type { Kube } from '../kube/client.js';
import { createIfMissing, FIELD_MANAGER, statusOf, written, type Written } from '../kube/client.js';
import { deleteAutoscaler, ensureAutoscaler, pauseAutoscaler } from './act-autoscaler.js';
import { isManagedBySluice } from '../kube/ownership.js';
import { revisionOf } from '../rollout/revision.js';
import { configCopy, configHashes, contentHash, referencedConfigs, type ConfigKind } from './configs.js';
import { FINALIZER, type Action } from '../rollout/model.js';
import type { TrafficRouter } from '../traffic/router.js';
import { apexService, driftedServices, primaryDeployment, primaryName, services } from './generated.js';
import { targetRevision, type Caches } from './observe.js';
import { orphan, releaseService } from './hand-over.js';

type ConfigObject = KubernetesObject & {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
  type?: string;
};

/** Reads a config the template uses; undefined when it does not exist. */
async function readConfig(
  kube: Kube,
  kind: ConfigKind,
  namespace: string,
  name: string,
): Promise<ConfigObject | undefined> {
  try {
    const obj =
      kind === 'ConfigMap'
        ? await kube.core.readNamespacedConfigMap({ name, namespace })
        : await kube.core.readNamespacedSecret({ name, namespace });
    return { ...obj, apiVersion: 'v1', kind };
  } catch (e) {
    if (statusOf(e) === 404) return undefined;
    throw e;
  }
}

/** Creates or updates `<name>-primary` as a copy of `source`, refusing to touch an object Sluice did not make. */
async function writeConfigCopy(kube: Kube, rollout: Rollout, source: ConfigObject, kind: ConfigKind): Promise<void> {
  const namespace = rollout.metadata.namespace ?? 'default';
  const existing = await readConfig(kube, kind, namespace, `${source.metadata?.name ?? ''}-primary`);
  if (existing !== undefined && !isManagedBySluice(existing.metadata?.labels)) {
    throw new Error(
      `${kind} ${existing.metadata?.name ?? ''} exists and was not made by Sluice; rename it, since the primary of ${rollout.spec.targetRef.name} needs that name for its copy of ${source.metadata?.name ?? ''}`,
    );
  }
  const copy = configCopy(rollout, source, existing?.metadata?.ownerReferences);
  if (existing === undefined) await kube.objects.create(copy, undefined, undefined, FIELD_MANAGER);
  else
    await kube.objects.replace(
      { ...copy, metadata: { ...copy.metadata, resourceVersion: existing.metadata?.resourceVersion } },
      undefined,
      undefined,
      FIELD_MANAGER,
    );
}

/**
 * Copies the ConfigMaps and Secrets of `revision` to their `-primary` names. They are read here
 * (the caches keep only hashes), and must still have the content the revision was decided on.
 */
async function copyConfigs(kube: Kube, rollout: Rollout, target: V1Deployment, revision: string): Promise<void> {
  const namespace = rollout.metadata.namespace ?? 'default';
  const refs = referencedConfigs(target.spec?.template);
  const wanted = [
    ...refs.configMaps.map((n) => ['ConfigMap', n] as const),
    ...refs.secrets.map((n) => ['Secret', n] as const),
  ];
  if (wanted.length === 0) return;
  const read = await Promise.all(
    wanted.map(async ([kind, name]) => ({ kind, name, obj: await readConfig(kube, kind, namespace, name) })),
  );
  const hashes = configHashes(target.spec?.template, (kind, name) => {
    const found = read.find((r) => r.kind === kind && r.name === name)?.obj;
    return found === undefined ? undefined : contentHash(found);
  });
  if (revisionOf(target.spec?.template, hashes) !== revision)
    throw new Error(`the configs of ${rollout.spec.targetRef.name} changed since revision ${revision}; planning again`);
  for (const r of read) if (r.obj !== undefined) await writeConfigCopy(kube, rollout, r.obj, r.kind);
}

/** Creates or updates `<target>-primary` from the target's template, which must still be the revision decided on. */
async function ensurePrimary(
  kube: Kube,
  caches: Caches,
  rollout: Rollout,
  action: { revision: string; replicas: number },
): Promise<Written[]> {
  const ns = rollout.metadata.namespace;
  const target = caches.deployment(ns, rollout.spec.targetRef.name);
  if (target === undefined || targetRevision(target, caches) !== action.revision)
    throw new Error(`the target no longer has revision ${action.revision}; planning again`);
  await copyConfigs(kube, rollout, target, action.revision);
  const wanted = primaryDeployment(rollout, target, action.revision, action.replicas);
  const existing = caches.deployment(ns, primaryName(rollout));
  if (existing === undefined) await kube.objects.create(wanted, undefined, undefined, FIELD_MANAGER);
  else
    await kube.objects.replace(
      { ...wanted, metadata: { ...wanted.metadata, resourceVersion: existing.metadata?.resourceVersion } },
      undefined,
      undefined,
      FIELD_MANAGER,
    );
  return [written('Deployment', ns, primaryName(rollout), existing)];
}

/**
 * The Services Sluice made, brought to what spec.service and the target say: selector and ports,
 * a merge patch guarded by the resourceVersion the cache has (a key no longer selected is removed).
 */
async function convergeServices(
  kube: Kube,
  rollout: Rollout,
  target: V1Deployment | undefined,
  current: (name: string) => V1Service | undefined,
): Promise<Written[]> {
  if (target === undefined) throw new Error('the target is gone; planning again');
  const out: Written[] = [];
  for (const want of driftedServices(rollout, target, current)) {
    const name = want.metadata?.name ?? '';
    const have = current(name);
    const gone = Object.keys(have?.spec?.selector ?? {}).filter((k) => want.spec?.selector?.[k] === undefined);
    const body = {
      metadata: { resourceVersion: have?.metadata?.resourceVersion },
      spec: {
        selector: { ...Object.fromEntries(gone.map((k) => [k, null])), ...want.spec?.selector },
        ports: want.spec?.ports,
      },
    };
    await kube.core.patchNamespacedService(
      { name, namespace: rollout.metadata.namespace ?? 'default', body },
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    out.push(written('Service', rollout.metadata.namespace, name, have));
  }
  return out;
}

/** Scales a Deployment through its scale subresource. */
async function scale(
  kube: Kube,
  caches: Caches,
  ns: string | undefined,
  name: string,
  replicas: number,
): Promise<Written[]> {
  await kube.apps.patchNamespacedDeploymentScale(
    { name, namespace: ns ?? 'default', body: { spec: { replicas } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  return [written('Deployment', ns, name, caches.deployment(ns, name))];
}

/** Adds or removes Sluice's finalizer, guarded by the resourceVersion the decision was made on. */
async function setFinalizer(kube: Kube, rollout: Rollout, present: boolean): Promise<void> {
  const others = (rollout.metadata.finalizers ?? []).filter((f) => f !== FINALIZER);
  const body = {
    metadata: {
      resourceVersion: rollout.metadata.resourceVersion,
      finalizers: present ? [...others, FINALIZER] : others,
    },
  };
  await kube.custom.patchNamespacedCustomObject(
    {
      group: 'sluice.dev',
      version: 'v1alpha1',
      namespace: rollout.metadata.namespace ?? 'default',
      plural: 'rollouts',
      name: rollout.metadata.name,
      body,
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}

type Handlers = {
  [K in Action['type']]: (action: Extract<Action, { type: K }>) => Promise<Written[]>;
};

/** Carries out one action; tells what it wrote (for the ledger: later passes wait for their caches to show it). */
export async function act(
  kube: Kube,
  caches: Caches,
  router: TrafficRouter,
  rollout: Rollout,
  action: Action,
): Promise<Written[]> {
  const ns = rollout.metadata.namespace;
  const target = (): V1Deployment => {
    const t = caches.deployment(ns, rollout.spec.targetRef.name);
    if (t === undefined) throw new Error('the target is gone; planning again');
    return t;
  };
  const done = (): Written[] => [];
  // one entry per kind of action: the type checker keeps it exhaustive
  const handlers: Handlers = {
    ensurePrimary: (a) => ensurePrimary(kube, caches, rollout, a),
    ensureServices: async () => {
      // Never overwrites: a Service that exists (Git's own apex Service, say) stays as it is.
      for (const svc of [...services(rollout, target()), apexService(rollout, target())])
        await createIfMissing(kube, svc);
      await router.ensure(rollout);
      return done();
    },
    convergeRouting: async () => [
      ...(await convergeServices(kube, rollout, caches.deployment(ns, rollout.spec.targetRef.name), (n) =>
        caches.service(ns, n),
      )),
      ...(await router.converge(rollout)),
    ],
    setWeight: (a) => router.setWeight(rollout, a.canaryWeight),
    ensureAutoscaler: (a) => ensureAutoscaler(kube, caches, rollout, a.minReplicas),
    deleteAutoscaler: (a) => deleteAutoscaler(kube, rollout, a.kind, a.name).then(done),
    pauseAutoscaler: (a) => pauseAutoscaler(kube, caches, rollout, a),
    scalePrimary: (a) => scale(kube, caches, ns, primaryName(rollout), a.replicas),
    scaleCanary: (a) => scale(kube, caches, ns, rollout.spec.targetRef.name, a.replicas),
    handOver: () => router.handOver(rollout),
    releaseService: () => releaseService(kube, rollout, target()).then(done),
    orphan: () => orphan(kube, router, rollout).then(done),
    addFinalizer: () => setFinalizer(kube, rollout, true).then(done),
    removeFinalizer: () => setFinalizer(kube, rollout, false).then(done),
  };
  return (handlers[action.type] as (a: Action) => Promise<Written[]>)(action);
}
