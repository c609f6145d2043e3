/**
 * Defaults and validation of the built-in kinds, following the Kubernetes API reference for the
 * fields that matter to controllers (selectors, ports, replicas...). CRD-defined kinds use their
 * schema instead (structural.ts).
 */
import { fieldInvalid, fieldRequired, fieldUnsupported, type StatusCause } from './status.js';
import { jobDefaults, validateJob, validateJobUpdate } from './job-rules.js';
import type { KubeObject } from './store.js';

type JsonObject = Record<string, any>;

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

/** Kinds whose names must be DNS labels rather than subdomains. */
const LABEL_NAMED: Readonly<Record<string, RegExp>> = { Namespace: DNS_LABEL, Service: DNS_1035 };

export function validateName(kind: string, name: unknown): StatusCause[] {
  if (typeof name !== 'string' || name === '')
    return [fieldRequired('metadata.name', 'name or generateName is required')];
  const rule = LABEL_NAMED[kind] ?? DNS_SUBDOMAIN;
  const max = rule === DNS_SUBDOMAIN ? 253 : 63;
  if (name.length > max || !rule.test(name)) {
    const what =
      rule === DNS_SUBDOMAIN
        ? "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
        : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
    return [fieldInvalid('metadata.name', name, what)];
  }
  return [];
}

function labelsMatch(selector: JsonObject | undefined, labels: Record<string, string> | undefined): boolean {
  const want = (selector?.['matchLabels'] ?? {}) as Record<string, string>;
  return Object.entries(want).every(([k, v]) => labels?.[k] === v);
}

function workloadDefaults(obj: JsonObject): void {
  const spec = (obj['spec'] ??= {}) as JsonObject;
  spec['replicas'] ??= 1;
  spec['revisionHistoryLimit'] ??= 10;
  if (obj['kind'] === 'Deployment') {
    spec['progressDeadlineSeconds'] ??= 600;
    spec['strategy'] ??= { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  }
  const podSpec = (spec['template']?.['spec'] ?? {}) as JsonObject;
  podDefaults(podSpec);
}

function podDefaults(spec: JsonObject): void {
  spec['restartPolicy'] ??= 'Always';
  spec['dnsPolicy'] ??= 'ClusterFirst';
  spec['schedulerName'] ??= 'default-scheduler';
  spec['terminationGracePeriodSeconds'] ??= 30;
  for (const c of (spec['containers'] ?? []) as JsonObject[]) {
    c['imagePullPolicy'] ??=
      typeof c['image'] === 'string' && c['image'].endsWith(':latest') ? 'Always' : 'IfNotPresent';
    c['terminationMessagePath'] ??= '/dev/termination-log';
    for (const p of (c['ports'] ?? []) as JsonObject[]) p['protocol'] ??= 'TCP';
  }
}

function validateContainers(containers: unknown, path: string): StatusCause[] {
  if (!Array.isArray(containers) || containers.length === 0) return [fieldRequired(path)];
  const causes: StatusCause[] = [];
  containers.forEach((c: JsonObject, i) => {
    if (typeof c['name'] !== 'string' || !DNS_LABEL.test(c['name']))
      causes.push(
        typeof c['name'] === 'string'
          ? fieldInvalid(
              `${path}[${i}].name`,
              c['name'],
              "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-'",
            )
          : fieldRequired(`${path}[${i}].name`),
      );
    if (typeof c['image'] !== 'string' || c['image'] === '') causes.push(fieldRequired(`${path}[${i}].image`));
  });
  return causes;
}

function validateWorkload(obj: JsonObject): StatusCause[] {
  const spec = (obj['spec'] ?? {}) as JsonObject;
  const causes: StatusCause[] = [];
  const selector = spec['selector'] as JsonObject | undefined;
  if (selector === undefined) causes.push(fieldRequired('spec.selector'));
  const labels = spec['template']?.['metadata']?.['labels'] as Record<string, string> | undefined;
  if (selector !== undefined && !labelsMatch(selector, labels))
    causes.push(
      fieldInvalid('spec.template.metadata.labels', labels ?? {}, '`selector` does not match template `labels`'),
    );
  if (typeof spec['replicas'] !== 'number' || spec['replicas'] < 0)
    causes.push(fieldInvalid('spec.replicas', spec['replicas'], 'must be greater than or equal to 0'));
  return [
    ...causes,
    ...validateContainers(spec['template']?.['spec']?.['containers'], 'spec.template.spec.containers'),
  ];
}

let nextClusterIp = 1;

function serviceDefaults(obj: JsonObject): void {
  const spec = (obj['spec'] ??= {}) as JsonObject;
  spec['type'] ??= 'ClusterIP';
  spec['sessionAffinity'] ??= 'None';
  if (spec['clusterIP'] === undefined && spec['type'] !== 'ExternalName') {
    const n = nextClusterIp++;
    spec['clusterIP'] = `10.96.${Math.floor(n / 250) % 250}.${(n % 250) + 1}`;
    spec['clusterIPs'] = [spec['clusterIP']];
  }
  for (const p of (spec['ports'] ?? []) as JsonObject[]) {
    p['protocol'] ??= 'TCP';
    p['targetPort'] ??= p['port'];
  }
}

function validateService(obj: JsonObject): StatusCause[] {
  const spec = (obj['spec'] ?? {}) as JsonObject;
  const types = ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'];
  if (!types.includes(spec['type'] as string)) return [fieldUnsupported('spec.type', spec['type'], types)];
  const ports = spec['ports'] as JsonObject[] | undefined;
  if (spec['type'] !== 'ExternalName' && (ports === undefined || ports.length === 0))
    return [fieldRequired('spec.ports')];
  const causes: StatusCause[] = [];
  (ports ?? []).forEach((p, i) => {
    if (typeof p['port'] !== 'number' || p['port'] < 1 || p['port'] > 65535)
      causes.push(fieldInvalid(`spec.ports[${i}].port`, p['port'], 'must be between 1 and 65535, inclusive'));
    if ((ports ?? []).length > 1 && typeof p['name'] !== 'string') causes.push(fieldRequired(`spec.ports[${i}].name`));
  });
  return causes;
}

/** autoscaling/v2: minReplicas 1, and 80% CPU utilization when no metric is given. */
function hpaDefaults(obj: JsonObject): void {
  const spec = (obj['spec'] ??= {}) as JsonObject;
  spec['minReplicas'] ??= 1;
  if (!Array.isArray(spec['metrics']) || spec['metrics'].length === 0)
    spec['metrics'] = [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
    ];
}

const METRIC_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];

