/**
 * The demo's record of its runs: per scenario, the run's timeline (src/notify/timeline.ts) and
 * what it ended as. The report draws its charts from these.
 */
import type { Rollout } from '../api/schema/rollout.js';
import { newTimeline, observeRun, type Timeline } from '../notify/timeline.js';

export interface RunTimeline extends Timeline {
  scenario: string;
  title: string;
  expected: string;
  got: string;
  detail: string;
  ok: boolean;
}

export class TimelineRecorder {
  readonly runs: RunTimeline[] = [];
  private current: RunTimeline | undefined;

  /** A scenario's release was made at `now`: what follows belongs to its run. */
  begin(scenario: { name: string; title: string; expected: string }, rollout: string, now: number): void {
    this.current = {
      ...newTimeline(rollout, now),
      scenario: scenario.name,
      title: scenario.title,
      expected: scenario.expected,
      got: '',
      detail: '',
      ok: false,
    };
    this.runs.push(this.current);
  }

  /** The Rollout as a watch delivered it at `now`. */
  see(r: Rollout, now: number): void {
    const run = this.current;
    if (run !== undefined && `${r.metadata.namespace ?? 'default'}/${r.metadata.name}` === run.rollout)
      observeRun(run, r, now);
  }

  /** The run is over: what it ended as. */
  end(outcome: { got: string; detail: string; ok: boolean }, now: number): void {
    if (this.current === undefined) return;
    Object.assign(this.current, outcome, { endedAt: now });
    this.current = undefined;
  }
}
