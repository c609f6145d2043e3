/** A sandbox (no Prometheus, no Redis) with Sluice's CRDs and a controller running in-process. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { parse } from 'yaml';
import { Controller, type ControllerOptions } from '../../src/controller/controller.js';
import { parseDuration } from '../../src/api/duration.js';
import { kubeClients, loadKubeConfig } from '../../src/kube/client.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { root } from '../sandbox/helpers.js';
import { FailedRequests } from '../support/failed-requests.js';
import { ScaleDownGuard } from '../support/scale-down-guard.js';
import { CRD_FILES } from '../../src/api/crd.js';

export interface ControllerSandbox {
  sb: Sandbox;
  controller: Controller;
  /** Requests that failed on routing since each Rollout was Healthy: checked by `stop()`. */
  failedRequests: FailedRequests;
  /** Stops everything; fails when a request failed because of routing (unless `allowFailedRequests`). */
  stop(): Promise<void>;
}

/**
 * The scaleDownDelay of the tests' Rollouts: longer than the sandbox's 1 s propagation delay, as
 * the 30 s default is longer than Istio's push, and short enough for the tests.
 */
export const TEST_SCALE_DOWN_DELAY = '2s';

/** An example manifest, parsed (and moved to `namespace` when given); a Rollout gets TEST_SCALE_DOWN_DELAY. */
export function example(file: string, namespace?: string): any {
  const obj = parse(readFileSync(join(root, 'examples/podinfo', file), 'utf8'));
  if (namespace !== undefined) obj.metadata.namespace = namespace;
  if (obj.kind === 'Rollout') obj.spec.strategy.canary.scaleDownDelay ??= TEST_SCALE_DOWN_DELAY;
  return obj;
}

/** A controller on the sandbox (not started); SLUICE_TEST_LOG=FILE writes its log there. */
export function newController(sb: Sandbox, extra: Partial<ControllerOptions> = {}): Controller {
  const log =
    process.env['SLUICE_TEST_LOG'] === undefined
      ? pino({ level: 'silent' })
      : pino({ level: 'debug' }, pino.destination(process.env['SLUICE_TEST_LOG']));
  return new Controller({
    kube: kubeClients(loadKubeConfig(sb.kubeconfig, 'sluice-controller/test')),
    log,
    settleMs: 2000,
    scrapeIntervalMs: parseDuration(sb.scrapeInterval) ?? 1000,
    ...extra,
  });
}

