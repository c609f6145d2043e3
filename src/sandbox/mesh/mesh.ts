/**
 * The mesh simulator: a load generator sends requests to every VirtualService host; each goes
 * through the live VirtualService, the Service and one ready pod, whose env decides the answer;
 * Istio's metrics are recorded as the source and destination sidecars would report them. A
 * destination without a ready endpoint answers 503 with response flag UH, a host that is no
 * Service of the registry 503 with NR, as Envoy does. Routing changes reach the proxies only after
 * the propagation delay (ProxyConfig); clients outside the mesh call Services directly (OutsideClients).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Api } from '../apiserver/api.js';
import type { KubeObject } from '../apiserver/store.js';
import { podEnv } from '../workloads/pods.js';
import { PodLoad } from '../workloads/pod-load.js';
import { readyEndpointPods, workloadOf } from './backends.js';
import { IstioMetrics, type IstioLabels } from './metrics.js';
import { OutsideClients } from './outside.js';
import { profileOf, sampleLatencyMs, sampleStatus } from './profile.js';
import { ProxyConfig } from './proxy-config.js';
import { fqdn, route, type Destination, type MeshRequest } from './router.js';

type Json = Record<string, any>;

export interface MeshOptions {
  /** Requests per second sent to each VirtualService host. */
  rps?: number;
  tickMs?: number;
  random?: () => number;
  /** How long a routing change (VirtualService, DestinationRule, Service) takes to reach the proxies. */
  propagationDelayMs?: number;
  /** Requests per second from clients outside the mesh to each Service the load generator calls. */
  outsideRps?: number;
  /** Headers the load generator sets on a share of its requests (`fraction` from 0 to 1). */
  clientHeaders?: readonly ClientHeader[];
}

export interface ClientHeader {
  name: string;
  value: string;
  fraction: number;
}

export interface MeshAnswer {
  code: number;
  flags: string;
  workload: string | undefined;
  latencyMs: number;
}

const LOADGEN = { workload: 'loadgenerator', namespace: 'sluice-sandbox' };

export class MeshSimulator {
  readonly metrics = new IstioMetrics();
  /** The routing configuration as the proxies have it. */
  readonly proxies: ProxyConfig;
  readonly outside: OutsideClients;
  /** The requests each pod served (what its CPU usage is made of). */
  readonly load = new PodLoad();
  private readonly random: () => number;
  private ticker: NodeJS.Timeout | undefined;
  private server: Server | undefined;
  private readonly credit = new Map<string, number>();
  sent = 0;

  constructor(
    private readonly api: Api,
    private readonly opts: MeshOptions = {},
  ) {
    this.random = opts.random ?? Math.random;
    this.proxies = new ProxyConfig(api.store, opts.propagationDelayMs ?? 0);
    this.outside = new OutsideClients(api.store, this.metrics.registry, this.random, this.load);
  }

  /** Sends one request through the mesh, as a client sidecar in `namespace` would. */
  send(partial: Partial<MeshRequest> & { host: string }): MeshAnswer {
    const req: MeshRequest = {
      namespace: 'default',
      gateway: 'mesh',
      uri: '/',
      method: 'GET',
      headers: {},
      ...partial,
    };
    this.sent++;
    const routed = route(req, this.proxies.virtualServices(), this.random);
    const destination: Destination = routed?.destination ?? { host: fqdn(req.host, req.namespace) };
    if (routed?.mirror !== undefined && this.random() * 100 < routed.mirrorPercent) this.deliver(routed.mirror, req, 0);
    const answer = this.deliver(
      destination,
      req,
      routed?.retries.retryOn.includes('5xx') === true ? routed.retries.attempts : 0,
    );
    this.metrics.record(this.labels('source', destination, answer, req), answer.latencyMs);
    return answer;
  }

  /** Delivers to a ready pod of the destination (retrying 5xx when the route says so). */
  private deliver(dest: Destination, req: MeshRequest, retries: number): MeshAnswer {
    const pods = this.readyPods(dest);
    if (pods === undefined) return { code: 503, flags: 'NR', workload: undefined, latencyMs: 0.1 };
    if (pods.length === 0) return { code: 503, flags: 'UH', workload: undefined, latencyMs: 0.1 };
    let latency = 0;
    for (let attempt = 0; ; attempt++) {
      const pod = pods[Math.floor(this.random() * pods.length)] as KubeObject;
      this.load.serve(pod);
      const profile = profileOf(podEnv(pod));
      const answer: MeshAnswer = {
        code: sampleStatus(profile, this.random),
        flags: '-',
        workload: workloadOf(this.api.store, pod),
        latencyMs: sampleLatencyMs(profile, this.random),
      };
      this.metrics.record(this.labels('destination', dest, answer, req, pod), answer.latencyMs);
      latency += answer.latencyMs;
      if (answer.code < 500 || attempt >= retries) return { ...answer, latencyMs: latency };
    }
  }