function validateHpa(obj: JsonObject): StatusCause[] {
  const spec = (obj['spec'] ?? {}) as JsonObject;
  const causes: StatusCause[] = [];
  const ref = spec['scaleTargetRef'] as JsonObject | undefined;
  if (typeof ref?.['kind'] !== 'string' || ref['kind'] === '') causes.push(fieldRequired('spec.scaleTargetRef.kind'));
  if (typeof ref?.['name'] !== 'string' || ref['name'] === '') causes.push(fieldRequired('spec.scaleTargetRef.name'));
  const max = spec['maxReplicas'];
  const min = spec['minReplicas'];
  if (typeof max !== 'number' || max < 1)
    causes.push(
      max === undefined
        ? fieldRequired('spec.maxReplicas')
        : fieldInvalid('spec.maxReplicas', max, 'must be greater than or equal to 1'),
    );
  if (typeof min === 'number' && typeof max === 'number' && min > max)
    causes.push(fieldInvalid('spec.minReplicas', min, 'must be less than or equal to maxReplicas'));
  ((spec['metrics'] ?? []) as JsonObject[]).forEach((m, i) => {
    if (!METRIC_TYPES.includes(m['type'] as string))
      causes.push(fieldUnsupported(`spec.metrics[${i}].type`, m['type'], METRIC_TYPES));
  });
  return causes;
}

function secretDefaults(obj: JsonObject): void {
  obj['type'] ??= 'Opaque';
  const stringData = obj['stringData'] as Record<string, string> | undefined;
  if (stringData !== undefined) {
    const data = (obj['data'] ?? {}) as Record<string, string>;
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(v).toString('base64');
    obj['data'] = data;
    delete obj['stringData'];
  }
}

/** Fills in defaults in place; the object is a private copy. */
export function applyBuiltinDefaults(obj: KubeObject): void {
  const o = obj as JsonObject;
  switch (obj.kind ?? '') {
    case 'Deployment':
    case 'ReplicaSet':
      workloadDefaults(o);
      break;
    case 'Pod':
      podDefaults((o['spec'] ??= {}) as JsonObject);
      o['status'] ??= { phase: 'Pending' };
      break;
    case 'Service':
      serviceDefaults(o);
      break;
    case 'Secret':
      secretDefaults(o);
      break;
    case 'HorizontalPodAutoscaler':
      hpaDefaults(o);
      break;
    case 'Job':
      jobDefaults(o, podDefaults);
      break;
    case 'Namespace':
      o['spec'] ??= { finalizers: ['kubernetes'] };
      o['status'] ??= { phase: 'Active' };
      break;
    default:
      break;
  }
}

export function validateBuiltin(obj: KubeObject): StatusCause[] {
  const o = obj as JsonObject;
  switch (obj.kind ?? '') {
    case 'Deployment':
    case 'ReplicaSet':
      return validateWorkload(o);
    case 'Pod':
      return validateContainers(o['spec']?.['containers'], 'spec.containers');
    case 'Service':
      return validateService(o);
    case 'HorizontalPodAutoscaler':
      return validateHpa(o);
    case 'Job':
      return validateJob(o, validateContainers);
    case 'EndpointSlice':
      return ['IPv4', 'IPv6', 'FQDN'].includes(o['addressType'] as string)
        ? []
        : [fieldUnsupported('addressType', o['addressType'], ['IPv4', 'IPv6', 'FQDN'])];
    default:
      return [];
  }
}

/** Fields that may not change once set (apps/v1 selectors, a Service's clusterIP). */
export function validateBuiltinUpdate(obj: KubeObject, old: KubeObject): StatusCause[] {
  const o = obj as JsonObject;
  const prev = old as JsonObject;
  if (
    (obj.kind === 'Deployment' || obj.kind === 'ReplicaSet') &&
    JSON.stringify(o['spec']?.['selector']) !== JSON.stringify(prev['spec']?.['selector'])
  ) {
    return [fieldInvalid('spec.selector', o['spec']?.['selector'], 'field is immutable')];
  }
  if (
    obj.kind === 'Service' &&
    prev['spec']?.['clusterIP'] !== undefined &&
    o['spec']?.['clusterIP'] !== prev['spec']?.['clusterIP']
  ) {
    return [fieldInvalid('spec.clusterIP', o['spec']?.['clusterIP'], 'field is immutable')];
  }
  if (obj.kind === 'Job') return validateJobUpdate(o, prev);
  return [];
}
