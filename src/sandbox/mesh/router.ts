/**
 * Istio's HTTP routing, as Envoy applies a VirtualService: the VirtualService whose hosts contain
 * the request's host (and whose gateways include where it enters), then the first http route
 * whose match holds (any match block, every condition in it), then a destination drawn by
 * weight. Pure: the caller brings the VirtualServices and the random numbers.
 */

type Json = Record<string, any>;

export interface MeshRequest {
  /** Host as the client wrote it: `podinfo`, `podinfo.demo`, `podinfo.demo.svc.cluster.local` or an external name. */
  host: string;
  /** Namespace of the client, for short names. */
  namespace: string;
  /** `mesh` for sidecar traffic, or `<namespace>/<gateway>` for ingress. */
  gateway: string;
  uri: string;
  method: string;
  headers: Readonly<Record<string, string>>;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: number;
}

export interface Routed {
  virtualService: { name: string; namespace: string };
  route: string | undefined;
  destination: Destination;
  mirror: Destination | undefined;
  mirrorPercent: number;
  retries: { attempts: number; retryOn: string };
}

/** The fully qualified name of a host written in a namespace. */
export function fqdn(host: string, namespace: string): string {
  if (host.includes('*')) return host;
  const parts = host.split('.');
  if (parts.length === 1) return `${host}.${namespace}.svc.cluster.local`;
  if (parts.length === 2) return `${host}.svc.cluster.local`;
  if (parts.length === 3 && parts[2] === 'svc') return `${host}.cluster.local`;
  return host;
}

function hostMatches(vsHost: string, vsNamespace: string, requestHost: string): boolean {
  if (vsHost === '*') return true;
  const want = fqdn(vsHost, vsNamespace);
  if (want.startsWith('*.')) return requestHost.endsWith(want.slice(1));
  return want === requestHost;
}

function stringMatch(m: Json | undefined, value: string | undefined, ignoreCase = false): boolean {
  if (m === undefined) return true;
  if (value === undefined) return false;
  const v = ignoreCase ? value.toLowerCase() : value;
  if (typeof m['exact'] === 'string') return v === (ignoreCase ? m['exact'].toLowerCase() : m['exact']);
  if (typeof m['prefix'] === 'string') return v.startsWith(ignoreCase ? m['prefix'].toLowerCase() : m['prefix']);
  if (typeof m['regex'] === 'string') return new RegExp(`^(?:${m['regex']})$`).test(value);
  return true;
}

function matchHolds(m: Json, req: MeshRequest): boolean {
  const path = req.uri.split('?')[0] ?? '';
  if (!stringMatch(m['uri'], path, m['ignoreUriCase'] === true)) return false;
  if (!stringMatch(m['method'], req.method)) return false;
  if (!stringMatch(m['authority'], req.host)) return false;
  for (const [name, sm] of Object.entries((m['headers'] ?? {}) as Record<string, Json>))
    if (!stringMatch(sm, req.headers[name.toLowerCase()])) return false;
  for (const [name, sm] of Object.entries((m['withoutHeaders'] ?? {}) as Record<string, Json>))
    if (stringMatch(sm, req.headers[name.toLowerCase()])) return false;
  const gateways = m['gateways'] as string[] | undefined;
  return gateways === undefined || gateways.includes(req.gateway);
}

function pickWeighted(routes: Json[], random: () => number): Json | undefined {
  if (routes.length === 1) return routes[0];
  const total = routes.reduce((n, r) => n + ((r['weight'] ?? 0) as number), 0);
  if (total <= 0) return routes[0];
  let x = random() * total;
  for (const r of routes) {
    x -= (r['weight'] ?? 0) as number;
    if (x < 0) return r;
  }
  return routes[routes.length - 1];
}

function appliesTo(vs: Json, req: MeshRequest): boolean {
  const gateways = (vs['spec']?.['gateways'] ?? ['mesh']) as string[];
  const ns = vs['metadata']['namespace'] as string;
  const gatewayOk = gateways.some((g) =>
    g === 'mesh' ? req.gateway === 'mesh' : (g.includes('/') ? g : `${ns}/${g}`) === req.gateway,
  );
  return (
    gatewayOk &&
    ((vs['spec']?.['hosts'] ?? []) as string[]).some((h) => hostMatches(h, ns, fqdn(req.host, req.namespace)))
  );
}

/** Routes a request through the VirtualServices, oldest first as Istio merges them; undefined when none applies. */
export function route(req: MeshRequest, virtualServices: readonly Json[], random: () => number): Routed | undefined {
  const vs = [...virtualServices]
    .sort((a, b) =>
      String(a['metadata']['creationTimestamp']).localeCompare(String(b['metadata']['creationTimestamp'])),
    )
    .find((v) => appliesTo(v, req));
  if (vs === undefined) return undefined;
  const http = ((vs['spec']?.['http'] ?? []) as Json[]).find((h) => {
    const matches = (h['match'] ?? []) as Json[];
    return matches.length === 0 || matches.some((m) => matchHolds(m, req));
  });
  return http === undefined ? undefined : routeTo(vs, http, random);
}

function routeTo(vs: Json, http: Json, random: () => number): Routed | undefined {
  const ns = vs['metadata']['namespace'] as string;
  const chosen = pickWeighted((http['route'] ?? []) as Json[], random);
  if (chosen === undefined) return undefined;
  const dest = (d: Json): Destination => ({
    host: fqdn(d['host'] as string, ns),
    ...(d['subset'] === undefined ? {} : { subset: d['subset'] }),
    ...(d['port']?.['number'] === undefined ? {} : { port: d['port']['number'] }),
  });
  return {
    virtualService: { name: vs['metadata']['name'], namespace: ns },
    route: http['name'] as string | undefined,
    destination: dest(chosen['destination'] as Json),
    mirror: http['mirror'] === undefined ? undefined : dest(http['mirror'] as Json),
    mirrorPercent: (http['mirrorPercentage']?.['value'] ?? 100) as number,
    retries: {
      attempts: (http['retries']?.['attempts'] ?? 2) as number,
      retryOn: (http['retries']?.['retryOn'] ??
        'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes') as string,
    },
  };
}