  /** Ready pods behind a destination; undefined when the host is no Service the proxies know. */
  private readyPods(dest: Destination): KubeObject[] | undefined {
    const m = /^([^.]+)\.([^.]+)\.svc\.cluster\.local$/.exec(dest.host);
    if (m === null) return undefined;
    const [, name = '', ns = ''] = m;
    if (this.proxies.service(ns, name) === undefined) return undefined;
    const pods = readyEndpointPods(this.api.store, ns, name);
    return dest.subset === undefined ? pods : this.inSubset(pods, dest, ns);
  }

  /** The pods of a DestinationRule subset (none when the subset is not defined, as Envoy finds no cluster). */
  private inSubset(pods: KubeObject[], dest: Destination, ns: string): KubeObject[] {
    const dr = this.proxies.destinationRules(ns).find((d) => fqdn(d['spec']?.['host'] as string, ns) === dest.host);
    const labels = ((dr?.['spec']?.['subsets'] ?? []) as Json[]).find((s) => s['name'] === dest.subset)?.['labels'] as
      Record<string, string> | undefined;
    return labels === undefined
      ? []
      : pods.filter((p) => Object.entries(labels).every(([k, v]) => p.metadata.labels?.[k] === v));
  }

  private labels(
    reporter: 'source' | 'destination',
    dest: Destination,
    answer: MeshAnswer,
    req: MeshRequest,
    pod?: KubeObject,
  ): IstioLabels {
    const [svcName = 'unknown', svcNs = 'unknown'] = dest.host.split('.');
    const known = dest.host.endsWith('.svc.cluster.local');
    const podLabels = pod?.metadata.labels ?? {};
    const app = podLabels['app'] ?? answer.workload ?? 'unknown';
    return {
      ...sourceLabels(req),
      reporter,
      destination_workload: answer.workload ?? 'unknown',
      destination_workload_namespace: answer.workload !== undefined && known ? svcNs : 'unknown',
      destination_canonical_service: podLabels['service.istio.io/canonical-name'] ?? app,
      destination_app: app,
      destination_version: podLabels['version'] ?? 'unknown',
      destination_service: dest.host,
      destination_service_name: known ? svcName : dest.host,
      destination_service_namespace: known ? svcNs : 'unknown',
      request_protocol: 'http',
      response_code: String(answer.code),
      grpc_response_status: '',
      response_flags: answer.flags,
      connection_security_policy: reporter === 'destination' ? 'mutual_tls' : 'unknown',
    };
  }

  /** One tick of the load generator: `rps` per second to every host of every VirtualService the proxies have. */
  tick(seconds: number): void {
    const rps = this.opts.rps ?? 20;
    this.outside.tick(seconds, this.opts.outsideRps ?? 0);
    // the clients call the hosts their proxies know of
    for (const vs of this.proxies.virtualServices()) {
      const ns = vs['metadata']['namespace'] as string;
      const gateways = (vs['spec']?.['gateways'] ?? ['mesh']) as string[];
      const gateway = gateways.includes('mesh')
        ? 'mesh'
        : gateways[0]?.includes('/') === true
          ? gateways[0]
          : `${ns}/${gateways[0] ?? ''}`;
      for (const host of (vs['spec']?.['hosts'] ?? []) as string[]) {
        const key = `${ns}/${vs['metadata']['name'] as string}/${host}`;
        let credit = (this.credit.get(key) ?? 0) + rps * seconds;
        for (; credit >= 1; credit--) this.send({ host, namespace: ns, gateway, headers: this.headers() });
        this.credit.set(key, credit);
      }
    }
  }

  /** The headers of one load-generator request: each client header on its share of requests. */
  private headers(): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const h of this.opts.clientHeaders ?? [])
      if (this.random() < h.fraction) headers[h.name.toLowerCase()] = h.value;
    return headers;
  }

  start(): void {
    const tickMs = this.opts.tickMs ?? 100;
    let last = Date.now();
    this.ticker = setInterval(() => {
      const t = Date.now();
      this.tick((t - last) / 1000);
      last = t;
    }, tickMs);
  }

  /** Serves `/metrics` for Prometheus; resolves to the base URL. */
  async listen(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      if (req.url?.startsWith('/metrics') !== true) {
        res.writeHead(404).end();
        return;
      }
      void this.metrics
        .text()
        .then((text) => res.writeHead(200, { 'Content-Type': this.metrics.registry.contentType }).end(text));
    });
    const server = this.server;
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.proxies.stop();
    const server = this.server;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

/** Who sends: the load generator inside the mesh, or the ingress gateway for gateway traffic. */
function sourceLabels(
  req: MeshRequest,
): Pick<IstioLabels, 'source_workload' | 'source_workload_namespace' | 'source_canonical_service' | 'source_app'> {
  const source = req.gateway === 'mesh' ? LOADGEN : { workload: 'istio-ingressgateway', namespace: 'istio-system' };
  return {
    source_workload: source.workload,
    source_workload_namespace: source.namespace,
    source_canonical_service: source.workload,
    source_app: source.workload,
  };
}
