/**
 * batch/v1 Jobs as the API server admits them: defaults (parallelism, completions, backoffLimit,
 * completionMode, suspend, podReplacementPolicy, the pod template's), a generated selector on
 * `batch.kubernetes.io/controller-uid` with the template labels the Job controller's pods carry,
 * restartPolicy Never or OnFailure, and an immutable pod template.
 */
import { fieldInvalid, fieldUnsupported, type StatusCause } from './status.js';
import type { KubeObject } from './store.js';

type JsonObject = Record<string, any>;

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';

export function jobDefaults(obj: JsonObject, podDefaults: (spec: JsonObject) => void): void {
  const spec = (obj['spec'] ??= {}) as JsonObject;
  // both unset: one pod to complete; parallelism alone: a work queue (completions stays unset)
  if (spec['completions'] === undefined && spec['parallelism'] === undefined) spec['completions'] = 1;
  spec['parallelism'] ??= 1;
  spec['backoffLimit'] ??= 6;
  spec['completionMode'] ??= 'NonIndexed';
  spec['suspend'] ??= false;
  spec['podReplacementPolicy'] ??= spec['podFailurePolicy'] === undefined ? 'TerminatingOrFailed' : 'Failed';
  const template = (spec['template'] ??= {}) as JsonObject;
  podDefaults((template['spec'] ??= {}) as JsonObject);
}

export function validateJob(
  obj: JsonObject,
  validateContainers: (c: unknown, path: string) => StatusCause[],
): StatusCause[] {
  const spec = (obj['spec'] ?? {}) as JsonObject;
  const causes: StatusCause[] = [];
  const restart = spec['template']?.['spec']?.['restartPolicy'];
  if (restart !== 'Never' && restart !== 'OnFailure')
    causes.push(fieldUnsupported('spec.template.spec.restartPolicy', restart, ['OnFailure', 'Never']));
  if (spec['manualSelector'] !== true && spec['selector'] !== undefined && obj['metadata']?.['uid'] === undefined)
    causes.push(fieldInvalid('spec.selector', spec['selector'], '`selector` will be auto-generated'));
  for (const field of ['parallelism', 'completions', 'backoffLimit'])
    if (typeof spec[field] === 'number' && spec[field] < 0)
      causes.push(fieldInvalid(`spec.${field}`, spec[field], 'must be greater than or equal to 0'));
  return [
    ...causes,
    ...validateContainers(spec['template']?.['spec']?.['containers'], 'spec.template.spec.containers'),
  ];
}

/** What the registry adds once the Job has its uid: the selector and the labels of its pods. */
export function generateJobSelector(obj: KubeObject): KubeObject {
  const o = obj as JsonObject;
  if (o['spec']?.['manualSelector'] === true) return obj;
  const uid = obj.metadata.uid ?? '';
  const labels = {
    [CONTROLLER_UID_LABEL]: uid,
    [JOB_NAME_LABEL]: obj.metadata.name,
    'controller-uid': uid,
    'job-name': obj.metadata.name,
  };
  const template: JsonObject = o['spec']?.['template'] ?? {};
  return {
    ...obj,
    spec: {
      ...o['spec'],
      selector: { matchLabels: { [CONTROLLER_UID_LABEL]: uid } },
      template: {
        ...template,
        metadata: { ...template['metadata'], labels: { ...template['metadata']?.['labels'], ...labels } },
      },
    },
  };
}

export function validateJobUpdate(o: JsonObject, prev: JsonObject): StatusCause[] {
  for (const field of ['template', 'selector', 'completions', 'completionMode'])
    if (JSON.stringify(o['spec']?.[field]) !== JSON.stringify(prev['spec']?.[field]))
      return [fieldInvalid(`spec.${field}`, o['spec']?.[field], 'field is immutable')];
  return [];
}
