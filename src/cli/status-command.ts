/**
 * `sluice status NAME [-n NS] [--revision R] [--wait] [--timeout 10m] [-o json]`: where a Rollout
 * stands; with --wait, the verdict on one revision for CI — exit 0 when it is promoted (stable), 1
 * when it is rolled back or aborted, 2 when the Rollout is Invalid, 3 on timeout. Without
 * --revision it waits for the revision of the target as it is when the command starts (its pod
 * template and the ConfigMaps and Secrets it uses, as the controller computes it), so it can run
 * right after a deploy step, before the controller has noticed the change.
 */
import { Command, Option } from 'commander';
import type { V1Deployment } from '@kubernetes/client-node';
import type { Rollout } from '../api/schema/rollout.js';
import { parseDuration } from '../api/duration.js';
import { configHashes, contentHash, referencedConfigs, type ConfigKind } from '../controller/configs.js';
import { kubeClients, loadKubeConfig, statusOf, type Kube } from '../kube/client.js';
import { revisionOf } from '../rollout/revision.js';
import { VERSION } from '../version.js';
import type { Io } from './lint-command.js';

export const EXIT = { promoted: 0, rolledBack: 1, invalid: 2, timeout: 3 } as const;
type Verdict = keyof typeof EXIT;

interface StatusOptions {
  namespace?: string;
  kubeconfig?: string;
  revision?: string;
  wait: boolean;
  timeout: string;
  output: 'text' | 'json';
}

const POLL_MS = 500;

async function readRollout(kube: Kube, namespace: string, name: string): Promise<Rollout> {
  return (await kube.custom.getNamespacedCustomObject({
    group: 'sluice.dev',
    version: 'v1alpha1',
    plural: 'rollouts',
    namespace,
    name,
  })) as Rollout;
}

/** The target's revision now, as the controller computes it (template + content of the configs it uses). */
export async function currentRevision(kube: Kube, rollout: Rollout): Promise<string> {
  const namespace = rollout.metadata.namespace ?? 'default';
  const name = rollout.spec.targetRef.name;
  const target: V1Deployment = await kube.apps.readNamespacedDeployment({ name, namespace }).catch((e: unknown) => {
    throw new Error(`Deployment ${name} (the Rollout's target) in namespace ${namespace}: ${(e as Error).message}`);
  });
  const refs = referencedConfigs(target.spec?.template);
  const hashes = new Map<string, string>();
  const read = async (kind: ConfigKind, config: string): Promise<void> => {
    try {
      const obj =
        kind === 'ConfigMap'
          ? await kube.core.readNamespacedConfigMap({ name: config, namespace })
          : await kube.core.readNamespacedSecret({ name: config, namespace });
      hashes.set(`${kind}/${config}`, contentHash(obj));
    } catch (e) {
      if (statusOf(e) !== 404)
        throw new Error(
          `cannot read ${kind} ${config} to know the target's revision (${(e as Error).message}): pass --revision, as shown by sluice get`,
        );
    }
  };
  for (const n of refs.configMaps) await read('ConfigMap', n);
  for (const n of refs.secrets) await read('Secret', n);
  // (the same function as the controller's: a config that does not exist counts as ABSENT)
  return revisionOf(
    target.spec?.template,
    configHashes(target.spec?.template, (kind, n) => hashes.get(`${kind}/${n}`)),
  );
}

/** The verdict on `revision`, once there is one. */
export function verdict(r: Rollout, revision: string): Verdict | undefined {
  const s = r.status ?? {};
  // a status from before the latest spec says nothing yet (a fix just applied, say)
  if ((s.observedGeneration ?? 0) < (r.metadata.generation ?? 0)) return undefined;
  // a target not there yet is a sync in progress (GitOps tools apply in any order), not a verdict
  if (s.phase === 'Invalid' && s.reason !== 'TargetNotFound') return 'invalid';
  if (s.phase === 'Healthy' && s.stableRevision === revision) return 'promoted';
  if (s.phase === 'RolledBack' && s.rolledBackRevision === revision) return 'rolledBack';
  return undefined;
}

/** One line on where the Rollout stands. */
export function summary(r: Rollout): string {
  const s = r.status ?? {};
  const steps = r.spec.strategy.canary.steps.length;
  const run = s.canaryRevision === undefined || s.phase === 'Healthy' ? '' : ` revision ${s.canaryRevision}`;
  const step =
    s.currentStepIndex === undefined || s.phase === 'Healthy' ? '' : ` step ${s.currentStepIndex + 1}/${steps}`;
  return `${r.metadata.name}: ${s.phase ?? 'Pending'} (${s.reason ?? 'no status yet'})${run}${step}, ${s.canaryWeight ?? 0}% to the canary — ${s.message ?? ''}`.trimEnd();
}

