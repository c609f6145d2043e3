/**
 * What the demo needs before it starts: Prometheus and Redis on this machine, then Sluice's
 * CRDs, the shipped analysis templates and examples/podinfo applied to the sandbox — at the
 * demo's pace (checks every 5 s, pauses of 5 s) so the story fits in a few minutes.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KubernetesObject } from '@kubernetes/client-node';
import { parse } from 'yaml';
import { createIfMissing, type Kube } from '../kube/client.js';
import { which, redisPing } from '../sandbox/processes/child.js';
import { ensurePrometheus } from '../sandbox/processes/prometheus.js';
import { REDIS_MISSING } from '../sandbox/processes/redis.js';
import { DEMO_INTERVAL, demoSteps } from './scenarios.js';
import { CRD_FILES } from '../api/crd.js';

/** The package's folder (this file is src/demo/ or dist/demo/). */
export const PACKAGE_ROOT = new URL('../../', import.meta.url).pathname;

export const NAMESPACE = 'demo';
export const ROLLOUT = 'podinfo';

/**
 * Prometheus (installed from Debian when possible) and Redis: a private redis-server when one
 * is installed, else the local Redis at 127.0.0.1:6379. Throws what to install otherwise.
 */
export async function prerequisites(say: (line: string) => void): Promise<{ redisUrl: string | undefined }> {
  const problem = ensurePrometheus(say);
  if (problem !== undefined) throw new Error(problem);
  if (which('redis-server') !== undefined) return { redisUrl: undefined };
  if (await redisPing('127.0.0.1', 6379)) return { redisUrl: 'redis://127.0.0.1:6379' };
  throw new Error(
    REDIS_MISSING.replace(', or pass --redis-url redis://HOST:PORT', ', or start a Redis on 127.0.0.1:6379'),
  );
}

type Manifest = KubernetesObject & Record<string, unknown>;

function manifest(...path: string[]): Manifest {
  return parse(readFileSync(join(PACKAGE_ROOT, ...path), 'utf8')) as Manifest;
}

/** An analysis template of analysis-templates/, at the demo's pace. */
export function demoTemplate(file: string): KubernetesObject {
  const t = manifest('analysis-templates', file);
  t.metadata = { ...t.metadata, namespace: NAMESPACE };
  for (const m of (t['spec'] as { metrics: Record<string, unknown>[] }).metrics) {
    m['interval'] = DEMO_INTERVAL;
    if (m['count'] !== undefined) m['count'] = 2;
  }
  return t;
}

/** examples/podinfo's Rollout at the demo's pace. */
export function demoRollout(): KubernetesObject {
  const r = manifest('examples/podinfo/rollout.yaml');
  const spec = r['spec'] as { strategy: { canary: { steps: unknown[] } }; progressDeadlineSeconds?: number };
  spec.strategy.canary.steps = demoSteps('standard');
  spec.progressDeadlineSeconds = 120;
  return r;
}

/** Applies everything the demo runs on (what `kubectl apply -f` of these files would do). */
export async function installExample(kube: Kube): Promise<void> {
  for (const f of CRD_FILES) await createIfMissing(kube, manifest('crds', f));
  await createIfMissing(kube, manifest('examples/podinfo/namespace.yaml'));
  for (const f of ['istio-error-rate.yaml', 'istio-latency-p99.yaml', 'istio-request-rate.yaml'])
    await createIfMissing(kube, demoTemplate(f));
  for (const f of ['deployment.yaml', 'service.yaml']) await createIfMissing(kube, manifest('examples/podinfo', f));
  await createIfMissing(kube, demoRollout());
}
