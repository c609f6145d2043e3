/**
 * The two writes to a Rollout that Sluice makes outside the planner's status patch: an Event
 * (events.k8s.io) about it, and a manual command appended to status.commands (the CLI and the
 * ChatOps webhook take this same path; spec is never written).
 */
import { hostname } from 'node:os';
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import type { Command as RolloutCommand } from '../api/schema/rollout-status.js';
import type { Rollout } from '../api/schema/rollout.js';
import { statusOf, type Kube } from './client.js';

export interface RolloutEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
}

export async function recordRolloutEvent(
  kube: Pick<Kube, 'events'>,
  rollout: Pick<Rollout, 'metadata'>,
  e: RolloutEvent,
): Promise<void> {
  const ns = rollout.metadata.namespace ?? 'default';
  await kube.events.createNamespacedEvent({
    namespace: ns,
    body: {
      metadata: { generateName: `${rollout.metadata.name}.` },
      eventTime: new Date(),
      reportingController: 'sluice.dev/controller',
      reportingInstance: hostname(),
      action: e.reason,
      reason: e.reason,
      type: e.type,
      note: e.message.slice(0, 1024),
      regarding: {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Rollout',
        name: rollout.metadata.name,
        namespace: ns,
        ...(rollout.metadata.uid === undefined ? {} : { uid: rollout.metadata.uid }),
      },
    },
  });
}

const MAX_COMMANDS = 20;

/** Appends a command to status.commands, with optimistic concurrency (retried on 409). */
export async function recordCommand(
  kube: Kube,
  ref: { namespace: string; name: string },
  command: RolloutCommand,
): Promise<void> {
  const gvr = {
    group: 'sluice.dev',
    version: 'v1alpha1',
    plural: 'rollouts',
    namespace: ref.namespace,
    name: ref.name,
  };
  for (let attempt = 0; ; attempt++) {
    const rollout = (await kube.custom.getNamespacedCustomObject(gvr)) as Rollout;
    const kept = (rollout.status?.commands ?? []).slice(-(MAX_COMMANDS - 1));
    const body = {
      metadata: { resourceVersion: rollout.metadata.resourceVersion },
      status: { commands: [...kept, command] },
    };
    try {
      await kube.custom.patchNamespacedCustomObjectStatus(
        { ...gvr, body },
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      return;
    } catch (e) {
      if (statusOf(e) !== 409 || attempt >= 5) throw e;
    }
  }
}
