/**
 * AnalysisTemplates as the controller sees them: from the informer cache, each validated once
 * per resourceVersion; and Prometheus credentials read from Secrets when their content changes.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AnalysisTemplate } from '../api/schema/analysis-template.js';
import type { TemplateCatalog } from '../api/semantics/references.js';
import { validateAnalysisTemplate } from '../api/validate-object.js';
import { formatPath } from '../api/problem.js';
import type { TemplateSource } from '../analysis/resolve.js';
import { statusOf, type Kube } from '../kube/client.js';
import type { Credentials } from './analysis.js';
import type { ConfigDigest } from './configs.js';

export class TemplateStore implements TemplateSource, TemplateCatalog {
  readonly missingHint = 'create it in the Rollout namespace (see analysis-templates/ for ready ones)';
  private readonly validity = new Map<string, string>();

  constructor(private readonly get: (namespace: string, name: string) => AnalysisTemplate | undefined) {}

  /** The template's first error ('' when it has none). */
  private firstError(t: AnalysisTemplate): string {
    const id = `${t.metadata.uid ?? t.metadata.name}@${t.metadata.resourceVersion ?? ''}`;
    let first = this.validity.get(id);
    if (first === undefined) {
      const p = validateAnalysisTemplate(t).find((x) => x.severity === 'error');
      first = p === undefined ? '' : `${formatPath(p.path)}: ${p.message}`;
      if (this.validity.size > 10_000) this.validity.clear();
      this.validity.set(id, first);
    }
    return first;
  }

  find(name: string, namespace: string | undefined): AnalysisTemplate | { invalid: string } | undefined {
    const t = this.get(namespace ?? 'default', name);
    if (t === undefined) return undefined;
    const invalid = this.firstError(t);
    return invalid === '' ? t : { invalid };
  }

  template(namespace: string, name: string): AnalysisTemplate | undefined {
    const t = this.find(name, namespace);
    return t === undefined || 'invalid' in t ? undefined : t;
  }
}

const decode = (data: Record<string, string> | undefined, key: string): string | undefined => {
  const v = data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
};

/**
 * Credentials from a Secret (`token` for a bearer token, or `username` and `password`), read
 * with one GET whenever the cached content hash says the Secret changed.
 */
export function secretCredentials(
  kube: Pick<Kube, 'core'>,
  digest: (namespace: string, name: string) => ConfigDigest | undefined,
): Credentials {
  const read = new Map<string, { hash: string; auth: Awaited<ReturnType<Credentials>> }>();
  return async (namespace, name) => {
    const k = `${namespace}/${name}`;
    const hash = digest(namespace, name)?.hash;
    if (hash === undefined) return `Secret ${name} (spec.prometheus.authSecretRef) not found in namespace ${namespace}`;
    const known = read.get(k);
    if (known?.hash === hash) return known.auth;
    let secret: KubernetesObject & { data?: Record<string, string> };
    try {
      secret = await kube.core.readNamespacedSecret({ name, namespace });
    } catch (e) {
      return `Secret ${name} in namespace ${namespace} could not be read (${String(statusOf(e) ?? (e as Error).message)})`;
    }
    const token = decode(secret.data, 'token');
    const username = decode(secret.data, 'username');
    const password = decode(secret.data, 'password');
    const auth =
      token !== undefined
        ? { bearer: token.trim() }
        : username !== undefined && password !== undefined
          ? { username, password }
          : `Secret ${name} has neither a token key nor username and password keys`;
    read.set(k, { hash, auth });
    return auth;
  };
}
