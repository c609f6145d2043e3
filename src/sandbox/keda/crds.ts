/**
 * KEDA's ScaledObject CRD (keda.sh/v1alpha1) as KEDA installs it, with the schema's required
 * fields (scaleTargetRef.name, at least one trigger with type and metadata) and the printer
 * columns of `kubectl get scaledobjects`. The rest of the spec is kept as given (KEDA's admission
 * webhook checks more; docs/sandbox.md).
 */

type Schema = Record<string, unknown>;

const open = (description: string): Schema => ({
  type: 'object',
  description,
  'x-kubernetes-preserve-unknown-fields': true,
});
const int = (description: string, minimum = 0): Schema => ({ type: 'integer', format: 'int32', minimum, description });

const spec: Schema = {
  type: 'object',
  description: 'ScaledObjectSpec is the spec for a ScaledObject resource.',
  required: ['scaleTargetRef', 'triggers'],
  properties: {
    scaleTargetRef: {
      type: 'object',
      description: 'The workload KEDA scales (apiVersion apps/v1 and kind Deployment by default).',
      required: ['name'],
      properties: {
        apiVersion: { type: 'string' },
        kind: { type: 'string' },
        name: { type: 'string', minLength: 1 },
        envSourceContainerName: { type: 'string' },
      },
    },
    pollingInterval: int('Seconds between checks of each trigger (default 30).', 1),
    cooldownPeriod: int('Seconds after the last active trigger before scaling to 0 (default 300).'),
    initialCooldownPeriod: int('Seconds after creation before the first scale to 0 (default 0).'),
    idleReplicaCount: int('Replicas while no trigger is active (only 0 is supported).'),
    minReplicaCount: int('Minimum replicas (default 0).'),
    maxReplicaCount: int('Maximum replicas (default 100).'),
    fallback: open('Replicas to use when a scaler keeps failing.'),
    advanced: open('restoreToOriginalReplicaCount, horizontalPodAutoscalerConfig {name, behavior}, scalingModifiers.'),
    triggers: {
      type: 'array',
      minItems: 1,
      description: 'What KEDA scales on.',
      items: {
        type: 'object',
        required: ['type', 'metadata'],
        properties: {
          type: { type: 'string' },
          name: { type: 'string' },
          metricType: { type: 'string', enum: ['AverageValue', 'Value', 'Utilization'] },
          useCachedMetrics: { type: 'boolean' },
          metadata: { type: 'object', additionalProperties: { type: 'string' } },
          authenticationRef: open('TriggerAuthentication or ClusterTriggerAuthentication reference.'),
        },
      },
    },
  },
};

const column = (name: string, jsonPath: string, type = 'string'): object => ({ name, type, jsonPath });

export const KEDA_CRDS: readonly object[] = [
  {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: 'scaledobjects.keda.sh', labels: { 'app.kubernetes.io/part-of': 'keda-operator' } },
    spec: {
      group: 'keda.sh',
      names: {
        kind: 'ScaledObject',
        listKind: 'ScaledObjectList',
        plural: 'scaledobjects',
        singular: 'scaledobject',
        shortNames: ['so'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: 'v1alpha1',
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', properties: { spec, status: open('ScaledObjectStatus.') } } },
          subresources: { status: {} },
          additionalPrinterColumns: [
            column('ScaleTargetKind', '.status.scaleTargetKind'),
            column('ScaleTargetName', '.spec.scaleTargetRef.name'),
            column('Min', '.spec.minReplicaCount', 'integer'),
            column('Max', '.spec.maxReplicaCount', 'integer'),
            column('Ready', '.status.conditions[?(@.type=="Ready")].status'),
            column('Active', '.status.conditions[?(@.type=="Active")].status'),
            column('Paused', '.status.conditions[?(@.type=="Paused")].status'),
            column('Age', '.metadata.creationTimestamp', 'date'),
          ],
        },
      ],
    },
  },
];
