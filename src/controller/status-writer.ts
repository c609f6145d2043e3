/**
 * The end of a pass: the ledger entry (what this pass wrote, for every replica's caches to wait
 * for: settle.ts), then one status patch when the status changed, then the reports of that status.
 */
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Rollout } from '../api/schema/rollout.js';
import { statusOf, type Kube } from '../kube/client.js';
import type { Notifier } from '../notify/notifier.js';
import { canonicalJson } from '../rollout/revision.js';
import type { Plan } from '../rollout/plan.js';
import type { Settle } from './settle.js';

const isObject = (o: unknown): o is Record<string, unknown> => typeof o === 'object' && o !== null && !Array.isArray(o);

/**
 * A JSON merge patch from one status to the next: a field the planner removed (metrics of an
 * old run, a rolled-back revision after a promotion, `replicas.primary` of a deleted primary)
 * must be sent as null, or it would stay — at any depth (a merge patch merges nested objects;
 * lists it replaces whole). A field left behind would make every write differ from what is
 * stored, and the controller write status forever.
 */
export function statusPatch(previous: object | undefined, next: object): Record<string, unknown> {
  const out: Record<string, unknown> = { ...next };
  const prev: Record<string, unknown> = isObject(previous) ? previous : {};
  for (const [k, was] of Object.entries(prev)) {
    const now = out[k];
    if (!(k in out)) out[k] = null;
    else if (isObject(was) && isObject(now)) out[k] = statusPatch(was, now);
  }
  return out;
}

export interface StatusWriterOptions {
  kube: Kube;
  /** Where the pass's writes are recorded, for every replica's caches to wait for. */
  settle: Pick<Settle, 'record'>;
  log: Logger;
  notifier: Notifier | undefined;
  /** The images of the primary and the canary, for reports. */
  images: (rollout: Rollout) => { stable?: string; canary?: string };
}

export class StatusWriter {
  constructor(private readonly opts: StatusWriterOptions) {}

  /**
   * One status patch when the status changed, the ledger entry written first. The patch carries
   * the resourceVersion the pass planned on: a command recorded (or a spec edited) meanwhile makes
   * it fail with 409 instead of being overwritten — 'conflict': plan again on the newer Rollout.
   */
  async write(
    k: string,
    rollout: Rollout,
    decided: Plan,
    expect: Record<string, string>,
  ): Promise<'written' | 'unchanged' | 'conflict'> {
    const changed = canonicalJson(decided.status) !== canonicalJson(rollout.status);
    const status = changed ? { ...decided.status, sequence: (rollout.status?.sequence ?? 0) + 1 } : decided.status;
    // Recorded before the status write: a pass elsewhere must not act on the view before it.
    if (changed || decided.actions.length > 0)
      await this.opts.settle.record(k, { ...rollout, status }, expect, decided.actions.length > 0);
    if (!changed) return 'unchanged';
    const namespace = rollout.metadata.namespace ?? 'default';
    try {
      await this.opts.kube.custom.patchNamespacedCustomObjectStatus(
        {
          group: 'sluice.dev',
          version: 'v1alpha1',
          namespace,
          plural: 'rollouts',
          name: rollout.metadata.name,
          body: {
            metadata: { resourceVersion: rollout.metadata.resourceVersion },
            status: statusPatch(rollout.status, status),
          },
        },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
    } catch (e) {
      if (statusOf(e) !== 409) throw e;
      // This status will never be seen: the caches wait for nothing but the objects the actions wrote.
      await this.opts.settle.record(k, rollout, expect, decided.actions.length > 0);
      this.opts.log.info({ rollout: k }, 'the rollout changed during the pass (a command, an edit); planning again');
      return 'conflict';
    }
    const { phase, reason, canaryWeight: weight, currentStepIndex: step } = status;
    this.opts.log.info({ rollout: k, phase, reason, weight, step }, 'status');
    // Reports never fail or hold up a pass: the outbox delivers them later.
    await this.opts.notifier
      ?.observe({ ...rollout, status }, { images: this.opts.images(rollout) })
      .catch((err: unknown) =>
        this.opts.log.warn({ rollout: k, err: (err as Error).message }, 'notification not queued'),
      );
    return 'written';
  }
}
