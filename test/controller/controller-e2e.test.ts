/** The controller end to end against the sandbox: initialize, run, promote, abort, retry, deadline. */
import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/sandbox/processes/child.js';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { example, startControllerSandbox, type ControllerSandbox } from './harness.js';
import { eventually, root } from '../sandbox/helpers.js';

const exec = promisify(execFile);
let sb: Sandbox;
let harness: ControllerSandbox;

const kubectl = async (...args: string[]): Promise<string> =>
  (await exec('kubectl', args, { env: { ...process.env, KUBECONFIG: sb.kubeconfig }, timeout: 30_000 })).stdout;
const sluice = async (...args: string[]): Promise<string> =>
  (
    await exec(process.execPath, [join(root, 'bin/sluice.js'), ...args, '--kubeconfig', sb.kubeconfig], {
      timeout: 30_000,
    })
  ).stdout;
const get = (resource: string, name: string): any => {
  const [plural, group = ''] = resource.split(/\.(.*)/s);
  const type = sb.server.api.registry.resource(group, plural ?? resource);
  return sb.server.api.store.get(type.storageKey, 'demo', name);
};
const rollout = (): any => get('rollouts.sluice.dev', 'podinfo');
const weights = (): number[] =>
  (get('virtualservices.networking.istio.io', 'podinfo')?.spec.http[0].route ?? []).map((d: any) => d.weight);
const phase = (): string => `${rollout()?.status?.phase}/${rollout()?.status?.reason}`;

beforeAll(async () => {
  harness = await startControllerSandbox(async (s) => {
    sb = s;
    await kubectl(
      'apply',
      '-f',
      'examples/podinfo/namespace.yaml',
      '-f',
      'examples/podinfo/deployment.yaml',
      '-f',
      'examples/podinfo/service.yaml',
    );
    const r = example('rollout.yaml');
    r.spec.strategy.canary.steps = [{ setWeight: 20 }, { pause: { duration: '1s' } }, { setWeight: 50 }, { pause: {} }];
    delete r.spec.strategy.canary.analysis;
    s.server.api.create(s.server.api.registry.find('sluice.dev', 'v1alpha1', 'rollouts')!, 'demo', r);
  });
}, 60_000);
afterAll(async () => harness.stop());

