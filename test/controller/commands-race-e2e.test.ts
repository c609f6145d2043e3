/**
 * No command is ever lost: manual commands recorded on status at random moments of fast runs —
 * while the controller is between its view of the Rollout and its status write — each take effect
 * (are handled), none is overwritten by the controller's status patch. The API answers slowly
 * (latency injected), so a pass is a wide window, as it is while Prometheus answers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Rollout } from '../../src/api/schema/rollout.js';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { recordCommand } from '../../src/kube/rollout-writes.js';
import type { CommandAction } from '../../src/api/phases.js';
import { eventually } from '../sandbox/helpers.js';
import { installPodinfo, startControllerSandbox, type ControllerSandbox } from './harness.js';

let h: ControllerSandbox;
const ROUNDS = Number(process.env['SLUICE_COMMAND_ROUNDS'] ?? 100);

beforeAll(async () => {
  h = await startControllerSandbox((sb) =>
    installPodinfo(sb.server.api, [
      { setWeight: 10 },
      { pause: { duration: '100ms' } },
      { setWeight: 30 },
      { pause: { duration: '100ms' } },
      { setWeight: 50 },
      { pause: {} },
    ]),
  );
}, 60_000);
afterAll(async () => h.stop());

const rollouts = (): any => h.sb.server.api.registry.resource('sluice.dev', 'rollouts');
const rollout = (): Rollout => h.sb.server.api.store.get(rollouts().storageKey, 'demo', 'podinfo') as Rollout;
const deployments = (): any => h.sb.server.api.registry.resource('apps', 'deployments');

/** A new revision of the target (a new env value), as Git would ship it. */
function release(n: number): void {
  const d = structuredClone(h.sb.server.api.store.get(deployments().storageKey, 'demo', 'podinfo')) as any;
  d.spec.template.spec.containers[0].env = [{ name: 'RELEASE', value: String(n) }];
  h.sb.server.api.update({ type: deployments(), namespace: 'demo', name: 'podinfo', subresource: undefined }, d);
}

describe('manual commands during fast runs', () => {
  it(`every one of ${ROUNDS} commands, given at random moments, is handled`, async () => {
    await eventually('Healthy', () => rollout().status?.phase === 'Healthy', 20_000);
    const kube = kubeClients(loadKubeConfig(h.sb.kubeconfig, 'sluice-cli/test'));
    h.sb.server.faults.set({ latencyMs: 15 });
    const actions: CommandAction[] = ['pause', 'resume', 'promote', 'abort', 'retry'];
    let releases = 0;
    let lost = 0;
    const outcomes = new Map<string, number>();
    try {
      for (let i = 0; i < ROUNDS; i++) {
        const phase = rollout().status?.phase;
        if (phase === 'Healthy' || (phase === 'RolledBack' && Math.random() < 0.5)) release(++releases);
        await new Promise((r) => setTimeout(r, Math.random() * 80));
        const id = `race-${i}`;
        const action = actions[Math.floor(Math.random() * actions.length)]!;
        await recordCommand(
          kube,
          { namespace: 'demo', name: 'podinfo' },
          { id, action, user: 'race', source: 'cli', at: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
        );
        const handled = await eventually(
          `command ${id} (${action}) handled`,
          () => rollout().status?.commands?.find((c) => c.id === id && c.handledAt !== undefined) !== undefined,
          5000,
        ).then(
          () => true,
          () => false,
        );
        if (!handled) lost++;
        else {
          const accepted = rollout().status?.commands?.find((c) => c.id === id)?.outcome ?? '';
          outcomes.set(action, (outcomes.get(action) ?? 0) + (accepted === '' ? 0 : 1));
        }
      }
    } finally {
      h.sb.server.faults.set({ latencyMs: 0 });
    }
    expect(lost, `commands never handled (erased from status.commands?) in ${ROUNDS}`).toBe(0);
    expect(releases).toBeGreaterThan(1);
  }, 600_000);
});
