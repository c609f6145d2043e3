import { describe, expect, it } from 'vitest';
import { referencedConfigs, withPrimaryConfigs } from '../../src/controller/configs.js';

const template: any = {
  metadata: { labels: { app: 'web' } },
  spec: {
    initContainers: [{ name: 'init', image: 'busybox', envFrom: [{ secretRef: { name: 'init-secret' } }] }],
    containers: [{
      name: 'web',
      image: 'nginx',
      envFrom: [{ configMapRef: { name: 'settings' } }, { prefix: 'X_', secretRef: { name: 'api-keys' } }],
      env: [
        { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'settings', key: 'mode' } } },
        { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'tokens', key: 't' } } },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'PLAIN', value: 'x' },
      ],
    }],
    volumes: [
      { name: 'cfg', configMap: { name: 'files' } },
      { name: 'tls', secret: { secretName: 'tls-cert' } },
      { name: 'all', projected: { sources: [{ configMap: { name: 'more-files' } }, { secret: { name: 'more-secrets' } }, { downwardAPI: {} }] } },
      { name: 'tmp', emptyDir: {} },
    ],
  },
};

describe('config references of a pod template', () => {
  it('finds every ConfigMap and Secret, once each', () => {
    expect(referencedConfigs(template)).toEqual({ configMaps: ['files', 'more-files', 'settings'], secrets: ['api-keys', 'init-secret', 'more-secrets', 'tls-cert', 'tokens'] });
    expect(referencedConfigs({ spec: { containers: [{ name: 'c', image: 'i' }] } })).toEqual({ configMaps: [], secrets: [] });
  });

  it('points the primary at -primary copies, leaving the target template untouched', () => {
    const before = JSON.stringify(template);
    const primary = withPrimaryConfigs(template);
    expect(JSON.stringify(template)).toBe(before);
    expect(referencedConfigs(primary)).toEqual({ configMaps: ['files-primary', 'more-files-primary', 'settings-primary'], secrets: ['api-keys-primary', 'init-secret-primary', 'more-secrets-primary', 'tls-cert-primary', 'tokens-primary'] });
    expect((primary.spec as any).containers[0].env[2]).toEqual(template.spec.containers[0].env[2]);
  });
});
