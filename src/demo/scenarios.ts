/**
 * The demo's story: releases of examples/podinfo, each a change of the Deployment's pod
 * template as `kubectl set image` / `kubectl set env` would make it, and what Sluice must do
 * with it. Pure data and pure helpers.
 */

export type Expected = 'Promoted' | 'RolledBack';

export interface Scenario {
  name: string;
  /** What the release is, in one line. */
  title: string;
  expected: Expected;
  /** For a rollback: the check that must have failed (a part of its status name). */
  failingCheck?: string;
  image: string;
  /** The sandbox pods' behaviour (see docs/sandbox.md): error rate, median and P99 latency. */
  env: { SANDBOX_ERROR_RATE: string; SANDBOX_LATENCY_MS: string; SANDBOX_P99_MS: string };
  /** The canary steps this scenario runs with. */
  steps: 'standard' | 'manual-gate';
  /** Run `sluice promote` when the run waits at a gate. */
  promoteAtGate?: boolean;
}

const HEALTHY = { SANDBOX_ERROR_RATE: '0', SANDBOX_LATENCY_MS: '20', SANDBOX_P99_MS: '60' };

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'good-release',
    title: 'podinfo 6.7.1, healthy: promoted step by step',
    expected: 'Promoted',
    image: 'ghcr.io/stefanprodan/podinfo:6.7.1',
    env: HEALTHY,
    steps: 'standard',
  },
  {
    name: 'error-regression',
    title: 'podinfo 6.7.2 answers 20% of requests with 5xx: rolled back by the error-rate check',
    expected: 'RolledBack',
    failingCheck: 'error-rate',
    image: 'ghcr.io/stefanprodan/podinfo:6.7.2',
    env: { ...HEALTHY, SANDBOX_ERROR_RATE: '0.2' },
    steps: 'standard',
  },
  {
    name: 'latency-regression',
    title: 'podinfo 6.7.3 is slow (P99 900 ms): rolled back by the latency check',
    expected: 'RolledBack',
    failingCheck: 'latency-p99',
    image: 'ghcr.io/stefanprodan/podinfo:6.7.3',
    env: { SANDBOX_ERROR_RATE: '0', SANDBOX_LATENCY_MS: '150', SANDBOX_P99_MS: '900' },
    steps: 'standard',
  },
  {
    name: 'manual-gate',
    title: 'podinfo 6.7.4 waits at a manual gate until `sluice promote`',
    expected: 'Promoted',
    image: 'ghcr.io/stefanprodan/podinfo:6.7.4',
    env: HEALTHY,
    steps: 'manual-gate',
    promoteAtGate: true,
  },
];

/** The demo's pace: checks every 5 s and pauses of 5 s instead of the example's 30 s. */
export const DEMO_INTERVAL = '5s';
export const DEMO_PAUSE = '5s';

/** The canary steps of the example, at the demo's pace (`standard`), or with a manual gate. */
export function demoSteps(kind: Scenario['steps']): unknown[] {
  const analysis = {
    analysis: {
      templates: [{ name: 'istio-error-rate' }, { name: 'istio-latency-p99' }],
      args: [{ name: 'maxLatencyMs', value: '300' }],
    },
  };
  const pause = { pause: { duration: DEMO_PAUSE } };
  switch (kind) {
    case 'standard':
      return [{ setWeight: 10 }, pause, analysis, { setWeight: 50 }, pause];
    case 'manual-gate':
      return [{ setWeight: 20 }, { pause: {} }, { setWeight: 50 }, pause];
  }
}

/** The strategic merge patch that makes the release (the container is matched by name). */
export function releasePatch(s: Scenario, container: string): unknown {
  const env = Object.entries(s.env).map(([name, value]) => ({ name, value }));
  return { spec: { template: { spec: { containers: [{ name: container, image: s.image, env }] } } } };
}

export function scenariosNamed(name: string | undefined): Scenario[] {
  if (name === undefined) return [...SCENARIOS];
  const found = SCENARIOS.filter((s) => s.name === name);
  if (found.length === 0)
    throw new Error(`--scenario ${name}: no such scenario; choose one of ${SCENARIOS.map((s) => s.name).join(', ')}`);
  return found;
}

export interface Outcome {
  /** `Promoted`, `RolledBack`, or what the run ended as instead. */
  got: string;
  /** The deciding message (the failing check, or how it was promoted). */
  detail: string;
}

/** Whether what happened is what the scenario expects. */
export function asExpected(s: Scenario, o: Outcome): boolean {
  if (o.got !== s.expected) return false;
  return s.failingCheck === undefined || o.detail.includes(s.failingCheck);
}
