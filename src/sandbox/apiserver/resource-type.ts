/** What the emulator knows about one served resource (one group/version/resource). */

export interface ScaleSubresource {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

export interface PrinterColumn {
  name: string;
  type: string;
  jsonPath: string;
  description?: string;
  priority?: number;
  format?: string;
}

/** A structural OpenAPI v3 schema node, as CRDs carry them. */
export interface Structural {
  type?: string;
  description?: string;
  properties?: Record<string, Structural>;
  items?: Structural;
  additionalProperties?: Structural | boolean;
  required?: string[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minProperties?: number;
  maxProperties?: number;
  pattern?: string;
  format?: string;
  default?: unknown;
  nullable?: boolean;
  anyOf?: Structural[];
  /** Only value validations (e.g. `required`) in each branch, as structural schemas allow. */
  oneOf?: Structural[];
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
  [keyword: string]: unknown;
}

export interface ResourceType {
  group: string;
  version: string;
  /** Plural resource name, e.g. `deployments`. */
  resource: string;
  kind: string;
  listKind: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  verbs: string[];
  status: boolean;
  scale?: ScaleSubresource;
  /** Versions of one resource share storage (CRDs without conversion webhooks). */
  storageKey: string;
  /** Whether spec changes bump metadata.generation. */
  generation: boolean;
  /** Validation schema (CRDs); built-in kinds are checked by hand-written rules. */
  schema?: Structural;
  printerColumns?: PrinterColumn[];
  /** Field selectors beyond metadata.name and metadata.namespace. */
  fieldSelectors: string[];
  /** Set for custom resources: strategic merge patch is refused for them. */
  custom: boolean;
}

export function apiVersionOf(t: Pick<ResourceType, 'group' | 'version'>): string {
  return t.group === '' ? t.version : `${t.group}/${t.version}`;
}

/** `deployments.apps`, `pods` — how Kubernetes names a resource in messages. */
export function qualifiedResource(t: Pick<ResourceType, 'group' | 'resource'>): string {
  return t.group === '' ? t.resource : `${t.resource}.${t.group}`;
}

/** `Deployment.apps`, `Pod` — how Kubernetes names a kind in Invalid messages. */
export function qualifiedKind(t: Pick<ResourceType, 'group' | 'kind'>): string {
  return t.group === '' ? t.kind : `${t.kind}.${t.group}`;
}
