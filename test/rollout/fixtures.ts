/** The example Rollout's analysis as the shell resolves it: step 2 and background, both on the error rate. */
import type { ResolvedMetric } from '../../src/analysis/resolve.js';

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
  queries: { canary: { text: 'q', namespace: 'demo', workload: 'podinfo' } },
});
