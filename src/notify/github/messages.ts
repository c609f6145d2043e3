/**
 * Which GitHub messages a change of a run calls for. Pure. Each has an id that makes sending it
 * twice harmless (the outbox drops a known id): one deployment per run, one status per state,
 * and one comment update per status write that changes what the comment shows (the deliverer
 * renders the latest).
 */
import { createHash } from 'node:crypto';
import { headline, outcomeOf, type RunSnapshot } from '../run-report.js';
import type { CommitState, DeploymentState } from './api.js';

export type GitHubPayload =
  | { kind: 'deployment'; run: string }
  | { kind: 'deployment-status'; run: string; state: DeploymentState; description: string }
  | { kind: 'status'; run: string; state: CommitState; description: string }
  | { kind: 'comment'; run: string };

export interface GitHubMessage {
  id: string;
  stream: string;
  payload: GitHubPayload;
}

/** What the comment shows, so that an unchanged view sends nothing. */
function view(snap: Pick<RunSnapshot, 'status' | 'release'>): string {
  const s = snap.status;
  const metrics = (s.metrics ?? []).map((m) => [
    m.name,
    m.phase,
    m.measurements.length,
    m.measurements[m.measurements.length - 1]?.startedAt,
  ]);
  return JSON.stringify([
    s.phase,
    s.reason,
    s.message,
    s.currentStepIndex,
    s.canaryWeight,
    metrics,
    snap.release?.pullRequest,
    snap.release?.commit,
  ]);
}

const FINAL: Record<'promoted' | 'rolled-back' | 'stopped', { commit: CommitState; deployment: DeploymentState }> = {
  promoted: { commit: 'success', deployment: 'success' },
  'rolled-back': { commit: 'failure', deployment: 'failure' },
  stopped: { commit: 'error', deployment: 'inactive' },
};

/** Messages for the step from `prev` (undefined: the run was not seen before) to `snap`. */
export function githubMessages(
  prev: Pick<RunSnapshot, 'status' | 'release'> | undefined,
  snap: RunSnapshot,
): GitHubMessage[] {
  if (snap.release === undefined) return [];
  const run = snap.key;
  const stream = `github|${run}`;
  const out: GitHubMessage[] = [];
  const add = (id: string, payload: GitHubPayload): void => void out.push({ id: `${run}|${id}`, stream, payload });
  const description = headline(snap);
  // The first view with a release (the release may become known after the run started).
  const first = prev?.release === undefined;
  if (first) {
    add('deployment', { kind: 'deployment', run });
    add('status|pending', { kind: 'status', run, state: 'pending', description });
    add('deployment-status|in_progress', { kind: 'deployment-status', run, state: 'in_progress', description });
  }
  const outcome = outcomeOf(snap.status);
  if (outcome !== 'running' && (first || outcomeOf(prev.status) === 'running')) {
    const final = FINAL[outcome];
    add(`status|${final.commit}`, { kind: 'status', run, state: final.commit, description });
    add(`deployment-status|${final.deployment}`, {
      kind: 'deployment-status',
      run,
      state: final.deployment,
      description,
    });
  }
  const now = view(snap);
  // By status write, not by view alone: a view seen before must be sent again when it comes back.
  if (first || view(prev) !== now)
    add(`comment|${snap.status.sequence ?? 0}|${createHash('sha256').update(now).digest('hex').slice(0, 16)}`, {
      kind: 'comment',
      run,
    });
  return out;
}
