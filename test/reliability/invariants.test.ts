/** The invariant checker of the reliability runs sees each kind of violation (it is not a test that cannot fail). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Api } from '../../src/sandbox/apiserver/api.js';
import { Store } from '../../src/sandbox/apiserver/store.js';
import { ISTIO_CRDS } from '../../src/sandbox/mesh/istio-crds.js';
import { root } from '../sandbox/helpers.js';
import { Invariants } from './invariants.js';
import { scan } from './secrets.js';
import { SECRETS } from './world.js';

function world(): {
  api: Api;
  inv: Invariants;
  rollout: (status: object) => void;
  weights: (primary: number, canary: number) => void;
} {
  const api = new Api(new Store());
  const crds = api.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  for (const crd of ISTIO_CRDS) api.create(crds, undefined, crd);
  api.create(crds, undefined, parse(readFileSync(join(root, 'crds/rollouts.sluice.dev.yaml'), 'utf8')));
  api.create(api.registry.find('', 'v1', 'namespaces')!, undefined, { metadata: { name: 'demo' } });
  const rolloutType = api.registry.find('sluice.dev', 'v1alpha1', 'rollouts')!;
  const vsType = api.registry.find('networking.istio.io', 'v1', 'virtualservices')!;
  api.create(rolloutType, 'demo', {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'app' },
    spec: {
      targetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'app' },
      service: { name: 'app', port: 80 },
      strategy: { canary: { steps: [{ setWeight: 10 }] } },
    },
  });
  api.create(vsType, 'demo', {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'app' },
    spec: {
      hosts: ['app'],
      http: [
        {
          route: [
            { destination: { host: 'app-primary' }, weight: 100 },
            { destination: { host: 'app-canary' }, weight: 0 },
          ],
        },
      ],
    },
  });
  const inv = new Invariants(api);
  return {
    api,
    inv,
    rollout: (status) =>
      api.patch({ type: rolloutType, namespace: 'demo', name: 'app', subresource: 'status' }, 'merge', { status }),
    weights: (primary, canary) =>
      api.patch({ type: vsType, namespace: 'demo', name: 'app' }, 'merge', {
        spec: {
          http: [
            {
              route: [
                { destination: { host: 'app-primary' }, weight: primary },
                { destination: { host: 'app-canary' }, weight: canary },
              ],
            },
          ],
        },
      }),
  };
}

describe('Invariants', () => {
  it('passes a run that goes by the rules', () => {
    const w = world();
    w.rollout({ phase: 'Healthy', stableRevision: 'r1' });
    w.rollout({ phase: 'Progressing', stableRevision: 'r1', canaryRevision: 'r2' });
    w.weights(90, 10);
    w.weights(100, 0);
    w.rollout({ phase: 'RolledBack', stableRevision: 'r1', canaryRevision: 'r2', rolledBackRevision: 'r2' });
    w.rollout({ phase: 'Progressing', stableRevision: 'r1', canaryRevision: 'r3' });
    w.weights(50, 50);
    w.weights(100, 0);
    w.rollout({ phase: 'Healthy', stableRevision: 'r3' });
    expect(w.inv.violations).toEqual([]);
    expect(w.inv.checked.virtualServices).toBe(4);
  });

  it('sees weights that do not add up to 100', () => {
    const w = world();
    w.weights(90, 20);
    expect(w.inv.violations).toEqual([expect.stringContaining('add up to 110')]);
  });

  it('sees traffic to a canary after its rollback', () => {
    const w = world();
    w.rollout({ phase: 'Progressing', stableRevision: 'r1', canaryRevision: 'r2' });
    w.weights(100, 0);
    w.rollout({ phase: 'RolledBack', stableRevision: 'r1', canaryRevision: 'r2', rolledBackRevision: 'r2' });
    w.weights(70, 30);
    expect(w.inv.violations).toEqual([expect.stringContaining('30% to the canary of revision r2 after its rollback')]);
  });

  it('sees a revision promoted twice', () => {
    const w = world();
    w.rollout({ phase: 'Healthy', stableRevision: 'r1' });
    w.rollout({ phase: 'Healthy', stableRevision: 'r2' });
    w.rollout({ phase: 'Healthy', stableRevision: 'r1' });
    w.rollout({ phase: 'Healthy', stableRevision: 'r2' });
    expect(w.inv.violations).toEqual([expect.stringContaining('revision r2 promoted a second time')]);
  });
});

describe('the secrets scan', () => {
  it('finds a secret as given, base64-encoded, or in a Basic Authorization header', () => {
    const basic = Buffer.from(`sluice:${SECRETS.prometheusPassword}`).toString('base64');
    expect(
      scan({
        log: `token=${SECRETS.githubToken}`,
        events: Buffer.from(SECRETS.slackToken).toString('base64'),
        status: `Authorization: Basic ${basic}`,
        clean: 'nothing here',
      }),
    ).toEqual(['githubToken in log', 'slackToken (base64) in events', 'prometheusPassword (Basic auth) in status']);
  });
});
