/**
 * AnalysisTemplates as the controller sees them: from the informer cache, each validated once
 * per resourceVersion; and Prometheus credentials read from Secrets when their content changes.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import type { AnalysisTemplate } from '../api/schema/analysis-template.js';
import type { TemplateRef } from '../api/schema/rollout.js';
import type { TemplateCatalog } from '../api/semantics/references.js';
import { validateAnalysisTemplate } from '../api/validate-object.js';
import { formatPath } from '../api/problem.js';
import type { TemplateSource } from '../analysis/resolve.js';
import { statusOf, type Kube } from '../kube/client.js';
import type { Credentials } from './analysis.js';
import type { SecretValue } from '../analysis/web.js';
import type { ConfigDigest } from './configs.js';

export class TemplateStore implements TemplateSource, TemplateCatalog {
  readonly missingHint =
    'create it (an AnalysisTemplate in the Rollout namespace, or a ClusterAnalysisTemplate; see analysis-templates/ for ready ones)';
  private readonly validity = new Map<string, string>();

  constructor(private readonly get: (namespace: string, ref: TemplateRef) => AnalysisTemplate | undefined) {}

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

  find(ref: TemplateRef, namespace: string | undefined): AnalysisTemplate | { invalid: string } | undefined {
    const t = this.get(namespace ?? 'default', ref);
    if (t === undefined) return undefined;
    const invalid = this.firstError(t);
    return invalid === '' ? t : { invalid };
  }

  template(namespace: string, ref: TemplateRef): AnalysisTemplate | undefined {
    const t = this.find(ref, namespace);
    return t === undefined || 'invalid' in t ? undefined : t;
  }
}

const decode = (data: Record<string, string> | undefined, key: string): string | undefined => {
  const v = data?.[key];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString('utf8');
};

/** A Secret's data (base64 values), or why it cannot be had. */
export type SecretData = (
  namespace: string,
  name: string,
) => Promise<{ ok: true; data: Record<string, string> } | { ok: false; error: string }>;

/**
 * Secrets read with one GET whenever the cached content hash says one changed (the informer keeps
 * only hashes, so that no Secret value sits in the controller's memory unless a check uses it).
 */
export function secretReader(
  kube: Pick<Kube, 'core'>,
  digest: (namespace: string, name: string) => ConfigDigest | undefined,
): SecretData {
  const read = new Map<string, { hash: string; data: Record<string, string> }>();
  return async (namespace, name) => {
    const k = `${namespace}/${name}`;
    const hash = digest(namespace, name)?.hash;
    if (hash === undefined) return { ok: false, error: `Secret ${name} not found in namespace ${namespace}` };
    const known = read.get(k);
    if (known?.hash === hash) return { ok: true, data: known.data };
    let secret: KubernetesObject & { data?: Record<string, string> };
    try {
      secret = await kube.core.readNamespacedSecret({ name, namespace });
    } catch (e) {
      return {
        ok: false,
        error: `Secret ${name} in namespace ${namespace} could not be read (${String(statusOf(e) ?? (e as Error).message)})`,
      };
    }
    const data = secret.data ?? {};
    read.set(k, { hash, data });
    return { ok: true, data };
  };
}

/** Prometheus credentials from a Secret: `token` for a bearer token, or `username` and `password`. */
export function secretCredentials(secrets: SecretData): Credentials {
  return async (namespace, name) => {
    const secret = await secrets(namespace, name);
    if (!secret.ok) return `${secret.error} (spec.prometheus.authSecretRef)`;
    const { data } = secret;
    const token = decode(data, 'token');
    const username = decode(data, 'username');
    const password = decode(data, 'password');
    return token !== undefined
      ? { bearer: token.trim() }
      : username !== undefined && password !== undefined
        ? { username, password }
        : `Secret ${name} has neither a token key nor username and password keys`;
  };
}

/** One key of a Secret, for web check headers. */
export function secretValue(secrets: SecretData): SecretValue {
  return async (namespace, name, key) => {
    const secret = await secrets(namespace, name);
    if (!secret.ok) return { error: secret.error };
    const value = decode(secret.data, key);
    return value === undefined ? { error: `Secret ${name} has no key ${key}` } : value;
  };
}
