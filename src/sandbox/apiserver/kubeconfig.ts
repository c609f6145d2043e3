/** A kubeconfig for the emulator: plain http, a bearer token (any token is accepted). */
import { stringify } from 'yaml';

export function kubeconfigFor(server: string, context = 'sluice-sandbox', namespace = 'default'): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    // client-node refuses plain http unless TLS verification is marked as skipped (there is no TLS here).
    clusters: [{ name: context, cluster: { server, 'insecure-skip-tls-verify': true } }],
    users: [{ name: context, user: { token: 'sluice-sandbox' } }],
    contexts: [{ name: context, context: { cluster: context, user: context, namespace } }],
    'current-context': context,
    preferences: {},
  });
}
