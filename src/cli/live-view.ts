/**
 * The live view of `sluice get --watch` and `sluice demo`: per rollout the phase, step i/N, a
 * weight bar, each check's latest value against its threshold, and the last decision. On a TTY
 * the block is redrawn in place; otherwise a plain line is printed whenever a rollout's summary
 * changes, so that CI logs stay readable.
 */
import type { Rollout } from '../api/schema/rollout.js';
import { checkLabel, checkValue, checkVerdict } from '../notify/labels.js';
import { stepOf, weightBar } from './render-rollouts.js';

function lastDecision(r: Rollout): string {
  const s = r.status;
  if (s?.reason === undefined) return 'waiting for the controller';
  return s.message === undefined ? s.reason : `${s.reason}: ${s.message}`;
}

function title(r: Rollout): string {
  return `${r.metadata.namespace ?? 'default'}/${r.metadata.name}`;
}

/** The lines of one rollout in the live view. */
export function rolloutBlock(r: Rollout): string[] {
  const step = stepOf(r);
  const head = `${title(r)}  ${r.status?.phase ?? 'Pending'}${step === '-' ? '' : `  step ${step}`}  ${weightBar(r.status?.canaryWeight ?? 0, 20)}`;
  const checks = (r.status?.metrics ?? []).map(
    (m) => `    ${checkLabel(m.name).padEnd(28)} ${checkValue(m).padEnd(24)} ${checkVerdict(m)}`,
  );
  return [head, ...checks, `    last: ${lastDecision(r)}`];
}

/** One line per rollout for logs: the same facts as the block. */
export function summaryLine(r: Rollout): string {
  const step = stepOf(r);
  const checks = (r.status?.metrics ?? []).map((m) => `${checkLabel(m.name)} ${checkValue(m)} ${checkVerdict(m)}`);
  return [
    `${title(r)} ${r.status?.phase ?? 'Pending'}${step === '-' ? '' : ` step ${step}`} weight ${r.status?.canaryWeight ?? 0}%`,
    ...checks,
    lastDecision(r),
  ].join(' | ');
}

export interface ViewOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

const byName = (a: Rollout, b: Rollout): number => title(a).localeCompare(title(b));

export class LiveView {
  private drawn = 0;
  private lastBlock: string[] = [];
  private readonly printed = new Map<string, string>();

  constructor(
    private readonly out: ViewOutput,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  private get tty(): boolean {
    return this.out.isTTY === true;
  }

  /** Shows the rollouts as they are now. */
  update(rollouts: readonly Rollout[]): void {
    const sorted = [...rollouts].sort(byName);
    if (this.tty) {
      this.redraw(sorted.flatMap(rolloutBlock));
      return;
    }
    for (const r of sorted) {
      const line = summaryLine(r);
      if (this.printed.get(title(r)) === line) continue;
      this.printed.set(title(r), line);
      this.out.write(`${this.clock().toISOString().slice(11, 19)} ${line}\n`);
    }
  }

  /** A line of narration above the live block (kept in the scrollback). */
  note(text: string): void {
    if (!this.tty) {
      this.out.write(`${text}\n`);
      return;
    }
    const block = this.lastBlock;
    this.redraw([]);
    this.out.write(`${text}\n`);
    this.redraw(block);
  }

  private redraw(lines: string[]): void {
    // A pty may report no width (0): assume a common one. One column spare avoids auto-wrap.
    const columns = this.out.columns ?? 0;
    const width = (columns >= 20 ? columns : 120) - 1;
    const fitted = lines.map((l) => (l.length > width ? `${l.slice(0, width - 1)}~` : l));
    // Up to the first line drawn last time, clear to the end of the screen, draw again.
    this.out.write(`${this.drawn > 0 ? `\x1b[${this.drawn}F` : ''}\x1b[J${fitted.map((l) => `${l}\n`).join('')}`);
    this.drawn = fitted.length;
    this.lastBlock = lines;
  }
}
