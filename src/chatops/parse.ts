/**
 * ChatOps commands in pull-request comments. Pure. Only the first line counts:
 * `/sluice promote|abort|retry|pause|resume [ROLLOUT]`, `/sluice abort [ROLLOUT] [reason]`,
 * `/sluice status [ROLLOUT]`, `/sluice help`; `/sluice` and the verb in any case.
 */
import type { CommandAction } from '../api/phases.js';

export type Verb = CommandAction | 'status' | 'help';
const VERBS: readonly Verb[] = ['promote', 'abort', 'retry', 'pause', 'resume', 'status', 'help'];

export type Parsed =
  { kind: 'command'; verb: Verb; args: string[] } | { kind: 'unknown'; word: string } | { kind: 'none' };

const MAX_LINE = 500;

export function parseComment(body: unknown): Parsed {
  if (typeof body !== 'string') return { kind: 'none' };
  const first = (body.split(/\r?\n/, 1)[0] ?? '').trim().slice(0, MAX_LINE);
  const m = /^\/sluice(?:\s+(.*))?$/i.exec(first);
  if (m === null) return { kind: 'none' };
  const words = (m[1] ?? '').split(/\s+/).filter((w) => w !== '');
  const word = (words[0] ?? 'help').toLowerCase();
  const verb = VERBS.find((v) => v === word);
  return verb === undefined
    ? { kind: 'unknown', word: words[0] ?? '' }
    : { kind: 'command', verb, args: words.slice(1) };
}

export type Target =
  | { kind: 'one'; rollout: string; reason: string | undefined }
  | { kind: 'ambiguous'; candidates: string[] }
  | { kind: 'none' }
  | { kind: 'not-found'; name: string; candidates: string[] };

/**
 * Which of the pull request's rollouts (`namespace/name`) a command means: the one it names
 * (by name or namespace/name), else the only one; what follows is the reason.
 */
export function targetOf(args: readonly string[], candidates: readonly string[]): Target {
  if (candidates.length === 0) return { kind: 'none' };
  const first = args[0];
  const named = first === undefined ? undefined : candidates.find((c) => c === first || c.split('/')[1] === first);
  const rest = (named === undefined ? args : args.slice(1)).join(' ').trim();
  const reason = rest === '' ? undefined : rest.slice(0, 1000);
  if (named !== undefined) return { kind: 'one', rollout: named, reason };
  if (candidates.length === 1) return { kind: 'one', rollout: candidates[0] ?? '', reason };
  if (first !== undefined && /^[a-z0-9][-a-z0-9./]*$/.test(first) && args.length === 1)
    return { kind: 'not-found', name: first, candidates: [...candidates] };
  return { kind: 'ambiguous', candidates: [...candidates] };
}

export const HELP = [
  'Sluice commands (first line of a comment on the pull request):',
  '',
  '- `/sluice promote [ROLLOUT]`: release a manual gate, or skip the remaining steps and promote',
  '- `/sluice abort [ROLLOUT] [reason]`: roll the canary back now',
  '- `/sluice retry [ROLLOUT]`: run a rolled-back revision again',
  '- `/sluice pause [ROLLOUT]` / `/sluice resume [ROLLOUT]`: hold the run at its weight / go on',
  '- `/sluice status [ROLLOUT]`: where the run is',
  '- `/sluice help`: this',
  '',
  "ROLLOUT is needed only when this pull request drives several rollouts. Commands need write permission on the repository, or a place in the Rollout's spec.notifications.github.approvers.",
].join('\n');
