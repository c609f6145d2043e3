/** The served resources: built-ins plus what the stored CRDs define; discovery documents. */
import { BUILTIN_TYPES } from './builtins.js';
import { apiVersionOf, type PrinterColumn, type ResourceType, type Structural } from './resource-type.js';

interface CrdVersion {
  name: string;
  served?: boolean;
  storage?: boolean;
  schema?: { openAPIV3Schema?: Structural };
  subresources?: {
    status?: object;
    scale?: { specReplicasPath: string; statusReplicasPath: string; labelSelectorPath?: string };
  };
  additionalPrinterColumns?: PrinterColumn[];
}

export interface Crd {
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: {
      plural: string;
      singular?: string;
      kind: string;
      listKind?: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: CrdVersion[];
  };
}

export class Registry {
  private readonly builtins: ResourceType[] = [...BUILTIN_TYPES];
  private custom = new Map<string, ResourceType[]>(); // CRD name -> its served versions

  all(): ResourceType[] {
    return [...this.builtins, ...[...this.custom.values()].flat()];
  }

  find(group: string, version: string, resource: string): ResourceType | undefined {
    return this.all().find((t) => t.group === group && t.version === version && t.resource === resource);
  }

  /** The (first served version of the) resource `group`/`resource`; throws when it is not served. */
  resource(group: string, resource: string): ResourceType {
    const t = this.all().find((x) => x.group === group && x.resource === resource);
    if (t === undefined)
      throw new Error(`resource ${resource}${group === '' ? '' : `.${group}`} is not served (is its CRD applied?)`);
    return t;
  }

  byKind(apiVersion: string, kind: string): ResourceType | undefined {
    return this.all().find((t) => apiVersionOf(t) === apiVersion && t.kind === kind);
  }

  /** Serves (or stops serving) the resource a CRD defines. */
  setCrd(crd: Crd): void {
    const { group, names, scope } = crd.spec;
    const types = crd.spec.versions
      .filter((v) => v.served !== false)
      .map((v): ResourceType => ({
        group,
        version: v.name,
        resource: names.plural,
        kind: names.kind,
        listKind: names.listKind ?? `${names.kind}List`,
        singular: names.singular ?? names.kind.toLowerCase(),
        namespaced: scope === 'Namespaced',
        shortNames: names.shortNames ?? [],
        categories: names.categories ?? [],
        verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'],
        status: v.subresources?.status !== undefined,
        ...(v.subresources?.scale === undefined ? {} : { scale: v.subresources.scale }),
        storageKey: `${group}/${names.plural}`,
        generation: true,
        ...(v.schema?.openAPIV3Schema === undefined ? {} : { schema: v.schema.openAPIV3Schema }),
        printerColumns: v.additionalPrinterColumns ?? [],
        fieldSelectors: [],
        custom: true,
      }));
    this.custom.set(crd.metadata.name, types);
  }

  removeCrd(name: string): ResourceType[] {
    const types = this.custom.get(name) ?? [];
    this.custom.delete(name);
    return types;
  }

  groups(): { name: string; versions: string[] }[] {
    const out = new Map<string, string[]>();
    for (const t of this.all()) {
      if (t.group === '') continue;
      const versions = out.get(t.group) ?? [];
      if (!versions.includes(t.version)) versions.push(t.version);
      out.set(t.group, versions);
    }
    return [...out.entries()].map(([name, versions]) => ({ name, versions }));
  }

  /** APIResourceList for one group/version, as `/api/v1` or `/apis/{group}/{version}` return it. */
  resourceList(group: string, version: string): object | undefined {
    const types = this.all().filter((t) => t.group === group && t.version === version);
    if (types.length === 0) return undefined;
    const resources: object[] = [];
    for (const t of types) {
      resources.push({
        name: t.resource,
        singularName: t.singular,
        namespaced: t.namespaced,
        kind: t.kind,
        verbs: t.verbs,
        ...(t.shortNames.length > 0 ? { shortNames: t.shortNames } : {}),
        ...(t.categories.length > 0 ? { categories: t.categories } : {}),
        storageVersionHash: Buffer.from(t.storageKey).toString('base64').slice(0, 11),
      });
      if (t.status)
        resources.push({
          name: `${t.resource}/status`,
          singularName: '',
          namespaced: t.namespaced,
          kind: t.kind,
          verbs: ['get', 'patch', 'update'],
        });
      if (t.scale !== undefined) {
        resources.push({
          name: `${t.resource}/scale`,
          singularName: '',
          namespaced: t.namespaced,
          group: 'autoscaling',
          version: 'v1',
          kind: 'Scale',
          verbs: ['get', 'patch', 'update'],
        });
      }
    }
    return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: apiVersionOf({ group, version }), resources };
  }

  groupList(): object {
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: this.groups().map((g) => this.groupDoc(g.name, g.versions)),
    };
  }

  group(name: string): object | undefined {
    const g = this.groups().find((x) => x.name === name);
    return g === undefined ? undefined : { kind: 'APIGroup', apiVersion: 'v1', ...this.groupDoc(g.name, g.versions) };
  }

  private groupDoc(name: string, versions: string[]): object {
    const list = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }));
    return { name, versions: list, preferredVersion: list[0] };
  }
}
