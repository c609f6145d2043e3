/** A CustomResourceDefinition as the API server accepts it: names checked, status conditions set. */
import { now } from './admission.js';
import { errors, fieldInvalid, fieldRequired, type StatusCause } from './status.js';
import type { KubeObject } from './store.js';

const CRDS = { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', kind: 'CustomResourceDefinition' };

function validate(crd: KubeObject): StatusCause[] {
  const spec = (crd['spec'] ?? {}) as {
    group?: string;
    names?: { plural?: string; kind?: string };
    versions?: { name?: string; storage?: boolean; served?: boolean }[];
    scope?: string;
  };
  const causes: StatusCause[] = [];
  if (typeof spec.group !== 'string' || spec.group === '') causes.push(fieldRequired('spec.group'));
  if (typeof spec.names?.plural !== 'string') causes.push(fieldRequired('spec.names.plural'));
  if (typeof spec.names?.kind !== 'string') causes.push(fieldRequired('spec.names.kind'));
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    causes.push(fieldInvalid('spec.scope', spec.scope, 'must be either Namespaced or Cluster'));
  causes.push(...validateVersions(spec.versions ?? []));
  const expected = `${spec.names?.plural ?? ''}.${spec.group ?? ''}`;
  if (crd.metadata.name !== expected)
    causes.push(fieldInvalid('metadata.name', crd.metadata.name, `must be spec.names.plural+"."+spec.group`));
  return causes;
}

function validateVersions(versions: { name?: string; storage?: boolean }[]): StatusCause[] {
  if (versions.length === 0)
    return [fieldRequired('spec.versions', 'must have exactly one version marked as storage version')];
  if (versions.filter((v) => v.storage === true).length !== 1)
    return [
      fieldInvalid(
        'spec.versions',
        versions.map((v) => v.name),
        'must have exactly one version marked as storage version',
      ),
    ];
  return [];
}

/** Validates a CRD and marks it NamesAccepted and Established, as the API server does. */
export function crdAccepted(crd: KubeObject): KubeObject {
  const causes = validate(crd);
  if (causes.length > 0) throw errors.invalid(CRDS, crd.metadata.name, causes);
  const spec = crd['spec'] as { names: Record<string, unknown>; versions: { name: string; storage?: boolean }[] };
  const time = now();
  const condition = (type: string, reason: string, message: string): object => ({
    type,
    status: 'True',
    lastTransitionTime: time,
    reason,
    message,
  });
  return {
    ...crd,
    status: {
      acceptedNames: spec.names,
      storedVersions: spec.versions.filter((v) => v.storage === true).map((v) => v.name),
      conditions: [
        condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
        condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
      ],
    },
  };
}