function checks(r: Rollout): string[] {
  return (r.status?.metrics ?? []).map((m) => {
    const last = m.measurements.at(-1);
    return `  ${m.name}: ${last === undefined ? 'not measured yet' : `${last.phase}${last.value === undefined ? '' : ` (${String(last.value)})`}`}`;
  });
}

function json(r: Rollout, revision: string | undefined, outcome: Verdict | 'timeout' | undefined): string {
  const s = r.status ?? {};
  return JSON.stringify({
    name: r.metadata.name,
    namespace: r.metadata.namespace,
    ...(revision === undefined ? {} : { revision }),
    ...(outcome === undefined ? {} : { outcome, exitCode: EXIT[outcome] }),
    phase: s.phase,
    reason: s.reason,
    message: s.message,
    stableRevision: s.stableRevision,
    canaryRevision: s.canaryRevision,
    currentStep: s.currentStepIndex,
    canaryWeight: s.canaryWeight ?? 0,
  });
}

async function waitFor(
  kube: Kube,
  io: Io,
  w: { namespace: string; name: string; revision: string; timeoutMs: number; text: boolean },
): Promise<{ rollout: Rollout; outcome: Verdict }> {
  const deadline = Date.now() + w.timeoutMs;
  let last = '';
  for (;;) {
    // (an API error while waiting is tried again until the deadline: CI waits minutes, errors are brief)
    const r = await readRollout(kube, w.namespace, w.name).catch((e: unknown) => {
      if (Date.now() >= deadline) throw e;
      return undefined;
    });
    if (r === undefined) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      continue;
    }
    const line = summary(r);
    if (w.text && line !== last) io.out(line);
    last = line;
    const v = verdict(r, w.revision);
    if (v !== undefined) return { rollout: r, outcome: v };
    if (Date.now() >= deadline) return { rollout: r, outcome: 'timeout' };
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const SAID: Record<Verdict, (revision: string, name: string) => string> = {
  promoted: (rev, name) => `revision ${rev} of ${name} is promoted.`,
  rolledBack: (rev, name) => `revision ${rev} of ${name} was rolled back.`,
  invalid: (_rev, name) => `rollout ${name} is Invalid: fix its spec or target (sluice get ${name}).`,
  timeout: (rev, name) => `revision ${rev} of ${name} has no verdict yet (timed out).`,
};

export function statusCommand(io: Io, setExitCode: (code: number) => void): Command {
  return new Command('status')
    .description(
      'where a rollout stands; with --wait, the verdict on a revision (exit 0 promoted, 1 rolled back, 2 invalid, 3 timeout)',
    )
    .argument('<name>', 'name of the Rollout')
    .option('-n, --namespace <ns>', 'namespace (default: the kubeconfig context namespace)')
    .option('--kubeconfig <file>', 'kubeconfig to use (default: $KUBECONFIG or ~/.kube/config)')
    .option('--revision <rev>', "the revision to wait for (default: the target's as it is now)")
    .option('--wait', 'wait for the verdict on the revision', false)
    .option('--timeout <duration>', 'how long --wait waits', '10m')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['text', 'json']).default('text'))
    .action(async (name: string, opts: StatusOptions) => {
      try {
        const kube = kubeClients(loadKubeConfig(opts.kubeconfig, `sluice-cli/${VERSION}`));
        const namespace =
          opts.namespace ?? kube.config.getContextObject(kube.config.getCurrentContext())?.namespace ?? 'default';
        const timeoutMs = parseDuration(opts.timeout);
        if (timeoutMs === undefined) throw new Error(`--timeout ${opts.timeout}: not a duration (e.g. 10m)`);
        const rollout = await readRollout(kube, namespace, name);
        const text = opts.output === 'text';
        if (!opts.wait) {
          io.out(text ? [summary(rollout), ...checks(rollout)].join('\n') : json(rollout, opts.revision, undefined));
          return;
        }
        const revision = opts.revision ?? (await currentRevision(kube, rollout));
        if (text) io.out(`waiting for the verdict on revision ${revision} of ${name} (up to ${opts.timeout})`);
        const done = await waitFor(kube, io, { namespace, name, revision, timeoutMs, text });
        io.out(text ? SAID[done.outcome](revision, name) : json(done.rollout, revision, done.outcome));
        setExitCode(EXIT[done.outcome]);
      } catch (e) {
        const code = statusOf(e);
        const where = opts.namespace ?? 'the context namespace';
        io.err(`sluice status: ${code === 404 ? `rollout ${name} not found in ${where}` : (e as Error).message}`);
        setExitCode(4);
      }
    });
}
