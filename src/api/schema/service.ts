/**
 * `spec.service` and `spec.virtualServiceRef`: how the Rollout's traffic is exposed and split
 * through Istio. Field names follow Istio's VirtualService and DestinationRule APIs
 * (networking.istio.io) so that people can carry their knowledge over.
 */
import {
  Obj,
  Str,
  Int,
  Bool,
  List,
  Duration,
  Enum,
  StringMap,
  MapOf,
  IntOrString,
  Optional,
  DNS_1035_LABEL_PATTERN,
  DNS_SUBDOMAIN_PATTERN,
  DNS_LABEL_PATTERN,
} from './kit.js';

const StringMatch = Obj(
  {
    exact: Optional(Str({ description: 'Matches when the value equals this string.' })),
    prefix: Optional(Str({ description: 'Matches when the value starts with this string.' })),
    regex: Optional(Str({ description: 'Matches when the value matches this RE2 regular expression.' })),
  },
  { description: 'An Istio StringMatch: exactly one of exact, prefix or regex.', minProperties: 1, maxProperties: 1 },
);

export const HttpMatch = Obj(
  {
    name: Optional(Str({ description: 'Name of the match, copied to the generated route for logs.' })),
    uri: Optional({ ...StringMatch, description: 'Match on the request path.' }),
    scheme: Optional({ ...StringMatch, description: 'Match on the URI scheme.' }),
    method: Optional({ ...StringMatch, description: 'Match on the HTTP method.' }),
    authority: Optional({ ...StringMatch, description: 'Match on the HTTP authority (Host header).' }),
    headers: Optional(
      MapOf(StringMatch, { description: 'Header name (lower case) to the match its value must satisfy.' }),
    ),
    withoutHeaders: Optional(
      MapOf(StringMatch, { description: 'Header name to a match the request must NOT satisfy.' }),
    ),
    queryParams: Optional(
      MapOf(StringMatch, { description: 'Query parameter name to the match its value must satisfy.' }),
    ),
    port: Optional(Int({ description: 'Match on the destination port.', minimum: 1, maximum: 65535 })),
    sourceLabels: Optional(StringMap({ description: 'Match requests from workloads with these labels.' })),
    gateways: Optional(
      List(Str({ description: 'A gateway name.' }), { description: 'Match only requests through these gateways.' }),
    ),
    ignoreUriCase: Optional(Bool({ description: 'Compare the URI case-insensitively.' })),
  },
  {
    description:
      'Conditions a request must meet to be routed by the Rollout (Istio HTTPMatchRequest); all set conditions must hold.',
  },
);

const HeaderOps = Obj(
  {
    set: Optional(StringMap({ description: 'Headers to set, replacing existing values.' })),
    add: Optional(StringMap({ description: 'Headers to append.' })),
    remove: Optional(List(Str({ description: 'A header name.' }), { description: 'Headers to remove.' })),
  },
  { description: 'Header manipulations.' },
);

export const Retries = Obj(
  {
    attempts: Optional(Int({ description: 'Number of retries for a request.', minimum: 0, maximum: 100, default: 3 })),
    perTryTimeout: Optional(Duration({ description: 'Timeout per attempt, e.g. 5s.' })),
    retryOn: Optional(
      Str({
        description: 'Comma-separated Envoy retry conditions (x-envoy-retry-on and gRPC retry policies).',
        default: 'connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes',
      }),
    ),
  },
  { description: 'Retry policy of the generated route (Istio HTTPRetry); 3 attempts unless set.' },
);

const ConnectionPool = Obj(
  {
    tcp: Optional(
      Obj(
        {
          maxConnections: Optional(
            Int({ description: 'Maximum number of TCP connections to a destination host.', minimum: 1 }),
          ),
          connectTimeout: Optional(Duration({ description: 'TCP connection timeout.' })),
        },
        { description: 'TCP connection pool settings.' },
      ),
    ),
    http: Optional(
      Obj(
        {
          http1MaxPendingRequests: Optional(
            Int({ description: 'Maximum number of requests queued while waiting for a connection.', minimum: 1 }),
          ),
          http2MaxRequests: Optional(
            Int({ description: 'Maximum number of active requests to a destination.', minimum: 1 }),
          ),
          maxRequestsPerConnection: Optional(
            Int({ description: 'Maximum requests per connection; 1 disables keep-alive.', minimum: 0 }),
          ),
          maxRetries: Optional(Int({ description: 'Maximum number of concurrent retries to all hosts.', minimum: 0 })),
          idleTimeout: Optional(Duration({ description: 'Idle timeout of upstream connections.' })),
          h2UpgradePolicy: Optional(
            Enum(['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'] as const, {
              description: 'Whether HTTP/1.1 connections are upgraded to HTTP/2.',
            }),
          ),
        },
        { description: 'HTTP connection pool settings.' },
      ),
    ),
  },
  { description: 'Connection pool limits (Istio ConnectionPoolSettings).' },
);

