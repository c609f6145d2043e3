/**
 * Istio's VirtualService and DestinationRule CRDs (networking.istio.io v1, v1beta1, v1alpha3),
 * with schemas that follow Istio's published API for the routing fields; rarely used blocks
 * (fault injection, CORS, TCP/TLS routes, traffic policies) keep whatever they are given, as
 * Istio's own CRDs validate them elsewhere.
 */

type Schema = Record<string, unknown>;

const str = (description: string): Schema => ({ type: 'string', description });
const open = (description: string): Schema => ({
  type: 'object',
  description,
  'x-kubernetes-preserve-unknown-fields': true,
});
const obj = (description: string, properties: Record<string, Schema>, extra: Schema = {}): Schema => ({
  type: 'object',
  description,
  properties,
  ...extra,
});
const list = (description: string, items: Schema): Schema => ({ type: 'array', description, items });
const map = (description: string, values: Schema): Schema => ({
  type: 'object',
  description,
  additionalProperties: values,
});

const stringMatch = obj(
  'Exactly one of exact, prefix or regex.',
  { exact: str('Exact string match.'), prefix: str('Prefix-based match.'), regex: str('RE2 style regex-based match.') },
  { maxProperties: 1 },
);
const portSelector = obj('Port on the host being addressed.', {
  number: { type: 'integer', minimum: 0, maximum: 4294967295, description: 'Valid port number.' },
});
const destination = obj(
  'Destination uniquely identifies the instances of a service.',
  {
    host: str('The name of a service from the service registry.'),
    subset: str('The name of a subset within the service.'),
    port: portSelector,
  },
  { required: ['host'] },
);
const headerOps = obj('Header manipulation rules.', {
  set: map('Overwrite the headers.', { type: 'string' }),
  add: map('Append the headers.', { type: 'string' }),
  remove: list('Remove the headers.', { type: 'string' }),
});
const headers = obj('Header manipulation rules.', { request: headerOps, response: headerOps });
const duration = str('Duration, e.g. 1s or 500ms.');

const httpMatch = obj(
  'Specifies a set of criteria to be met in order for the rule to be applied to the HTTP request.',
  {
    name: str('The name assigned to a match.'),
    uri: stringMatch,
    scheme: stringMatch,
    method: stringMatch,
    authority: stringMatch,
    headers: map('The header keys must be lowercase.', stringMatch),
    withoutHeaders: map('withoutHeader has the same syntax with the header, but has opposite meaning.', stringMatch),
    queryParams: map('Query parameters for matching.', stringMatch),
    port: {
      type: 'integer',
      minimum: 0,
      maximum: 4294967295,
      description: 'Specifies the ports on the host that is being addressed.',
    },
    sourceLabels: map('One or more labels that constrain the applicability of a rule to source workloads.', {
      type: 'string',
    }),
    sourceNamespace: str('Source namespace constraining the applicability of a rule.'),
    gateways: list('Names of gateways where the rule should be applied.', { type: 'string' }),
    ignoreUriCase: {
      type: 'boolean',
      description: 'Flag to specify whether the URI matching should be case-insensitive.',
    },
    statPrefix: str('The human readable prefix to use when emitting statistics for this route.'),
  },
);

const httpRoute = obj('Describes match conditions and actions for routing HTTP/1.1, HTTP2, and gRPC traffic.', {
  name: str('The name assigned to the route for debugging purposes.'),
  match: list('Match conditions to be satisfied for the rule to be activated.', httpMatch),
  route: list(
    'A HTTP rule can either return a direct_response, redirect or forward (default) traffic.',
    obj(
      'Each routing rule is associated with one or more service versions.',
      {
        destination,
        weight: {
          type: 'integer',
          format: 'int32',
          minimum: 0,
          description: 'Weight specifies the relative proportion of traffic to be forwarded to the destination.',
        },
        headers,
      },
      { required: ['destination'] },
    ),
  ),
  redirect: open('A HTTP rule can either return a direct_response, redirect or forward (default) traffic.'),
  directResponse: open('A HTTP rule can either return a direct_response, redirect or forward (default) traffic.'),
  delegate: open(
    'Delegate is used to specify the particular VirtualService which can be used to define delegate HTTPRoute.',
  ),
  rewrite: open('Rewrite HTTP URIs and Authority headers.'),
  timeout: duration,
  retries: obj('Retry policy for HTTP requests.', {
    attempts: { type: 'integer', format: 'int32', description: 'Number of retries to be allowed for a given request.' },
    perTryTimeout: duration,
    retryOn: str('Specifies the conditions under which retry takes place.'),
    retryRemoteLocalities: {
      type: 'boolean',
      description: 'Flag to specify whether the retries should retry to other localities.',
    },
  }),
  fault: open('Fault injection policy to apply on HTTP traffic at the client side.'),
  mirror: destination,
  mirrors: list(
    'Specifies the destinations to mirror HTTP traffic in addition to the original destination.',
    obj(
      'Mirror policy.',
      {
        destination,
        percentage: obj('Percentage of the traffic to be mirrored.', { value: { type: 'number', format: 'double' } }),
      },
      { required: ['destination'] },
    ),
  ),
  mirrorPercentage: obj('Percentage of the traffic to be mirrored by the mirror field.', {
    value: { type: 'number', format: 'double' },
  }),
  corsPolicy: open('Cross-Origin Resource Sharing policy (CORS).'),
  headers,
});

