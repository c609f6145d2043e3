/** The parts of Istio's networking.istio.io/v1 types that Sluice reads and writes. */
import type { V1ObjectMeta } from '@kubernetes/client-node';

export interface Destination {
  host: string;
  subset?: string;
  port?: { number: number };
}

export interface RouteDestination {
  destination: Destination;
  weight?: number;
}

export interface HttpRoute {
  name?: string;
  match?: unknown[];
  route?: RouteDestination[];
  retries?: { attempts?: number; perTryTimeout?: string; retryOn?: string };
  timeout?: string;
  headers?: unknown;
  [field: string]: unknown;
}

export interface VirtualService {
  apiVersion: 'networking.istio.io/v1';
  kind: 'VirtualService';
  metadata: V1ObjectMeta;
  spec: { hosts?: string[]; gateways?: string[]; http?: HttpRoute[]; [field: string]: unknown };
}

export interface DestinationRule {
  apiVersion: 'networking.istio.io/v1';
  kind: 'DestinationRule';
  metadata: V1ObjectMeta;
  spec: { host: string; trafficPolicy?: unknown; [field: string]: unknown };
}

export interface JsonPatchOp {
  op: 'add' | 'replace' | 'test';
  path: string;
  value: unknown;
}
