import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Rollout } from '../../src/api/schema/rollout.js';
import { contentHash, type ConfigDigest, type ConfigKind } from '../../src/controller/configs.js';
import { primaryDeployment } from '../../src/controller/generated.js';
import { primaryDrift } from '../../src/controller/primary-drift.js';

const load = (path: string): any => parse(readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8'));
const rollout = (): Rollout => ({
  ...load('examples/podinfo/rollout.yaml'),
  metadata: { name: 'podinfo', namespace: 'demo' },
});

function target(): any {
  const d = load('examples/podinfo/deployment.yaml');
  d.spec.template.spec.volumes = [{ name: 'cfg', configMap: { name: 'settings' } }];
  return d;
}

describe('how the primary differs from what the stable revision makes of it', () => {
  const data = { a: '1' };
  const configs = new Map<string, ConfigDigest>([
    ['settings', { kind: 'ConfigMap', metadata: { name: 'settings' }, hash: contentHash({ data } as any) }],
    [
      'settings-primary',
      { kind: 'ConfigMap', metadata: { name: 'settings-primary' }, hash: contentHash({ data } as any) },
    ],
  ]);
  const caches = { config: (_k: ConfigKind, _ns: string | undefined, name: string) => configs.get(name) };

  it('is nothing when the API server only added its defaults', () => {
    const stored: any = JSON.parse(JSON.stringify(primaryDeployment(rollout(), target(), 'r1', 2)));
    stored.spec.template.spec.restartPolicy = 'Always';
    stored.spec.template.spec.containers[0].imagePullPolicy = 'IfNotPresent';
    stored.spec.template.spec.containers[0].terminationMessagePath = '/dev/termination-log';
    expect(primaryDrift(rollout(), caches, target(), 'r1', stored)).toEqual([]);
    // another revision than the target's: nothing to compare with
    stored.spec.template.spec.containers[0].image = 'other:1';
    expect(primaryDrift(rollout(), caches, target(), 'r2', stored)).toEqual([]);
    expect(primaryDrift(rollout(), caches, target(), 'r1', stored)).toEqual(['its pod template was changed']);
  });

  it('names a -primary config copy that is missing or changed', () => {
    const stored: any = JSON.parse(JSON.stringify(primaryDeployment(rollout(), target(), 'r1', 2)));
    configs.set('settings-primary', { kind: 'ConfigMap', metadata: { name: 'settings-primary' }, hash: 'x' });
    // someone else's object under the copy's name is not Sluice's to rewrite
    expect(primaryDrift(rollout(), caches, target(), 'r1', stored)).toEqual([]);
    configs.set('settings-primary', {
      kind: 'ConfigMap',
      metadata: { name: 'settings-primary' },
      hash: 'x',
      sluices: true,
    });
    expect(primaryDrift(rollout(), caches, target(), 'r1', stored)).toEqual([
      'ConfigMap settings-primary differs from settings',
    ]);
    configs.delete('settings-primary');
    expect(primaryDrift(rollout(), caches, target(), 'r1', stored)).toEqual(['ConfigMap settings-primary is missing']);
  });
});