const OutlierDetection = Obj(
  {
    consecutive5xxErrors: Optional(
      Int({ description: 'Number of 5xx responses before a host is ejected.', minimum: 0 }),
    ),
    consecutiveGatewayErrors: Optional(
      Int({ description: 'Number of 502/503/504 responses before a host is ejected.', minimum: 0 }),
    ),
    interval: Optional(Duration({ description: 'Time between ejection sweeps.' })),
    baseEjectionTime: Optional(Duration({ description: 'Minimum ejection duration.' })),
    maxEjectionPercent: Optional(
      Int({ description: 'Maximum percentage of hosts that can be ejected.', minimum: 0, maximum: 100 }),
    ),
    minHealthPercent: Optional(
      Int({
        description: 'Outlier detection is disabled below this percentage of healthy hosts.',
        minimum: 0,
        maximum: 100,
      }),
    ),
  },
  { description: 'Ejection of unhealthy hosts (Istio OutlierDetection).' },
);

const Tls = Obj(
  {
    mode: Enum(['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] as const, {
      description: 'TLS mode towards the destination.',
    }),
    sni: Optional(Str({ description: 'SNI string presented to the server.' })),
    credentialName: Optional(Str({ description: 'Name of the Secret holding client certificates (MUTUAL / SIMPLE).' })),
    subjectAltNames: Optional(
      List(Str({ description: 'A subject alternative name.' }), {
        description: 'Accepted subject alternative names of the server certificate.',
      }),
    ),
  },
  { description: 'TLS settings towards the destination (Istio ClientTLSSettings).' },
);

export const TrafficPolicy = Obj(
  {
    loadBalancer: Optional(
      Obj(
        {
          simple: Enum(
            ['UNSPECIFIED', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST', 'LEAST_CONN'] as const,
            {
              description: 'Load-balancing algorithm.',
            },
          ),
        },
        { description: 'Load-balancing policy.' },
      ),
    ),
    connectionPool: Optional(ConnectionPool),
    outlierDetection: Optional(OutlierDetection),
    tls: Optional(Tls),
  },
  { description: 'Traffic policy written to the generated DestinationRules of the primary and canary services.' },
);

export const Service = Obj(
  {
    name: Str({
      description: 'Name of the Service that clients call. Sluice creates <name>-primary and <name>-canary next to it.',
      pattern: DNS_1035_LABEL_PATTERN,
      maxLength: 55,
    }),
    port: Int({ description: 'Port the Service exposes.', minimum: 1, maximum: 65535 }),
    targetPort: Optional(
      IntOrString({ description: 'Container port (number or name) the Service forwards to; defaults to port.' }),
    ),
    portName: Optional(
      Str({
        description: 'Name of the Service port; Istio infers the protocol from it.',
        pattern: DNS_LABEL_PATTERN,
        maxLength: 15,
        default: 'http',
      }),
    ),
    appProtocol: Optional(Str({ description: 'Application protocol of the port (http, http2, grpc, tcp...).' })),
    hosts: Optional(
      List(Str({ description: 'A host name, e.g. app.example.com or podinfo.' }), {
        description: 'Hosts of the generated VirtualService; defaults to the service name.',
        listType: 'set',
      }),
    ),
    gateways: Optional(
      List(Str({ description: 'A gateway as <namespace>/<name>, or mesh.' }), {
        description: 'Gateways of the generated VirtualService; defaults to the mesh only.',
        listType: 'set',
      }),
    ),
    match: Optional(
      List(HttpMatch, {
        description:
          'Only requests matching one of these are split between primary and canary; the rest go to the primary. Istio uses the first route that matches.',
      }),
    ),
    retries: Optional({ ...Retries, default: {} }),
    timeout: Optional(Duration({ description: 'Timeout of a request through the generated route.', default: '15s' })),
    headers: Optional(
      Obj(
        {
          request: Optional({ ...HeaderOps, description: 'Manipulations of request headers.' }),
          response: Optional({ ...HeaderOps, description: 'Manipulations of response headers.' }),
        },
        { description: 'Header manipulations applied by the generated route.' },
      ),
    ),
    trafficPolicy: Optional(TrafficPolicy),
  },
  { description: 'The Service in front of the target and the Istio routing generated for it.' },
);

export const VirtualServiceRef = Obj(
  {
    name: Str({
      description: 'Name of an existing VirtualService to adopt.',
      pattern: DNS_SUBDOMAIN_PATTERN,
      maxLength: 253,
    }),
    namespace: Optional(
      Str({
        description: 'Namespace of the VirtualService; defaults to the Rollout namespace.',
        pattern: DNS_LABEL_PATTERN,
        maxLength: 63,
      }),
    ),
    routes: List(Str({ description: 'Name of an HTTP route of the VirtualService.' }), {
      description:
        'Names of the HTTP routes whose weights Sluice edits; everything else in the VirtualService is left as it is.',
      minItems: 1,
      listType: 'set',
    }),
  },
  {
    description:
      'Adopt a VirtualService you own instead of generating one: Sluice only edits the destination weights of the named routes.',
  },
);
