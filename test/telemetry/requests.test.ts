import { describe, expect, it } from 'vitest';
import { isFailure, kubeOperation, observed, type RequestRecord } from '../../src/telemetry/requests.js';

describe('kubeOperation', () => {
  it.each([
    ['GET', 'https://k8s:6443/apis/sluice.dev/v1alpha1/rollouts', 'list rollouts'],
    ['GET', '/apis/sluice.dev/v1alpha1/rollouts?watch=true&resourceVersion=5', 'watch rollouts'],
    ['GET', '/apis/apps/v1/namespaces/demo/deployments/podinfo', 'get deployments'],
    ['PATCH', '/apis/sluice.dev/v1alpha1/namespaces/demo/rollouts/podinfo/status', 'patch rollouts/status'],
    ['PATCH', '/apis/apps/v1/namespaces/demo/deployments/podinfo/scale', 'patch deployments/scale'],
    ['POST', '/apis/events.k8s.io/v1/namespaces/demo/events', 'create events'],
    ['GET', '/api/v1/namespaces', 'list namespaces'],
    ['GET', '/api/v1/namespaces/demo', 'get namespaces'],
    ['DELETE', '/api/v1/namespaces/demo/services', 'deletecollection services'],
    ['PUT', '/api/v1/namespaces/demo/configmaps/settings', 'update configmaps'],
  ])('%s %s is %s', (method, url, op) => {
    expect(kubeOperation(method, url)).toBe(op);
  });
});

describe('observed', () => {
  it('tells the status of an answer and of a failure, and passes both through', async () => {
    const seen: RequestRecord[] = [];
    const codeOf = (r: { ok: number } | { error: unknown }): number | undefined =>
      'ok' in r ? r.ok : (r.error as { status?: number }).status;
    await expect(
      observed(
        (r) => seen.push(r),
        'github',
        'GET /x',
        () => Promise.resolve(201),
        codeOf,
      ),
    ).resolves.toBe(201);
    await expect(
      observed(
        (r) => seen.push(r),
        'github',
        'GET /x',
        () => Promise.reject(Object.assign(new Error('boom'), { status: 502 })),
        codeOf,
      ),
    ).rejects.toThrow('boom');
    await expect(
      observed(
        (r) => seen.push(r),
        'slack',
        'chat.update',
        () => Promise.reject(new Error('reset')),
        codeOf,
      ),
    ).rejects.toThrow('reset');
    expect(seen.map((r) => [r.upstream, r.operation, r.code, isFailure(r)])).toEqual([
      ['github', 'GET /x', '201', false],
      ['github', 'GET /x', '502', true],
      ['slack', 'chat.update', 'network', true],
    ]);
    expect(seen.every((r) => r.seconds >= 0)).toBe(true);
  });

  it('calls straight through without an observer', async () => {
    await expect(
      observed(
        undefined,
        'prometheus',
        'query',
        () => Promise.resolve('v'),
        () => 200,
      ),
    ).resolves.toBe('v');
  });
});