const virtualServiceSpec = obj(
  'Configuration affecting label/content routing, sni routing, etc. See more details at: https://istio.io/docs/reference/config/networking/virtual-service.html',
  {
    hosts: list('The destination hosts to which traffic is being sent.', { type: 'string' }),
    gateways: list('The names of gateways and sidecars that should apply these routes.', { type: 'string' }),
    http: list('An ordered list of route rules for HTTP traffic.', httpRoute),
    tls: list('An ordered list of route rule for non-terminated TLS & HTTPS traffic.', open('TLS route.')),
    tcp: list('An ordered list of route rules for opaque TCP traffic.', open('TCP route.')),
    exportTo: list('A list of namespaces to which this virtual service is exported.', { type: 'string' }),
  },
);

const destinationRuleSpec = obj(
  'Configuration affecting load balancing, outlier detection, etc. See more details at: https://istio.io/docs/reference/config/networking/destination-rule.html',
  {
    host: str('The name of a service from the service registry.'),
    trafficPolicy: open('Traffic policies to apply (load balancing policy, connection pool sizes, outlier detection).'),
    subsets: list(
      'One or more named sets that represent individual versions of a service.',
      obj(
        'A subset of endpoints of a service.',
        {
          name: str('Name of the subset.'),
          labels: map('Labels apply a filter over the endpoints of a service in the service registry.', {
            type: 'string',
          }),
          trafficPolicy: open('Traffic policies that apply to this subset.'),
        },
        { required: ['name'] },
      ),
    ),
    exportTo: list('A list of namespaces to which this destination rule is exported.', { type: 'string' }),
    workloadSelector: open(
      'Criteria used to select the specific set of pods/VMs on which this DestinationRule configuration should be applied.',
    ),
  },
  { required: ['host'] },
);

function crd(kind: string, plural: string, shortNames: string[], spec: Schema, columns: object[]): object {
  const schema = { openAPIV3Schema: { type: 'object', properties: { spec, status: open('Status of the resource.') } } };
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {
      name: `${plural}.networking.istio.io`,
      labels: { app: 'istio-pilot', chart: 'istio', heritage: 'Tiller', release: 'istio' },
    },
    spec: {
      group: 'networking.istio.io',
      names: {
        categories: ['istio-io', 'networking-istio-io'],
        kind,
        listKind: `${kind}List`,
        plural,
        shortNames,
        singular: kind.toLowerCase(),
      },
      scope: 'Namespaced',
      versions: ['v1', 'v1alpha3', 'v1beta1'].map((name) => ({
        name,
        served: true,
        storage: name === 'v1',
        schema,
        subresources: { status: {} },
        additionalPrinterColumns: columns,
      })),
    },
  };
}

export const ISTIO_CRDS: readonly object[] = [
  crd('VirtualService', 'virtualservices', ['vs'], virtualServiceSpec, [
    {
      name: 'Gateways',
      type: 'string',
      jsonPath: '.spec.gateways',
      description: 'The names of gateways and sidecars that should apply these routes',
    },
    {
      name: 'Hosts',
      type: 'string',
      jsonPath: '.spec.hosts',
      description: 'The destination hosts to which traffic is being sent',
    },
    {
      name: 'Age',
      type: 'date',
      jsonPath: '.metadata.creationTimestamp',
      description: 'CreationTimestamp of the object.',
    },
  ]),
  crd('DestinationRule', 'destinationrules', ['dr'], destinationRuleSpec, [
    {
      name: 'Host',
      type: 'string',
      jsonPath: '.spec.host',
      description: 'The name of a service from the service registry',
    },
    {
      name: 'Age',
      type: 'date',
      jsonPath: '.metadata.creationTimestamp',
      description: 'CreationTimestamp of the object.',
    },
  ]),
];
