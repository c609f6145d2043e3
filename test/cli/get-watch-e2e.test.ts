/** `sluice get --watch` follows a rollout through a run: a plain line per change when not on a terminal. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { eventually, root } from '../sandbox/helpers.js';
import { installPodinfo, startControllerSandbox, type ControllerSandbox } from '../controller/harness.js';

let sb: Sandbox;
let harness: ControllerSandbox;
const type = (group: string, resource: string): any => sb.server.api.registry.resource(group, resource);

beforeAll(async () => {
  harness = await startControllerSandbox((s) => {
    sb = s;
    installPodinfo(s.server.api, [{ setWeight: 30 }, { pause: { duration: '1s' } }]);
  });
}, 60_000);
afterAll(() => harness.stop());

describe('sluice get --watch', () => {
  it('prints a line whenever the rollout changes, and stops cleanly on Ctrl-C', async () => {
    const proc = spawn(
      process.execPath,
      [join(root, 'bin/sluice.js'), 'get', '--watch', '-n', 'demo', '--kubeconfig', sb.kubeconfig],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    try {
      await eventually(
        'the initialized rollout',
        () => /demo\/podinfo Healthy weight 0% \| Initialized: /.test(out),
        30_000,
      );
      sb.server.api.patch({ type: type('apps', 'deployments'), namespace: 'demo', name: 'podinfo' }, 'strategic', {
        spec: {
          template: { spec: { containers: [{ name: 'podinfo', image: 'ghcr.io/stefanprodan/podinfo:6.7.1' }] } },
        },
      });
      await eventually(
        'the run, step by step',
        () => /Progressing step 1\/2 weight 30% \| WeightSet/.test(out) && /Healthy weight 0% \| Promoted: /.test(out),
        30_000,
      );
    } finally {
      proc.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(out).not.toContain('\x1b');
    expect(
      out
        .trim()
        .split('\n')
        .every((l) => /^\d\d:\d\d:\d\d demo\/podinfo /.test(l)),
    ).toBe(true);
  }, 90_000);
});
