/** The planner's working state for one pass: the inputs, and the actions, events and status it builds. */
import type { RolloutPhase } from '../api/phases.js';
import type { Rollout } from '../api/schema/rollout.js';
import type { Command, RolloutStatus } from '../api/schema/rollout-status.js';
import type { Action, Observations, PendingCommand } from './model.js';
import type { Reason } from './reasons.js';

export interface PlanEvent {
  type: 'Normal' | 'Warning';
  reason: Reason;
  message: string;
}

export class Pass {
  readonly actions: Action[] = [];
  readonly events: PlanEvent[] = [];
  /** The status being written; starts as the previous one. */
  readonly status: RolloutStatus;
  requeueAfterMs: number | undefined;
  private readonly handled = new Map<string, { accepted: boolean; outcome: string }>();

  constructor(
    readonly rollout: Rollout,
    readonly obs: Observations,
    readonly now: Date,
  ) {
    this.status = structuredClone(rollout.status ?? {});
  }

  /** Now, to the second, as Kubernetes writes times (conditions, commands). */
  get iso(): string {
    return this.now.toISOString().replace(/\.\d+Z$/, 'Z');
  }

  /** Now, to the millisecond: for the times that durations count from, so that a pause is not cut short. */
  get preciseIso(): string {
    return this.now.toISOString();
  }

  act(action: Action): void {
    this.actions.push(action);
  }

  event(type: PlanEvent['type'], reason: Reason, message: string): void {
    this.events.push({ type, reason, message });
  }

  set(phase: RolloutPhase, reason: Reason, message: string): void {
    this.status.phase = phase;
    this.status.reason = reason;
    this.status.message = message;
  }

  /** Come back after `ms` (the shortest request wins). */
  requeue(ms: number): void {
    this.requeueAfterMs = Math.max(0, Math.min(this.requeueAfterMs ?? Infinity, ms));
  }

  /** The oldest pending command of one of these kinds. */
  command(...actions: PendingCommand['action'][]): PendingCommand | undefined {
    return this.obs.commands.find((c) => actions.includes(c.action) && !this.handled.has(c.id));
  }

  /** Marks a command handled with an outcome sentence, and records an Event. */
  handle(c: PendingCommand, accepted: boolean, outcome: string): void {
    this.handled.set(c.id, { accepted, outcome });
    this.event(
      accepted ? 'Normal' : 'Warning',
      accepted ? 'CommandAccepted' : 'CommandRejected',
      `${c.action} by ${c.user}: ${outcome}`,
    );
  }

  /** Every pending command this pass did not act on is rejected with `why`. */
  rejectRest(why: (c: PendingCommand) => string): void {
    for (const c of this.obs.commands) if (!this.handled.has(c.id)) this.handle(c, false, why(c));
  }

  handledCommands(): Command[] {
    return (this.status.commands ?? []).map((c) => {
      const h = this.handled.get(c.id);
      return h === undefined ? c : { ...c, handledAt: this.iso, outcome: h.outcome, accepted: h.accepted };
    });
  }
}
