/**
 * CI waits for the verdict (docs/gitops.md): `sluice status --wait` exits 0 when the revision the
 * target has when it starts is promoted — run the moment after the deploy, before the controller
 * noticed —, 1 when it is rolled back, 2 when the Rollout is Invalid, 3 on timeout. And commands
 * tell what happened: `sluice promote` inside a freeze is refused, says when the window opens and
 * exits 1; `sluice abort` says it was done.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rollout } from '../../src/api/schema/rollout.js';
import { eventually, root } from '../sandbox/helpers.js';
import { installPodinfo, startControllerSandbox, type ControllerSandbox } from '../controller/harness.js';

const exec = promisify(execFile);
let h: ControllerSandbox;

/** Runs the CLI; its exit code and output (a non-zero exit is not an error here). */
async function sluice(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await exec(
      process.execPath,
      [join(root, 'bin/sluice.js'), ...args, '-n', 'demo', '--kubeconfig', h.sb.kubeconfig],
      { timeout: 120_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const rollouts = (): any => h.sb.server.api.registry.resource('sluice.dev', 'rollouts');
const deployments = (): any => h.sb.server.api.registry.resource('apps', 'deployments');
const rollout = (): Rollout => h.sb.server.api.store.get(rollouts().storageKey, 'demo', 'podinfo') as Rollout;

function release(image: string): void {
  h.sb.server.api.patch({ type: deployments(), namespace: 'demo', name: 'podinfo' }, 'strategic', {
    spec: { template: { spec: { containers: [{ name: 'podinfo', image }] } } },
  });
}

beforeAll(async () => {
  h = await startControllerSandbox((sb) =>
    installPodinfo(sb.server.api, [{ setWeight: 20 }, { pause: { duration: '2s' } }, { setWeight: 50 }, { pause: {} }]),
  );
  await eventually('Healthy', () => rollout().status?.phase === 'Healthy', 20_000);
}, 60_000);
afterAll(async () => h.stop());

describe('sluice status --wait', () => {
  it('exits 0 once the revision deployed just before it is promoted', async () => {
    release('ghcr.io/stefanprodan/podinfo:6.7.1');
    const waiting = sluice('status', 'podinfo', '--wait', '--timeout', '90s');
    await eventually('at the gate', () => rollout().status?.reason === 'WaitingForPromotion', 30_000);
    const promote = await sluice('promote', 'podinfo');
    expect(promote.code, promote.stderr).toBe(0);
    expect(promote.stdout).toMatch(/promote done: the pause gate at step 4\/4 was released/);
    const done = await waiting;
    expect(done.code, done.stdout + done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^waiting for the verdict on revision \w+ of podinfo/);
    expect(done.stdout).toMatch(/is promoted\.\n$/);
  }, 120_000);

  it('exits 1 when it is rolled back (aborted), printing the outcome as JSON with -o json', async () => {
    release('ghcr.io/stefanprodan/podinfo:6.7.2');
    const waiting = sluice('status', 'podinfo', '--wait', '--timeout', '90s', '-o', 'json');
    await eventually('at the gate', () => rollout().status?.reason === 'WaitingForPromotion', 30_000);
    const abort = await sluice('abort', 'podinfo');
    expect(abort.stdout).toMatch(/abort done: the canary was rolled back/);
    const done = await waiting;
    expect(done.code).toBe(1);
    expect(JSON.parse(done.stdout)).toMatchObject({ outcome: 'rolledBack', exitCode: 1, phase: 'RolledBack' });
  }, 120_000);

  it('exits 3 on timeout', async () => {
    const done = await sluice('status', 'podinfo', '--wait', '--revision', 'never', '--timeout', '1s');
    expect(done.code).toBe(3);
    expect(done.stdout).toMatch(/no verdict yet \(timed out\)/);
  });

  it('a promote inside a freeze is refused, saying when the window opens (exit 1)', async () => {
    release('ghcr.io/stefanprodan/podinfo:6.7.3');
    await eventually(
      'running',
      () => rollout().status?.canaryRevision !== rollout().status?.rolledBackRevision,
      30_000,
    );
    const now = Date.now();
    h.sb.server.api.patch({ type: rollouts(), namespace: 'demo', name: 'podinfo' }, 'merge', {
      spec: {
        schedule: {
          deny: [
            {
              name: 'test-freeze',
              start: new Date(now - 3_600_000).toISOString(),
              end: new Date(now + 3_600_000).toISOString(),
            },
          ],
        },
      },
    });
    const refused = await sluice('promote', 'podinfo');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /promote refused: the promotion window is closed \(.*test-freeze.*\); it opens .*--force/,
    );
    // rollback is never blocked
    expect((await sluice('abort', 'podinfo')).code).toBe(0);
  }, 60_000);

  it('exits 2 when the Rollout is Invalid (once the controller has seen the spec)', async () => {
    h.sb.server.api.patch({ type: rollouts(), namespace: 'demo', name: 'podinfo' }, 'merge', {
      spec: { strategy: { canary: { steps: [{ pause: { duration: '0s' } }] } } },
    });
    const done = await sluice('status', 'podinfo', '--wait', '--revision', 'any', '--timeout', '30s');
    expect(done.code, done.stdout).toBe(2);
    expect(done.stdout).toMatch(/is Invalid/);
  }, 60_000);
});
