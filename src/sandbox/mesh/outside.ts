/**
 * Clients outside the mesh (no sidecar: a Job, a node-port ingress): they call a Service's
 * ClusterIP, and kube-proxy picks one of the Service's ready endpoints — by the Service's own
 * selector, never by a VirtualService. A Service with no ready endpoint refuses the connection,
 * counted as code 503 with flag UH. They call the Services the mesh's load generator calls
 * (VirtualService hosts that name a Service of the cluster).
 */
import { Counter, type Registry } from 'prom-client';
import type { Store } from '../apiserver/store.js';
import { podEnv } from '../workloads/pods.js';
import { readyEndpointPods } from './backends.js';
import type { PodLoad } from '../workloads/pod-load.js';
import { profileOf, sampleStatus } from './profile.js';
import { fqdn } from './router.js';

type Json = Record<string, any>;

export interface OutsideAnswer {
  code: number;
  flags: '-' | 'UH';
}

export class OutsideClients {
  private readonly requests: Counter<
    'destination_service_namespace' | 'destination_service_name' | 'response_code' | 'response_flags'
  >;
  private readonly credit = new Map<string, number>();

  constructor(
    private readonly store: Store,
    registry: Registry,
    private readonly random: () => number,
    private readonly load?: PodLoad,
  ) {
    this.requests = new Counter({
      name: 'sandbox_outside_requests_total',
      help: 'Requests from clients outside the mesh, straight to Service endpoints (as kube-proxy routes them).',
      labelNames: ['destination_service_namespace', 'destination_service_name', 'response_code', 'response_flags'],
      registers: [registry],
    });
  }

  /** One request to `name.namespace`'s ClusterIP. */
  send(namespace: string, name: string): OutsideAnswer {
    const pods = readyEndpointPods(this.store, namespace, name);
    const pod = pods[Math.floor(this.random() * pods.length)];
    if (pod !== undefined) this.load?.serve(pod);
    const answer: OutsideAnswer =
      pod === undefined
        ? { code: 503, flags: 'UH' }
        : { code: sampleStatus(profileOf(podEnv(pod)), this.random), flags: '-' };
    this.requests.inc({
      destination_service_namespace: namespace,
      destination_service_name: name,
      response_code: String(answer.code),
      response_flags: answer.flags,
    });
    return answer;
  }

  /** `rps` per second to every Service a VirtualService host names. */
  tick(seconds: number, rps: number): void {
    if (rps <= 0) return;
    for (const [ns, name] of this.targets()) {
      const k = `${ns}/${name}`;
      let credit = (this.credit.get(k) ?? 0) + rps * seconds;
      for (; credit >= 1; credit--) this.send(ns, name);
      this.credit.set(k, credit);
    }
  }

  private targets(): [string, string][] {
    const seen = new Map<string, [string, string]>();
    for (const vs of this.store.list('networking.istio.io/virtualservices') as Json[]) {
      const ns = vs['metadata']['namespace'] as string;
      for (const host of (vs['spec']?.['hosts'] ?? []) as string[]) {
        const m = /^([^.]+)\.([^.]+)\.svc\.cluster\.local$/.exec(fqdn(host, ns));
        if (m === null) continue;
        const [, name = '', namespace = ''] = m;
        if (this.store.get('/services', namespace, name) !== undefined)
          seen.set(`${namespace}/${name}`, [namespace, name]);
      }
    }
    return [...seen.values()];
  }
}
