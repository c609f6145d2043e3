/**
 * deploy/ (the kustomize base) renders with kubectl's kustomize and applies cleanly to the API
 * emulator with kubectl — twice, the second time changing nothing — and the external-Redis
 * example overlay swaps the bundled Redis for a URL.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../sandbox/helpers.js';
import { find, kindsAndNames, kustomize, kustomizeText } from './manifests.js';

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(async () => sb.close());

describe('deploy/ (kustomize)', () => {
  const base = kustomize('deploy/');

  it('renders the objects of an installation', () => {
    expect(kindsAndNames(base)).toEqual([
      'ClusterRole/sluice',
      'ClusterRoleBinding/sluice',
      'CustomResourceDefinition/analysistemplates.sluice.dev',
      'CustomResourceDefinition/clusteranalysistemplates.sluice.dev',
      'CustomResourceDefinition/rollouts.sluice.dev',
      'Deployment/sluice',
      'Deployment/sluice-redis',
      'Namespace/sluice-system',
      'PodDisruptionBudget/sluice',
      'Service/sluice-metrics',
      'Service/sluice-redis',
      'Service/sluice-webhook',
      'ServiceAccount/sluice',
    ]);
    const controller = find(base, 'Deployment', 'sluice');
    expect(controller.metadata.namespace).toBe('sluice-system');
    expect(controller['spec'].replicas).toBe(2);
    const pod = controller['spec'].template.spec;
    expect(pod.serviceAccountName).toBe('sluice');
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(pod.containers[0].securityContext).toMatchObject({
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(find(base, 'ClusterRoleBinding', 'sluice')['subjects']).toEqual([
      { kind: 'ServiceAccount', name: 'sluice', namespace: 'sluice-system' },
    ]);
  });

  it('applies to the API emulator with kubectl, and a second apply changes nothing', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sluice-deploy-')), 'all.yaml');
    writeFileSync(file, kustomizeText('deploy/'));
    const first = await sb.k('apply', '-f', file);
    expect(first.trim().split('\n')).toHaveLength(base.length);
    expect(first).not.toMatch(/unchanged|configured/);
    const versions = async (): Promise<string> =>
      sb.k(
        'get',
        'crd,namespace,serviceaccount,clusterrole,clusterrolebinding,service,deployment,poddisruptionbudget',
        '-A',
        '-l',
        'app.kubernetes.io/part-of=sluice',
        '-o',
        'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion} {end}',
      );
    const before = await versions();
    const again = await sb.k('apply', '-k', 'deploy/');
    // kubectl always sends a PodDisruptionBudget's selector (its patch strategy is "replace"),
    // so it prints "configured"; the object is not changed (same resourceVersion).
    expect(
      again
        .trim()
        .split('\n')
        .filter((l) => !l.endsWith(' unchanged')),
    ).toEqual(['poddisruptionbudget.policy/sluice configured']);
    expect(await versions()).toBe(before);
    expect(before.split(' ').filter((x) => x !== '')).toHaveLength(base.length);
    expect(
      JSON.parse(await sb.k('get', 'deployment', 'sluice', '-n', 'sluice-system', '-o', 'json')).spec.replicas,
    ).toBe(2);
    expect(await sb.k('get', 'crd', 'rollouts.sluice.dev', '-o', 'name')).toMatch(/rollouts.sluice.dev/);
  });

  it('examples/install/external-redis removes the bundled Redis and points the controller at yours', () => {
    const overlay = kustomize('examples/install/external-redis');
    expect(kindsAndNames(overlay)).toEqual(kindsAndNames(base).filter((n) => !n.endsWith('/sluice-redis')));
    const env = find(overlay, 'Deployment', 'sluice')['spec'].template.spec.containers[0].env as {
      name: string;
      value?: string;
    }[];
    expect(env.find((e) => e.name === 'SLUICE_REDIS_URL')?.value).toBe('rediss://redis.example.internal:6380/0');
  });
});
