import { describe, expect, it } from 'vitest';
import {
  ABSENT,
  configCopy,
  configDigest,
  configHashes,
  contentHash,
  referencedConfigs,
  withPrimaryConfigs,
} from '../../src/controller/configs.js';

const template: any = {
  metadata: { labels: { app: 'web' } },
  spec: {
    initContainers: [{ name: 'init', image: 'busybox', envFrom: [{ secretRef: { name: 'init-secret' } }] }],
    containers: [
      {
        name: 'web',
        image: 'nginx',
        envFrom: [{ configMapRef: { name: 'settings' } }, { prefix: 'X_', secretRef: { name: 'api-keys' } }],
        env: [
          { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
          { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'tokens', key: 't' } } },
          { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'PLAIN', value: 'x' },
        ],
      },
    ],
    volumes: [
      { name: 'cfg', configMap: { name: 'files' } },
      { name: 'tls', secret: { secretName: 'tls-cert' } },
      {
        name: 'all',
        projected: {
          sources: [{ configMap: { name: 'more-files' } }, { secret: { name: 'more-secrets' } }, { downwardAPI: {} }],
        },
      },
      { name: 'tmp', emptyDir: {} },
    ],
  },
};

describe('config references of a pod template', () => {
  it('finds every ConfigMap and Secret, once each', () => {
    expect(referencedConfigs(template)).toEqual({
      configMaps: ['files', 'more-files', 'settings'],
      secrets: ['api-keys', 'init-secret', 'more-secrets', 'tls-cert', 'tokens'],
    });
    expect(referencedConfigs({ spec: { containers: [{ name: 'c', image: 'i' }] } })).toEqual({
      configMaps: [],
      secrets: [],
    });
  });

  it('points the primary at -primary copies, leaving the target template untouched', () => {
    const before = JSON.stringify(template);
    const primary = withPrimaryConfigs(template);
    expect(JSON.stringify(template)).toBe(before);
    expect(referencedConfigs(primary)).toEqual({
      configMaps: ['files-primary', 'more-files-primary', 'settings-primary'],
      secrets: [
        'api-keys-primary',
        'init-secret-primary',
        'more-secrets-primary',
        'tls-cert-primary',
        'tokens-primary',
      ],
    });
    expect((primary.spec as any).containers[0].env[2]).toEqual(template.spec.containers[0].env[2]);
  });
});

describe('config content in revisions', () => {
  const cm = (data: Record<string, string>, extra: any = {}): any => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'settings', namespace: 'shop', resourceVersion: '7', ...extra },
    data,
  });

  it('hashes content only: metadata changes are not a new revision, data changes are', () => {
    expect(contentHash(cm({ a: '1' }))).toBe(contentHash(cm({ a: '1' }, { labels: { x: 'y' }, resourceVersion: '8' })));
    expect(contentHash(cm({ a: '1' }))).not.toBe(contentHash(cm({ a: '2' })));
    expect(contentHash({ ...cm({}), binaryData: { b: 'AA==' } })).not.toBe(contentHash(cm({})));
  });

  it('keeps only identity and hash of a Secret, never its values', () => {
    const secret: any = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tokens', namespace: 'shop', resourceVersion: '3', annotations: { note: 'x' } },
      type: 'Opaque',
      data: { t: Buffer.from('hunter2').toString('base64') },
    };
    const d = configDigest(secret);
    expect(d).toEqual({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'tokens', namespace: 'shop', resourceVersion: '3' },
      hash: contentHash(secret),
    });
    expect(JSON.stringify(d)).not.toContain(secret.data.t);
  });

  it('keys every referenced config by kind and name, marking absent ones', () => {
    const hashes = configHashes(template, (kind, name) =>
      kind === 'ConfigMap' && name === 'settings' ? 'h1' : undefined,
    );
    expect(Object.keys(hashes)).toEqual([
      'ConfigMap/files',
      'ConfigMap/more-files',
      'ConfigMap/settings',
      'Secret/api-keys',
      'Secret/init-secret',
      'Secret/more-secrets',
      'Secret/tls-cert',
      'Secret/tokens',
    ]);
    expect(hashes['ConfigMap/settings']).toBe('h1');
    expect(hashes['Secret/tokens']).toBe(ABSENT);
    expect(configHashes({ spec: { containers: [{ name: 'c', image: 'i' }] } }, () => 'x')).toEqual({});
  });

  it('copies to <name>-primary, shared by several Rollouts as owners, without GitOps tracking labels', () => {
    const rollout = (name: string, uid: string): any => ({ metadata: { name, namespace: 'shop', uid }, spec: {} });
    const source = { ...cm({ a: '1' }, { labels: { app: 'web', 'argocd.argoproj.io/instance': 'shop' } }) };
    const first = configCopy(rollout('web', 'u1'), source);
    expect(first).toMatchObject({
      kind: 'ConfigMap',
      metadata: {
        name: 'settings-primary',
        namespace: 'shop',
        labels: { app: 'web', 'app.kubernetes.io/managed-by': 'sluice' },
      },
      data: { a: '1' },
    });
    const second = configCopy(rollout('api', 'u2'), source, first.metadata?.ownerReferences);
    expect(second.metadata?.ownerReferences?.map((o) => [o.name, o.controller])).toEqual([
      ['web', false],
      ['api', false],
    ]);
    expect(
      configCopy(rollout('web', 'u1'), source, second.metadata?.ownerReferences).metadata?.ownerReferences?.map(
        (o) => o.name,
      ),
    ).toEqual(['api', 'web']);
  });
});
