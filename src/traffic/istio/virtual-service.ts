/**
 * Istio routing for a Rollout, as pure builders: the generated VirtualService (hosts, gateways,
 * match, retries, timeout, headers from `spec.service`; the canary split in the first route,
 * Istio using the first route that matches), its DestinationRules, and, for an adopted
 * VirtualService, a JSON patch that edits only the weights of the named routes.
 */
import { parseDuration } from '../../api/duration.js';
import type { Rollout } from '../../api/schema/rollout.js';
import { GENERATED_ANNOTATIONS, MANAGED_BY, ownerReference } from '../../kube/ownership.js';
import { canonicalJson } from '../../rollout/revision.js';
import type { DestinationRule, HttpRoute, JsonPatchOp, RouteDestination, VirtualService } from './types.js';

/** Conservative defaults for generated routes. */
export const DEFAULT_RETRIES = {
  attempts: 3,
  retryOn: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
};
export const DEFAULT_TIMEOUT = '15s';

/** Istio takes durations as protobuf Durations: seconds with a fraction. */
export function istioDuration(text: string): string {
  return `${(parseDuration(text) ?? 0) / 1000}s`;
}

export function hosts(rollout: Rollout): { primary: string; canary: string } {
  return { primary: `${rollout.spec.service.name}-primary`, canary: `${rollout.spec.service.name}-canary` };
}

function split(rollout: Rollout, canaryWeight: number): RouteDestination[] {
  const h = hosts(rollout);
  const port = { number: rollout.spec.service.port };
  return [
    { destination: { host: h.primary, port }, weight: 100 - canaryWeight },
    { destination: { host: h.canary, port }, weight: canaryWeight },
  ];
}

function routeSettings(rollout: Rollout): Pick<HttpRoute, 'retries' | 'timeout' | 'headers'> {
  const svc = rollout.spec.service;
  const retries = { ...DEFAULT_RETRIES, ...(svc.retries ?? {}) };
  return {
    retries: {
      attempts: retries.attempts,
      retryOn: retries.retryOn,
      ...(retries.perTryTimeout === undefined ? {} : { perTryTimeout: istioDuration(retries.perTryTimeout) }),
    },
    timeout: istioDuration(svc.timeout ?? DEFAULT_TIMEOUT),
    ...(svc.headers === undefined ? {} : { headers: svc.headers }),
  };
}

export function virtualService(rollout: Rollout, canaryWeight: number): VirtualService {
  const svc = rollout.spec.service;
  const settings = routeSettings(rollout);
  const primaryOnly = [{ destination: { host: hosts(rollout).primary, port: { number: svc.port } }, weight: 100 }];
  const http: HttpRoute[] =
    svc.match === undefined || svc.match.length === 0
      ? [{ name: 'primary', route: split(rollout, canaryWeight), ...settings }]
      : [
          { name: 'canary', match: svc.match, route: split(rollout, canaryWeight), ...settings },
          { name: 'primary', route: primaryOnly, ...settings },
        ];
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: {
      name: svc.name,
      namespace: rollout.metadata.namespace,
      labels: { ...MANAGED_BY },
      annotations: { ...GENERATED_ANNOTATIONS },
      ownerReferences: [ownerReference(rollout)],
    },
    spec: { hosts: svc.hosts ?? [svc.name], ...(svc.gateways === undefined ? {} : { gateways: svc.gateways }), http },
  };
}

export function destinationRules(rollout: Rollout): DestinationRule[] {
  const h = hosts(rollout);
  return [h.primary, h.canary].map((host): DestinationRule => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: {
      name: host,
      namespace: rollout.metadata.namespace,
      labels: { ...MANAGED_BY },
      annotations: { ...GENERATED_ANNOTATIONS },
      ownerReferences: [ownerReference(rollout)],
    },
    spec: {
      host,
      ...(rollout.spec.service.trafficPolicy === undefined
        ? {}
        : { trafficPolicy: rollout.spec.service.trafficPolicy }),
    },
  }));
}

/** The routes whose weights Sluice owns: the named ones when adopting, else the generated split. */
function ownedRoutes(rollout: Rollout, vs: VirtualService): { index: number; route: HttpRoute }[] {
  const names = rollout.spec.virtualServiceRef?.routes;
  const http = vs.spec.http ?? [];
  return http
    .map((route, index) => ({ index, route }))
    .filter(({ route }) =>
      names === undefined ? route.name !== 'primary' || http.length === 1 : names.includes(route.name ?? ''),
    );
}

const shortHost = (d: RouteDestination): string => d.destination.host.split('.')[0] ?? '';

/** The canary weight of a VirtualService, or undefined when it does not route to the canary as expected. */
export function canaryWeight(rollout: Rollout, vs: VirtualService | undefined): number | undefined {
  if (vs === undefined) return undefined;
  const canaryHost = hosts(rollout).canary;
  const canary = ownedRoutes(rollout, vs).map(({ route }) =>
    (route.route ?? []).find((d) => shortHost(d) === canaryHost),
  );
  // a route of Sluice's without the canary is not a split Sluice knows: unknown, not 0
  if (canary.length === 0 || canary.some((d) => d === undefined)) return undefined;
  const weights = canary.map((d) => d?.weight);
  const first = weights[0] ?? 0;
  return weights.every((w) => (w ?? 0) === first) ? first : undefined;
}

