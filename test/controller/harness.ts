/** A sandbox (no Prometheus, no Redis) with Sluice's CRDs and a controller running in-process. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse } from 'yaml';
import { Controller, type ControllerOptions } from '../../src/controller/controller.js';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { root } from '../sandbox/helpers.js';

export interface ControllerSandbox {
  sb: Sandbox;
  controller: Controller;
  stop(): Promise<void>;
}

/** An example manifest, parsed (and moved to `namespace` when given). */
export function example(file: string, namespace?: string): any {
  const obj = parse(readFileSync(join(root, 'examples/podinfo', file), 'utf8'));
  if (namespace !== undefined) obj.metadata.namespace = namespace;
  return obj;
}

/** Starts the sandbox, applies the CRDs, lets `setup` create objects, then starts the controller. */
export async function startControllerSandbox(setup: (sb: Sandbox) => void | Promise<void>, options: { sandbox?: SandboxOptions; controller?: (sb: Sandbox) => Partial<ControllerOptions> } = {}): Promise<ControllerSandbox> {
  const sb = await startSandbox({ prometheus: false, redisUrl: false, readyDelayMs: 100, ...options.sandbox });
  const api = sb.server.api;
  const crds = api.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  for (const f of ['rollouts.sluice.dev.yaml', 'analysistemplates.sluice.dev.yaml']) api.create(crds, undefined, parse(readFileSync(join(root, 'crds', f), 'utf8')));
  await setup(sb);
  const controller = new Controller({ kube: kubeClients(loadKubeConfig(sb.kubeconfig, 'sluice-controller/test')), log: process.env['SLUICE_TEST_LOG'] === undefined ? pino({ level: 'silent' }) : pino({ level: 'debug' }, pino.destination(process.env['SLUICE_TEST_LOG'])), settleMs: 2000, ...options.controller?.(sb) });
  await controller.start();
  return {
    sb,
    controller,
    stop: async () => {
      await controller.stop();
      await sb.stop();
    },
  };
}
