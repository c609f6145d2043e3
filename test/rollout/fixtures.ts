/** The example Rollout's analysis as the shell resolves it: step 2 and background, both on the error rate. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { ResolvedMetric } from '../../src/analysis/resolve.js';
import type { Rollout } from '../../src/api/schema/rollout.js';
import type { RolloutStatus } from '../../src/api/schema/rollout-status.js';

export const exampleMetric = (scope: 'step' | 'background'): ResolvedMetric => ({
  key: scope === 'step' ? 'step[2]:istio-error-rate/error-rate' : 'background:istio-error-rate/error-rate',
  scope,
  ...(scope === 'step' ? { step: 2 } : {}),
  startingStep: 0,
  name: 'istio-error-rate/error-rate',
  provider: { address: undefined, timeoutMs: 10_000 },
  intervalMs: 30_000,
  windowMs: 30_000,
  initialDelayMs: 0,
  count: 1,
  failureLimit: 0,
  inconclusiveLimit: 0,
  consecutiveErrorLimit: 1,
  onConsecutiveErrors: 'Pause',
  thresholds: { max: 0.01 },
  failFast: {},
  compare: {},
  source: { kind: 'query', queries: { canary: { text: 'q', namespace: 'demo', workload: 'podinfo' } } },
});

/** The podinfo example Rollout with the finalizer (a pass's input), `status` and `spec` changes applied. */
export function exampleRollout(status?: RolloutStatus, spec?: (r: Rollout) => void): Rollout {
  const r = parse(readFileSync(new URL('../../examples/podinfo/rollout.yaml', import.meta.url), 'utf8')) as Rollout;
  r.metadata.generation = 1;
  r.metadata.uid = 'u1';
  r.metadata.finalizers = ['sluice.dev/finalizer'];
  spec?.(r);
  return status === undefined ? r : { ...r, status };
}
