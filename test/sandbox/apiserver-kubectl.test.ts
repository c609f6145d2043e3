/** The API emulator driven by the real kubectl, as a user would: apply, patch, scale, wait, watch. */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { eventually, root, spawnKubectl, startSandbox, type Sandbox } from './helpers.js';

let sb: Sandbox;
const tmp = mkdtempSync(join(tmpdir(), 'sluice-kubectl-'));
const rolloutYaml = readFileSync(join(root, 'examples/podinfo/rollout.yaml'), 'utf8');

function variant(name: string, mutate: (r: any) => void): string {
  const r = parse(rolloutYaml);
  mutate(r);
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, stringify(r));
  return file;
}

const json = async (...args: string[]): Promise<any> => JSON.parse(await sb.k(...args, '-o', 'json'));

beforeAll(async () => {
  sb = await startSandbox({ bookmarkIntervalMs: 500 });
  await sb.k('apply', '-f', 'crds/');
  await sb.k('apply', '-f', 'examples/podinfo/namespace.yaml');
});
afterAll(async () => sb.close());

describe('kubectl against the API emulator', () => {
  it('serves the CRDs: get crd, api-resources with short names, Established', async () => {
    expect(await sb.k('get', 'crd')).toMatch(/rollouts\.sluice\.dev/);
    const resources = await sb.k('api-resources', '--api-group=sluice.dev');
    expect(resources).toMatch(/rollouts\s+sro\s+sluice\.dev\/v1alpha1\s+true\s+Rollout/);
    expect(resources).toMatch(/analysistemplates\s+sat\s+sluice\.dev\/v1alpha1\s+true\s+AnalysisTemplate/);
    expect(await sb.k('wait', '--for=condition=Established', 'crd/rollouts.sluice.dev', '--timeout=5s')).toMatch(
      /condition met/,
    );
  });

  it('applies, then re-applies a changed Rollout (client-side three-way merge)', async () => {
    expect(
      await sb.k('apply', '-f', 'examples/podinfo/rollout.yaml', '-f', 'analysis-templates/', '-n', 'demo'),
    ).toMatch(/rollout.sluice.dev\/podinfo created/);
    const first = await json('get', 'sro', 'podinfo', '-n', 'demo');
    expect(first.metadata.generation).toBe(1);
    expect(first.spec.service.portName).toBe('http'); // CRD default applied
    const changed = variant('changed', (r) => (r.spec.strategy.canary.steps[0].setWeight = 20));
    expect(await sb.k('apply', '-f', changed)).toMatch(/configured/);
    const second = await json('get', 'sro', 'podinfo', '-n', 'demo');
    expect(second.spec.strategy.canary.steps[0]).toEqual({ setWeight: 20 });
    expect(second.metadata.generation).toBe(2);
    expect(await sb.k('apply', '-f', changed)).toMatch(/unchanged/);
  });

  it('applies server-side, with field ownership and conflicts', async () => {
    const file = variant('ssa', (r) => {
      r.metadata.name = 'ssa';
      r.spec.progressDeadlineSeconds = 300;
    });
    expect(await sb.k('apply', '--server-side', '-f', file)).toMatch(/serverside-applied/);
    const obj = await json('get', 'sro', 'ssa', '-n', 'demo', '--show-managed-fields');
    expect(obj.metadata.managedFields[0]).toMatchObject({ manager: 'kubectl', operation: 'Apply' });
    const other = variant('ssa-other', (r) => {
      r.metadata.name = 'ssa';
      r.spec.progressDeadlineSeconds = 900;
    });
    const conflict = await sb.kubectl('apply', '--server-side', '--field-manager=someone-else', '-f', other);
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/conflict/i);
    expect(
      await sb.k('apply', '--server-side', '--field-manager=someone-else', '--force-conflicts', '-f', other),
    ).toMatch(/serverside-applied/);
    expect((await json('get', 'sro', 'ssa', '-n', 'demo')).spec.progressDeadlineSeconds).toBe(900);
  });

  it('refuses a Rollout that violates the CRD schema, naming the field path', async () => {
    const bad = variant('bad', (r) => (r.spec.strategy.canary.steps[0].setWeight = 150));
    const r = await sb.kubectl('apply', '-f', bad);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(
      /spec\.strategy\.canary\.steps\[0\]\.setWeight: Invalid value: 150: .*less than or equal to 100/,
    );
    const unknown = variant('unknown', (r) => {
      r.metadata.name = 'typo';
      r.spec.stratgy = {};
    });
    const u = await sb.kubectl('apply', '-f', unknown);
    expect(u.code).not.toBe(0);
    expect(u.stderr).toMatch(/unknown field "spec.stratgy"/);
  });

  it('gets as JSON and as a table with the printer columns', async () => {
    const list = await json('get', 'rollouts.sluice.dev', '-n', 'demo');
    expect(list.items.map((i: any) => i.metadata.name)).toEqual(['podinfo', 'ssa']);
    expect(await sb.k('get', 'sro', '-n', 'demo')).toMatch(/^NAME\s+PHASE\s+WEIGHT\s+STEP\s+AGE\n/);
  });

  it('patches with --type merge, json and strategic', async () => {
    await sb.k(
      'patch',
      'sro',
      'podinfo',
      '-n',
      'demo',
      '--type',
      'merge',
      '-p',
      '{"spec":{"progressDeadlineSeconds":120}}',
    );
    await sb.k(
      'patch',
      'sro',
      'podinfo',
      '-n',
      'demo',
      '--type',
      'json',
      '-p',
      '[{"op":"replace","path":"/spec/strategy/canary/steps/0/setWeight","value":5}]',
    );
    const r = await json('get', 'sro', 'podinfo', '-n', 'demo');
    expect(r.spec.progressDeadlineSeconds).toBe(120);
    expect(r.spec.strategy.canary.steps[0].setWeight).toBe(5);
    await sb.k('apply', '-f', 'examples/podinfo/deployment.yaml', '-f', 'examples/podinfo/service.yaml');
    await sb.k(
      'patch',
      'deployment',
      'podinfo',
      '-n',
      'demo',
      '--type',
      'strategic',
      '-p',
      '{"spec":{"template":{"spec":{"containers":[{"name":"podinfo","image":"ghcr.io/stefanprodan/podinfo:6.7.1"}]}}}}',
    );
    const d = await json('get', 'deployment', 'podinfo', '-n', 'demo');
    expect(d.spec.template.spec.containers).toHaveLength(1);
    expect(d.spec.template.spec.containers[0].image).toBe('ghcr.io/stefanprodan/podinfo:6.7.1');
    expect(d.spec.template.spec.containers[0].ports[0].containerPort).toBe(9898); // merged by name, not replaced
    expect(d.metadata.generation).toBe(2);
    const cr = await sb.kubectl('patch', 'sro', 'podinfo', '-n', 'demo', '--type', 'strategic', '-p', '{"spec":{}}');
    expect(cr.stderr).toMatch(/UnsupportedMediaType|unknown format|strategic/i);
  });

  it('scales a deployment through the scale subresource', async () => {
    expect(await sb.k('scale', 'deployment', 'podinfo', '-n', 'demo', '--replicas=3')).toMatch(/scaled/);
    const d = await json('get', 'deployment', 'podinfo', '-n', 'demo');
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata.generation).toBe(3);
  });

  it('serves autoscaling/v2 HorizontalPodAutoscalers, with their defaults and validation', async () => {
    const hpa = (name: string, spec: object): string => {
      const file = join(tmp, `${name}.yaml`);
      const obj = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name }, spec };
      writeFileSync(file, stringify(obj));
      return file;
    };
    const target = { apiVersion: 'apps/v1', kind: 'Deployment', name: 'podinfo' };
    await sb.k('apply', '-n', 'demo', '-f', hpa('podinfo', { scaleTargetRef: target, maxReplicas: 8 }));
    const got = await json('get', 'hpa', 'podinfo', '-n', 'demo');
    // the API server's defaults: minReplicas 1, 80% CPU when no metric is given
    expect(got.spec).toMatchObject({
      minReplicas: 1,
      maxReplicas: 8,
      metrics: [
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
      ],
    });
    expect(await sb.k('api-resources', '--api-group', 'autoscaling')).toMatch(
      /horizontalpodautoscalers\s+hpa\s+autoscaling\/v2/,
    );
    const bad = await sb.kubectl(
      'apply',
      '-n',
      'demo',
      '-f',
      hpa('bad', { scaleTargetRef: target, minReplicas: 5, maxReplicas: 2 }),
    );
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/spec\.minReplicas: Invalid value: 5: must be less than or equal to maxReplicas/);
  });

  it('labels and selects by label', async () => {
    await sb.k('label', 'sro', 'podinfo', '-n', 'demo', 'team=payments');
    expect(await sb.k('get', 'sro', '-n', 'demo', '-l', 'team=payments', '-o', 'name')).toBe(
      'rollout.sluice.dev/podinfo\n',
    );
    expect(await sb.k('get', 'sro', '-n', 'demo', '-l', 'team in (search,ads)', '-o', 'name')).toBe('');
    expect(await sb.k('get', 'sro', '-n', 'demo', '-l', '!team', '-o', 'name')).toBe('rollout.sluice.dev/ssa\n');
    expect(await sb.k('get', 'sro', '-n', 'demo', '--field-selector', 'metadata.name=ssa', '-o', 'name')).toBe(
      'rollout.sluice.dev/ssa\n',
    );
  });

  it('watches: kubectl get -w receives updates', async () => {
    const w = spawnKubectl(sb.kubeconfig, [
      'get',
      'sro',
      'podinfo',
      '-n',
      'demo',
      '-w',
      '-o',
      'jsonpath={.spec.progressDeadlineSeconds}{"\\n"}',
    ]);
    try {
      await eventually('the initial state', () => w.output().includes('120'));
      await sb.k(
        'patch',
        'sro',
        'podinfo',
        '-n',
        'demo',
        '--type',
        'merge',
        '-p',
        '{"spec":{"progressDeadlineSeconds":121}}',
      );
      await sb.k(
        'patch',
        'sro',
        'podinfo',
        '-n',
        'demo',
        '--type',
        'merge',
        '-p',
        '{"spec":{"progressDeadlineSeconds":122}}',
      );
      await eventually('both updates', () => w.output().includes('121\n122'));
    } finally {
      w.proc.kill();
    }
  });

  it('holds a delete while a finalizer is present', async () => {
    await sb.k(
      'patch',
      'sro',
      'ssa',
      '-n',
      'demo',
      '--type',
      'merge',
      '-p',
      '{"metadata":{"finalizers":["sluice.dev/cleanup"]}}',
    );
    await sb.k('delete', 'sro', 'ssa', '-n', 'demo', '--wait=false');
    const held = await json('get', 'sro', 'ssa', '-n', 'demo');
    expect(held.metadata.deletionTimestamp).toBeDefined();
    const waiter = sb.kubectl('wait', '--for=delete', 'sro/ssa', '-n', 'demo', '--timeout=10s');
    await sb.k(
      'patch',
      'sro',
      'ssa',
      '-n',
      'demo',
      '--type',
      'json',
      '-p',
      '[{"op":"remove","path":"/metadata/finalizers"}]',
    );
    expect((await waiter).code).toBe(0);
    expect((await sb.kubectl('get', 'sro', 'ssa', '-n', 'demo')).stderr).toMatch(/NotFound|not found/);
  });

  it('waits for a condition set through the status subresource', async () => {
    const waiter = sb.kubectl('wait', '--for=condition=Available', 'deployment/podinfo', '-n', 'demo', '--timeout=10s');
    const condition = {
      type: 'Available',
      status: 'True',
      reason: 'MinimumReplicasAvailable',
      message: 'ok',
      lastUpdateTime: '2026-11-26T09:00:00Z',
      lastTransitionTime: '2026-11-26T09:00:00Z',
    };
    await sb.k(
      'patch',
      'deployment',
      'podinfo',
      '-n',
      'demo',
      '--subresource=status',
      '--type',
      'merge',
      '-p',
      JSON.stringify({ status: { conditions: [condition] } }),
    );
    const r = await waiter;
    expect(r.stdout).toMatch(/condition met/);
  });

  it('records every request in the audit log', () => {
    const entries = sb.server.audit.since(0);
    expect(entries.some((e) => e.verb === 'patch' && e.resource === 'deployments' && e.subresource === 'scale')).toBe(
      true,
    );
    expect(entries.every((e) => typeof e.code === 'number' && e.userAgent?.startsWith('kubectl'))).toBe(true);
  });
});
