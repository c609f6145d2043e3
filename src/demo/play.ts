/**
 * Plays one scenario: sets the canary steps it runs with, makes its release (the strategic
 * merge patch `kubectl set image` + `kubectl set env` would send), answers a manual gate with
 * the real `sluice promote` command, and waits for the run's outcome.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import type { Kube } from '../kube/client.js';
import { NAMESPACE, PACKAGE_ROOT, ROLLOUT } from './install.js';
import { asExpected, demoSteps, releasePatch, type Outcome, type Scenario } from './scenarios.js';

const exec = promisify(execFile);
const CONTAINER = 'podinfo';

export interface Stage {
  kube: Kube;
  kubeconfig: string;
  /** The Rollout as the demo's informer holds it now. */
  rollout(): Rollout | undefined;
  say(line: string): void;
  /** How long a run may take before the scenario counts as failed. */
  deadlineMs: number;
  /** Whether the user asked to stop (Ctrl-C). */
  stopped(): boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function setSteps(stage: Stage, s: Scenario): Promise<void> {
  const steps = demoSteps(s.steps);
  if (JSON.stringify(stage.rollout()?.spec.strategy.canary.steps) === JSON.stringify(steps)) return;
  stage.say(`  $ kubectl -n ${NAMESPACE} apply -f rollout.yaml    # canary steps: ${s.steps}`);
  await stage.kube.custom.patchNamespacedCustomObject(
    {
      group: 'sluice.dev',
      version: 'v1alpha1',
      plural: 'rollouts',
      namespace: NAMESPACE,
      name: ROLLOUT,
      body: { spec: { strategy: { canary: { steps } } } },
    },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  const deadline = Date.now() + 10_000;
  while (JSON.stringify(stage.rollout()?.spec.strategy.canary.steps) !== JSON.stringify(steps) && Date.now() < deadline)
    await sleep(50);
}

async function release(stage: Stage, s: Scenario): Promise<void> {
  const env = Object.entries(s.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  stage.say(
    `  $ kubectl -n ${NAMESPACE} set image deployment/${ROLLOUT} ${CONTAINER}=${s.image} && kubectl -n ${NAMESPACE} set env deployment/${ROLLOUT} ${env}`,
  );
  await stage.kube.apps.patchNamespacedDeployment(
    { namespace: NAMESPACE, name: ROLLOUT, body: releasePatch(s, CONTAINER) },
    setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
  );
}

async function promote(stage: Stage): Promise<void> {
  stage.say(`  $ sluice promote ${ROLLOUT} -n ${NAMESPACE}`);
  const { stdout } = await exec(process.execPath, [
    join(PACKAGE_ROOT, 'bin/sluice.js'),
    'promote',
    ROLLOUT,
    '-n',
    NAMESPACE,
    '--kubeconfig',
    stage.kubeconfig,
  ]);
  for (const line of stdout.trim().split('\n')) if (line !== '') stage.say(`  ${line}`);
}

/** What a finished run ended as; undefined while it is still going. */
export function outcomeOf(r: Rollout | undefined): Outcome | undefined {
  const s = r?.status;
  if (s?.phase === 'Healthy' && s.reason === 'Promoted') return { got: 'Promoted', detail: s.message ?? '' };
  if (s?.phase === 'RolledBack') return { got: 'RolledBack', detail: s.message ?? '' };
  return undefined;
}

/** The Rollout once it shows the run of this release, not what it showed before it. */
function runAfter(r: Rollout | undefined, before: string | undefined): Rollout | undefined {
  const started = r?.status?.runStartedAt;
  return started !== undefined && started !== before ? r : undefined;
}

function timedOut(stage: Stage, r: Rollout | undefined): Outcome {
  const s = r?.status;
  return {
    got: `${s?.phase ?? 'Pending'} (timed out)`,
    detail: `no outcome within ${stage.deadlineMs / 1000} s: ${s?.reason ?? ''} ${s?.message ?? ''}`.trim(),
  };
}

/** Plays `s` and returns its outcome (a timeout is an outcome too). */
export async function play(stage: Stage, s: Scenario, onRelease: () => void): Promise<Outcome & { ok: boolean }> {
  await setSteps(stage, s);
  const before = stage.rollout()?.status?.runStartedAt;
  onRelease();
  await release(stage, s);
  const deadline = Date.now() + stage.deadlineMs;
  let promoted = false;
  for (;;) {
    const r = stage.rollout();
    const mine = runAfter(r, before);
    const outcome = outcomeOf(mine);
    if (outcome !== undefined) return { ...outcome, ok: asExpected(s, outcome) };
    if (s.promoteAtGate === true && !promoted && mine?.status?.reason === 'WaitingForPromotion') {
      promoted = true;
      await promote(stage);
    }
    if (Date.now() > deadline) return { ...timedOut(stage, r), ok: false };
    if (stage.stopped()) return { got: 'interrupted', detail: 'stopped by Ctrl-C', ok: false };
    await sleep(100);
  }
}