describe('the controller', () => {
  it('initializes: primary created, VirtualService 100/0, target at 0 replicas', async () => {
    await eventually('Healthy', () => phase() === 'Healthy/Initialized', 20_000);
    expect(weights()).toEqual([100, 0]);
    // the target keeps its replicas until the proxies have the new routes (scaleDownDelay)
    // (and its pods gone: status.replicas records the canary's ready pods, a status write when they go)
    await eventually(
      'target at 0, and the status written after it',
      () =>
        get('deployments.apps', 'podinfo').spec.replicas === 0 &&
        rollout().status.scaleDownAt === undefined &&
        rollout().status.replicas?.canary?.ready === 0,
      10_000,
    );
    const primary = get('deployments.apps', 'podinfo-primary');
    expect(primary.spec.template.spec.containers[0].image).toBe('ghcr.io/stefanprodan/podinfo:6.7.0');
    expect(primary.metadata.annotations['sluice.dev/revision']).toBe(rollout().status.stableRevision);
    expect(get('services', 'podinfo-primary').spec.selector).toEqual({ app: 'podinfo-primary' });
  });

  it('makes no API request at all in a steady Healthy state', async () => {
    const before = sb.server.audit.last;
    await new Promise((r) => setTimeout(r, 3000));
    const requests = sb.server.audit.since(before).filter((e) => e.verb !== 'watch');
    expect(requests).toEqual([]);
  });

  it('runs a new revision through its weights to the promotion gate, and promotes on `sluice promote`', async () => {
    const start = sb.server.audit.last;
    await kubectl('set', 'image', 'deployment/podinfo', '-n', 'demo', 'podinfo=ghcr.io/stefanprodan/podinfo:6.7.1');
    const seen = new Set<string>();
    await eventually(
      'the gate',
      () => {
        seen.add(weights().join('/'));
        return phase() === 'Paused/WaitingForPromotion';
      },
      20_000,
    );
    expect(seen).toContain('80/20');
    expect(weights()).toEqual([50, 50]);
    // At most 2 writes per step transition: one change to the world, then the status (Events aside).
    const writes = sb.server.audit
      .since(start)
      .filter(
        (e) =>
          !['get', 'list', 'watch'].includes(e.verb) &&
          e.resource !== 'events' &&
          !(e.userAgent ?? '').startsWith('kubectl'),
      );
    let sinceStatus = 0;
    for (const w of writes) {
      if (w.resource === 'rollouts' && w.subresource === 'status') sinceStatus = 0;
      else expect(++sinceStatus, `${w.verb} ${w.resource} without a status write in between`).toBeLessThanOrEqual(1);
    }
    expect(writes.filter((w) => w.resource === 'virtualservices')).toHaveLength(2);
    expect(await sluice('promote', 'podinfo', '-n', 'demo')).toMatch(
      /promote done: the pause gate at step \d\/\d was released/,
    );
    await eventually('Healthy after promotion', () => phase() === 'Healthy/Promoted', 20_000);
    expect(weights()).toEqual([100, 0]);
    expect(get('deployments.apps', 'podinfo-primary').spec.template.spec.containers[0].image).toBe(
      'ghcr.io/stefanprodan/podinfo:6.7.1',
    );
    await eventually('canary at 0', () => get('deployments.apps', 'podinfo').spec.replicas === 0, 10_000);
    expect(rollout().status.commands[0]).toMatchObject({
      action: 'promote',
      source: 'cli',
      handledAt: expect.any(String),
    });
  });

  it('rolls back on `sluice abort` (traffic first), and re-runs the same revision on `sluice retry`', async () => {
    await kubectl('set', 'image', 'deployment/podinfo', '-n', 'demo', 'podinfo=ghcr.io/stefanprodan/podinfo:6.7.2');
    await eventually('the gate', () => phase() === 'Paused/WaitingForPromotion', 20_000);
    const before = sb.server.audit.last;
    await sluice('abort', 'podinfo', '-n', 'demo', '--reason', 'looks wrong');
    await eventually('no canary traffic', () => weights()[1] === 0, 5000);
    // From the abort recorded on status (the CLI's write) to the VirtualService patch: within 1 s.
    const entries = sb.server.audit.since(before);
    const recorded = entries.find(
      (e) => e.resource === 'rollouts' && e.subresource === 'status' && (e.userAgent ?? '').includes('sluice-cli'),
    );
    const routed = entries.find((e) => e.resource === 'virtualservices' && e.verb === 'patch' && e.code < 300);
    expect(
      recorded,
      JSON.stringify(entries.map((e) => [e.verb, e.resource, e.subresource, e.userAgent])),
    ).toBeDefined();
    expect(Date.parse(routed!.time) - Date.parse(recorded!.time)).toBeLessThan(1000);
    await eventually('RolledBack', () => phase() === 'RolledBack/Aborted', 10_000);
    await eventually('canary scaled to 0', () => get('deployments.apps', 'podinfo').spec.replicas === 0, 10_000);
    expect(get('deployments.apps', 'podinfo-primary').spec.template.spec.containers[0].image).toBe(
      'ghcr.io/stefanprodan/podinfo:6.7.1',
    );
    await sluice('retry', 'podinfo', '-n', 'demo');
    await eventually(
      'a new run of the same revision',
      () =>
        rollout().status.phase !== 'RolledBack' &&
        rollout().status.canaryRevision === rollout().status.rolledBackRevision,
      10_000,
    );
    await eventually('the gate again', () => phase() === 'Paused/WaitingForPromotion', 20_000);
    await sluice('promote', 'podinfo', '-n', 'demo');
    await eventually('Healthy', () => phase() === 'Healthy/Promoted', 20_000);
    // What the planner removed is removed from the stored status too (merge patch with nulls).
    expect(rollout().status).not.toHaveProperty('rolledBackRevision');
  });

  it('rolls back a canary that never becomes ready at the progress deadline', async () => {
    await kubectl(
      'patch',
      'rollouts.sluice.dev',
      'podinfo',
      '-n',
      'demo',
      '--type',
      'merge',
      '-p',
      '{"spec":{"progressDeadlineSeconds":2}}',
    );
    await kubectl('set', 'env', 'deployment/podinfo', '-n', 'demo', 'SANDBOX_NOT_READY=true');
    await eventually('RolledBack for the deadline', () => phase() === 'RolledBack/ProgressDeadlineExceeded', 20_000);
    expect(weights()).toEqual([100, 0]);
  });

  it('shows rollouts with `sluice get`', async () => {
    const table = await sluice('get', '-n', 'demo');
    expect(table).toMatch(/^NAME\s+PHASE\s+STEP\s+WEIGHT\s+PRIMARY\s+CANARY\s+MESSAGE\n/);
    expect(table).toMatch(/podinfo\s+RolledBack\s+-\s+\[----------\] 0%\s+\d+\/\d+\s+\d+\/\d+\s+Rolled back revision/);
    const one = JSON.parse(await sluice('get', 'podinfo', '-n', 'demo', '-o', 'json'));
    expect(one.status.phase).toBe('RolledBack');
  });

  it('hands traffic back to the target when the Rollout is deleted, then lets everything it made go', async () => {
    await kubectl('set', 'env', 'deployment/podinfo', '-n', 'demo', 'SANDBOX_NOT_READY-');
    expect(rollout().metadata.finalizers).toContain('sluice.dev/finalizer');
    await kubectl('delete', 'rollouts.sluice.dev', 'podinfo', '-n', 'demo', '--wait=true', '--timeout=30s');
    expect(rollout()).toBeUndefined();
    const target = get('deployments.apps', 'podinfo');
    expect(target.spec.replicas).toBe(1);
    await eventually(
      'the generated objects to be collected',
      () =>
        get('deployments.apps', 'podinfo-primary') === undefined &&
        get('virtualservices.networking.istio.io', 'podinfo') === undefined &&
        get('services', 'podinfo-primary') === undefined,
      10_000,
    );
    await eventually(
      'the target to serve',
      () => get('deployments.apps', 'podinfo').status?.readyReplicas === 1,
      10_000,
    );
    // no request failed through the hand-over (the harness checks UH/NR at the end), and nothing
    // routes to a host that went: the mesh's load generator calls podinfo through its Service now
    await eventually('the proxies to have the last routes', () => sb.meshSimulator.proxies.pending === 0, 10_000);
    expect(sb.meshSimulator.send({ host: 'podinfo', namespace: 'demo' })).toMatchObject({
      code: 200,
      workload: 'podinfo',
    });
    expect((await harness.failedRequests.since()).details).toEqual([]);
  });

  it('`sluice controller` serves /healthz, and /readyz once its caches are synced', async () => {
    const port = await freePort();
    const proc = spawn(
      process.execPath,
      [join(root, 'bin/sluice.js'), 'controller', '--kubeconfig', sb.kubeconfig, '--listen', `127.0.0.1:${port}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      await eventually(
        '/readyz',
        async () => {
          if (proc.exitCode !== null) throw new Error(`sluice controller exited ${proc.exitCode}: ${stderr}`);
          return (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined))?.status === 200;
        },
        60_000,
      );
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    } finally {
      proc.kill('SIGTERM');
    }
    const bad = await exec(process.execPath, [
      join(root, 'bin/sluice.js'),
      'controller',
      '--kubeconfig',
      '/nonexistent/kubeconfig',
    ]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(bad).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/kubeconfig \/nonexistent\/kubeconfig does not exist/),
    });
    const app = await exec(process.execPath, [
      join(root, 'bin/sluice.js'),
      'controller',
      '--kubeconfig',
      sb.kubeconfig,
      '--github-app-id',
      '1',
    ]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(app).toMatchObject({
      code: 1,
      stderr: expect.stringContaining(
        'a GitHub App needs all of --github-app-id, --github-app-private-key and --github-app-installation-id',
      ),
    });
    const windows = join(sb.dir, 'windows.yaml');
    writeFileSync(
      windows,
      'timeZone: Europe/Berlin\nallow:\n  - cron: "0 9 * *"\n    duration: 8h\ndeny:\n  - cron: "0 16 * * 5"\n    duration: 64h\n    timeZone: Mars/Olympus\n',
    );
    const badWindows = await exec(process.execPath, [
      join(root, 'bin/sluice.js'),
      'controller',
      '--kubeconfig',
      sb.kubeconfig,
      '--schedule-defaults',
      windows,
    ]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(badWindows).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(
        /--schedule-defaults .*windows\.yaml: allow\[0\]\.cron: is not a valid cron expression.*deny\[0\]\.timeZone: unknown time zone "Mars\/Olympus"/,
      ),
    });
    const api = await exec(process.execPath, [
      join(root, 'bin/sluice.js'),
      'controller',
      '--kubeconfig',
      sb.kubeconfig,
      '--github-token',
      't',
      '--github-api-url',
      'github.example.com',
    ]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(api).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('--github-api-url github.example.com: expected an http(s) URL'),
    });
  }, 120_000);

  it('refuses a command on a missing rollout with a clear message', async () => {
    const r = await exec(process.execPath, [
      join(root, 'bin/sluice.js'),
      'abort',
      'nope',
      '-n',
      'demo',
      '--kubeconfig',
      sb.kubeconfig,
    ]).catch((e: unknown) => e as { code: number; stderr: string });
    expect(r).toMatchObject({ code: 1, stderr: expect.stringMatching(/rollout nope not found/) });
  });
});
