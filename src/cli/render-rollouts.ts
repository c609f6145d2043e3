/** The table `sluice get` prints: phase, step i/N, a weight bar, ready/replicas of primary and canary, and the latest check values. */
import type { Rollout } from '../api/schema/rollout.js';

export function weightBar(weight: number, width = 10): string {
  const filled = Math.round((Math.max(0, Math.min(100, weight)) / 100) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${weight}%`;
}

/** `i/N` while a run is in progress, else `-`. */
export function stepOf(r: Rollout): string {
  const total = r.spec.strategy.canary.steps.length;
  const phase = r.status?.phase;
  if (phase !== 'Progressing' && phase !== 'Paused' && phase !== 'Promoting') return '-';
  return `${Math.min((r.status?.currentStepIndex ?? 0) + 1, total)}/${total}`;
}

/** `ready/replicas`, or `-` when not known. */
function readyOf(w: { replicas: number; ready: number } | undefined): string {
  return w === undefined ? '-' : `${w.ready}/${w.replicas}`;
}

function pad(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd((widths[i] ?? 0) + 3)))
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

export function renderRollouts(rollouts: readonly Rollout[], allNamespaces: boolean): string {
  if (rollouts.length === 0) return 'No rollouts found.';
  const header = [
    ...(allNamespaces ? ['NAMESPACE'] : []),
    'NAME',
    'PHASE',
    'STEP',
    'WEIGHT',
    'PRIMARY',
    'CANARY',
    'MESSAGE',
  ];
  const rows = rollouts.map((r) => [
    ...(allNamespaces ? [r.metadata.namespace ?? ''] : []),
    r.metadata.name,
    r.status?.phase ?? 'Pending',
    stepOf(r),
    weightBar(r.status?.canaryWeight ?? 0),
    readyOf(r.status?.replicas?.primary),
    readyOf(r.status?.replicas?.canary),
    r.status?.message ?? '',
  ]);
  const lines = [pad([header, ...rows])];
  for (const r of rollouts) {
    for (const m of r.status?.metrics ?? []) {
      const last = m.measurements[m.measurements.length - 1];
      if (last !== undefined)
        lines.push(
          `  ${r.metadata.name} ${m.name}: ${last.phase}${last.message === undefined ? '' : ` (${last.message})`}`,
        );
    }
  }
  return lines.join('\n');
}