/** JSON patch setting the split of Sluice's routes, leaving every other byte of the VirtualService as it is. */
export function weightPatch(rollout: Rollout, vs: VirtualService, weight: number): JsonPatchOp[] {
  const h = hosts(rollout);
  const ops: JsonPatchOp[] = [];
  for (const { index, route } of ownedRoutes(rollout, vs)) {
    (route.route ?? []).forEach((d, j) => {
      const host = shortHost(d);
      const value = host === h.canary ? weight : host === h.primary ? 100 - weight : undefined;
      if (value === undefined) return;
      ops.push({ op: 'test', path: `/spec/http/${index}/route/${j}/destination/host`, value: d.destination.host });
      // the weight it had when the plan was made: a write from a view someone else's write made stale fails
      if (d.weight !== undefined)
        ops.push({ op: 'test', path: `/spec/http/${index}/route/${j}/weight`, value: d.weight });
      ops.push({
        op: d.weight === undefined ? 'add' : 'replace',
        path: `/spec/http/${index}/route/${j}/weight`,
        value,
      });
    });
  }
  return ops;
}

/** The Service clients call, fully qualified (an adopted VirtualService may live in another namespace). */
function apexHost(rollout: Rollout): string {
  return `${rollout.spec.service.name}.${rollout.metadata.namespace ?? 'default'}.svc.cluster.local`;
}

/** The routes a hand-over rewrites: the named ones when adopting, every route of the generated VirtualService. */
function handOverRoutes(rollout: Rollout, vs: VirtualService): { index: number; route: HttpRoute }[] {
  return rollout.spec.virtualServiceRef === undefined
    ? (vs.spec.http ?? []).map((route, index) => ({ index, route }))
    : ownedRoutes(rollout, vs);
}

const toGenerated = (rollout: Rollout, d: RouteDestination): boolean =>
  [hosts(rollout).primary, hosts(rollout).canary].includes(shortHost(d));

/** Whether no route of the VirtualService Sluice edits points at `-primary` or `-canary` any more. */
export function handedOver(rollout: Rollout, vs: VirtualService | undefined): boolean {
  if (vs === undefined) return true;
  return handOverRoutes(rollout, vs).every(({ route }) => !(route.route ?? []).some((d) => toGenerated(rollout, d)));
}

/**
 * JSON patch pointing every route that sends traffic to `-primary` or `-canary` at the Service
 * clients call instead (100%), so that nothing routes to the generated Services when they go
 * with the Rollout. Tests on the hosts: a concurrent edit fails instead of being overwritten.
 */
export function handOverPatch(rollout: Rollout, vs: VirtualService): JsonPatchOp[] {
  const ops: JsonPatchOp[] = [];
  for (const { index, route } of handOverRoutes(rollout, vs)) {
    const destinations = route.route ?? [];
    if (!destinations.some((d) => toGenerated(rollout, d))) continue;
    destinations.forEach((d, j) =>
      ops.push({ op: 'test', path: `/spec/http/${index}/route/${j}/destination/host`, value: d.destination.host }),
    );
    const port = { number: rollout.spec.service.port };
    ops.push({
      op: 'replace',
      path: `/spec/http/${index}/route`,
      value: [{ destination: { host: apexHost(rollout), port }, weight: 100 }],
    });
  }
  return ops;
}

/**
 * What in an adopted VirtualService keeps Sluice from routing: named routes that are not there,
 * or that do not send to both `-primary` and `-canary`. Empty when it can be used.
 */
export function adoptionProblems(rollout: Rollout, vs: VirtualService): string[] {
  const h = hosts(rollout);
  const names = rollout.spec.virtualServiceRef?.routes ?? [];
  const routes = vs.spec.http ?? [];
  const problems = names.filter((n) => !routes.some((r) => r.name === n)).map((n) => `has no route named ${n}`);
  for (const { route } of ownedRoutes(rollout, vs)) {
    const to = (route.route ?? []).map(shortHost);
    if (!to.includes(h.primary) || !to.includes(h.canary))
      problems.push(`route ${route.name ?? '(unnamed)'} does not send to both ${h.primary} and ${h.canary}`);
  }
  return problems;
}

/** Equal as JSON, whatever the key order the API server keeps. */
const sameJson = (a: unknown, b: unknown): boolean =>
  canonicalJson(JSON.parse(JSON.stringify(a ?? null))) === canonicalJson(JSON.parse(JSON.stringify(b ?? null)));

/** The fields of a generated VirtualService that spec.service decides: all of its spec. */
const vsFields = (v: VirtualService): unknown => ({
  hosts: v.spec.hosts,
  gateways: v.spec.gateways,
  http: v.spec.http,
});

/**
 * The generated VirtualService as spec.service says it should be now, at the canary weight it
 * has; undefined when it already is, or is not Sluice's to converge (adopted, missing, someone
 * else's, or a split Sluice does not know).
 */
export function convergedVirtualService(rollout: Rollout, vs: VirtualService | undefined): VirtualService | undefined {
  if (rollout.spec.virtualServiceRef !== undefined || vs === undefined) return undefined;
  const weight = canaryWeight(rollout, vs);
  if (weight === undefined) return undefined;
  const want = virtualService(rollout, weight);
  return sameJson(vsFields(want), vsFields(vs)) ? undefined : want;
}

/** The generated DestinationRules whose spec differs from what spec.service says now. */
export function convergedDestinationRules(
  rollout: Rollout,
  current: (name: string) => DestinationRule | undefined,
): DestinationRule[] {
  return destinationRules(rollout).filter((want) => {
    const have = current(want.metadata.name ?? '');
    return have !== undefined && !sameJson(want.spec, have.spec);
  });
}
