/**
 * Argo CD sees a Rollout's health and can act on it (deploy/argocd/, docs/gitops.md): the Lua
 * health check and actions run under a real Lua 5.1 interpreter, in Argo CD's environment, on
 * Rollouts recorded from a real run in every phase (Initializing, Healthy, Progressing, Paused,
 * Promoting, RolledBack, Invalid); the promote action's result, applied as Argo CD applies it (a
 * merge patch of the status subresource), releases the pause gate. The generated files are current.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMAND_ACTION_NAMES } from '../../src/api/phases.js';
import type { Rollout } from '../../src/api/schema/rollout.js';
import { renderAction, renderArgocdConfigMap } from '../../src/gitops/argocd.js';
import { root, eventually } from '../sandbox/helpers.js';
import { ensureLua, runLua } from '../support/lua.js';
import { installPodinfo, startControllerSandbox, type ControllerSandbox } from '../controller/harness.js';

const dir = join(root, 'deploy', 'argocd');
const file = (f: string): string => readFileSync(join(dir, f), 'utf8');
const missing = ensureLua();

let h: ControllerSandbox;
let unsubscribe: () => void = () => undefined;
/** The first Rollout object stored in each phase. */
const seen = new Map<string, Rollout>();
const rollouts = (): any => h.sb.server.api.registry.resource('sluice.dev', 'rollouts');
const rollout = (): Rollout => h.sb.server.api.store.get(rollouts().storageKey, 'demo', 'podinfo') as Rollout;
const deployments = (): any => h.sb.server.api.registry.resource('apps', 'deployments');

function release(image: string): void {
  h.sb.server.api.patch({ type: deployments(), namespace: 'demo', name: 'podinfo' }, 'strategic', {
    spec: { template: { spec: { containers: [{ name: 'podinfo', image }] } } },
  });
}

/** What Argo CD does with an action's result: a JSON merge patch of the status subresource. */
function applyAction(result: any): void {
  h.sb.server.api.patch({ type: rollouts(), namespace: 'demo', name: 'podinfo', subresource: 'status' }, 'merge', {
    status: { commands: result.status.commands },
  });
}

const action = (name: string): string => join(dir, 'actions', name, 'action.lua');

describe('Argo CD files', () => {
  it('are generated from their sources (npm run gen:crds)', () => {
    for (const a of COMMAND_ACTION_NAMES) expect(file(`actions/${a}/action.lua`)).toBe(renderAction(a));
    expect(file('argocd-cm.yaml')).toBe(renderArgocdConfigMap(file('health.lua'), file('actions/discovery.lua')));
  });
});

describe.skipIf(missing !== undefined)(`Argo CD health and actions under lua5.1 ${missing ?? ''}`, () => {
  beforeAll(async () => {
    h = await startControllerSandbox((sb) => {
      installPodinfo(sb.server.api, [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, { pause: {} }]);
      // (before the controller starts: its first status, Initializing, is seen too)
      const type = sb.server.api.registry.resource('sluice.dev', 'rollouts');
      unsubscribe = sb.server.api.store.subscribe(type.storageKey, (e) => {
        const r = e.object as Rollout;
        const phase = r.status?.phase;
        if (phase !== undefined && !seen.has(phase)) seen.set(phase, structuredClone(r));
      });
    });
  }, 60_000);
  afterAll(async () => {
    unsubscribe();
    await h.stop();
  });

  it('a run through every phase; health and the promote action on each as Argo CD would', async () => {
    await eventually('Healthy', () => rollout().status?.phase === 'Healthy', 20_000);
    release('ghcr.io/stefanprodan/podinfo:6.7.1');
    await eventually('at the pause gate', () => rollout().status?.reason === 'WaitingForPromotion', 20_000);
    const paused = structuredClone(rollout());
    // Argo CD offers promote here, not retry; the promote action records the command...
    const offered = runLua(join(dir, 'actions', 'discovery.lua'), paused) as Record<string, { disabled: boolean }>;
    expect(offered['promote']?.disabled).toBe(false);
    expect(offered['retry']?.disabled).toBe(true);
    const promoted = runLua(action('promote'), paused) as any;
    const command = promoted.status.commands.at(-1);
    expect(command).toMatchObject({ action: 'promote', user: 'argocd', source: 'api' });
    // ...and applied as Argo CD applies it, the controller acts on it
    applyAction(promoted);
    await eventually(
      'the promote handled and accepted',
      () => rollout().status?.commands?.find((c) => c.id === command.id)?.accepted === true,
      10_000,
    );
    await eventually('at the next gate', () => rollout().status?.currentStepIndex === 3, 20_000);
    applyAction(runLua(action('promote'), rollout()));
    await eventually('promoted', () => rollout().status?.reason === 'Promoted', 30_000);
    // a rollback, and an Invalid spec
    release('ghcr.io/stefanprodan/podinfo:6.7.2');
    await eventually('running again', () => rollout().status?.reason === 'WaitingForPromotion', 20_000);
    applyAction(runLua(action('abort'), rollout()));
    await eventually('rolled back', () => rollout().status?.phase === 'RolledBack', 20_000);
    const discovery = runLua(join(dir, 'actions', 'discovery.lua'), rollout()) as Record<string, { disabled: boolean }>;
    expect(discovery['retry']?.disabled).toBe(false);
    h.sb.server.api.delete({ type: deployments(), namespace: 'demo', name: 'podinfo' });
    await eventually('Invalid', () => rollout().status?.phase === 'Invalid', 20_000);
    const expected: Record<string, string> = {
      Initializing: 'Progressing',
      Healthy: 'Healthy',
      Progressing: 'Progressing',
      Paused: 'Suspended',
      Promoting: 'Progressing',
      RolledBack: 'Degraded',
      Invalid: 'Degraded',
    };
    expect([...seen.keys()].sort()).toEqual(Object.keys(expected).sort());
    for (const [phase, r] of seen) {
      const health = runLua(join(dir, 'health.lua'), r) as { status: string; message: string };
      expect(health.status, `${phase}: ${health.message}`).toBe(expected[phase]);
      expect(health.message).toContain(r.status?.reason ?? '');
    }
    // a spec the controller has not observed yet
    const edited = { ...rollout(), metadata: { ...rollout().metadata, generation: 99 } };
    expect(runLua(join(dir, 'health.lua'), edited)).toMatchObject({ status: 'Progressing' });
  }, 150_000);
});