/** Starts the sandbox, applies the CRDs, lets `setup` create objects, then starts the controller. */
export async function startControllerSandbox(
  setup: (sb: Sandbox) => void | Promise<void>,
  options: {
    sandbox?: SandboxOptions;
    controller?: (sb: Sandbox) => Partial<ControllerOptions>;
    /** The test breaks routing on purpose (deletes pods, Services...): do not check the invariant. */
    allowFailedRequests?: boolean;
  } = {},
): Promise<ControllerSandbox> {
  const sb = await startSandbox({ prometheus: false, redisUrl: false, readyDelayMs: 100, ...options.sandbox });
  const api = sb.server.api;
  const crds = api.registry.find('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!;
  for (const f of CRD_FILES) api.create(crds, undefined, parse(readFileSync(join(root, 'crds', f), 'utf8')));
  await setup(sb);
  const failedRequests = new FailedRequests(sb);
  const scaleDowns = new ScaleDownGuard(sb.server.api, sb.meshSimulator.proxies);
  const controller = newController(sb, options.controller?.(sb));
  await controller.start();
  return {
    sb,
    controller,
    failedRequests,
    stop: async () => {
      const failed = await failedRequests.since();
      failedRequests.stop();
      scaleDowns.stop();
      await controller.stop();
      await sb.stop();
      if (options.allowFailedRequests === true) return;
      if (failed.mesh + failed.outside > 0)
        throw new Error(
          `no request may fail because of Sluice, but ${failed.mesh} in the mesh and ${failed.outside} from outside it failed on routing: ${failed.details.join(', ')}`,
        );
      if (scaleDowns.violations.length > 0)
        throw new Error(`scaled down under the proxies' routes (503 UH): ${scaleDowns.violations.join('; ')}`);
    },
  };
}

/** The interval of the test templates. */
export const INTERVAL_S = 5;

/** A shipped template, measured every 5 s. */
export function testTemplate(file: string, patch: (t: any) => void = () => undefined): any {
  const t = parse(readFileSync(`${root}/analysis-templates/${file}`, 'utf8'));
  t.metadata.namespace = 'demo';
  for (const m of t.spec.metrics) {
    m.interval = `${INTERVAL_S}s`;
    m.count = 2;
  }
  patch(t);
  return t;
}

export function analysedRollout(): any {
  const r = example('rollout.yaml');
  // Statistical power: at 100 rps and 50% weight a 5 s window holds ~250 canary requests, and a
  // window with fewer than 100 is not judged. A 5% release then shows more than 1% errors in all
  // but ~1 in 5000 windows; a 0.2% one shows more than 1% in ~1.5% of them, and failureLimit 1
  // needs two such windows before a rollback.
  const args = [{ name: 'minRequests', value: '100' }];
  r.spec.strategy.canary.steps = [
    { setWeight: 50 },
    {
      analysis: {
        templates: [{ name: 'istio-error-rate' }, { name: 'istio-latency-p99' }],
        args: [...args, { name: 'maxErrorRate', value: '0.01' }, { name: 'maxLatencyMs', value: '300' }],
      },
    },
    { pause: { duration: '1s' } },
  ];
  r.spec.strategy.canary.analysis = {
    templates: [{ name: 'istio-error-rate' }],
    args: [...args, { name: 'maxErrorRate', value: '0.01' }],
  };
  r.spec.progressDeadlineSeconds = 120;
  return r;
}

/**
 * The podinfo example as `name` (Deployment, Service and Rollout in namespace demo), for tests
 * that run many rollouts; `shape` adjusts the Rollout.
 */
export function exampleApp(api: Sandbox['server']['api'], name: string, shape: (rollout: any) => void): void {
  const d = example('deployment.yaml');
  d.metadata.name = name;
  d.metadata.labels = { app: name };
  d.spec.selector.matchLabels = { app: name };
  // as in the example: the Service selects a pod label the primary's pods keep
  d.spec.template.metadata.labels = { app: name, 'app.kubernetes.io/name': name };
  api.create(api.registry.resource('apps', 'deployments'), 'demo', d);
  const svc = example('service.yaml');
  svc.metadata.name = name;
  svc.spec.selector = { 'app.kubernetes.io/name': name };
  api.create(api.registry.resource('', 'services'), 'demo', svc);
  const r = example('rollout.yaml');
  r.metadata.name = name;
  r.spec.targetRef.name = name;
  r.spec.service = { name, port: 9898 };
  shape(r);
  api.create(api.registry.resource('sluice.dev', 'rollouts'), 'demo', r);
}

/**
 * examples/podinfo as one app in namespace demo (Namespace, Deployment, Service, Rollout) with
 * these canary steps and no background analysis; `shape` adjusts the Deployment first.
 */
export function installPodinfo(
  api: Sandbox['server']['api'],
  steps: unknown[],
  shape: (deployment: any) => void = () => undefined,
): void {
  api.create(api.registry.resource('', 'namespaces'), undefined, example('namespace.yaml'));
  const d = example('deployment.yaml');
  shape(d);
  api.create(api.registry.resource('apps', 'deployments'), 'demo', d);
  api.create(api.registry.resource('', 'services'), 'demo', example('service.yaml'));
  const r = example('rollout.yaml');
  r.spec.strategy.canary.steps = steps;
  delete r.spec.strategy.canary.analysis;
  api.create(api.registry.resource('sluice.dev', 'rollouts'), 'demo', r);
}

/** examples/podinfo with analysedRollout() and the error-rate and latency templates, its pods behaving as `env` says. */
export function installAnalysedPodinfo(api: Sandbox['server']['api'], env: Record<string, string>): void {
  api.create(api.registry.resource('', 'namespaces'), undefined, example('namespace.yaml'));
  const d = example('deployment.yaml');
  d.spec.template.spec.containers[0].env = Object.entries(env).map(([name, value]) => ({ name, value }));
  api.create(api.registry.resource('apps', 'deployments'), 'demo', d);
  api.create(api.registry.resource('', 'services'), 'demo', example('service.yaml'));
  for (const f of ['istio-error-rate.yaml', 'istio-latency-p99.yaml'])
    api.create(api.registry.resource('sluice.dev', 'analysistemplates'), 'demo', testTemplate(f));
  api.create(api.registry.resource('sluice.dev', 'rollouts'), 'demo', analysedRollout());
}
