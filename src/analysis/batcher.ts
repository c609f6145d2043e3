/**
 * One query per template metric per tick, whatever the number of canaries: requests arriving
 * within a short window for the same backend, query shape and evaluation time are answered by
 * one grouped query (see group.ts); others by one query each, identical ones shared.
 */
import { createHash } from 'node:crypto';
import { groupedQuery, type Grouping } from './group.js';
import type { QueryValue } from './judge.js';
import type { MetricProvider, ProviderTarget, QueryAnswer } from './provider.js';
import type { QuerySpec } from './resolve.js';

interface Waiter {
  namespace: string;
  workload: string;
  resolve: (v: QueryValue) => void;
}

interface Batch {
  target: ProviderTarget;
  at: Date;
  grouping: Grouping | undefined;
  text: string;
  waiters: Waiter[];
}

function targetKey(t: ProviderTarget): string {
  return createHash('sha256').update(JSON.stringify([t.address, t.timeoutMs, t.auth ?? null])).digest('hex');
}

/** The single value of an ungrouped answer. */
function single(answer: QueryAnswer): QueryValue {
  if (!answer.ok) return { kind: 'error', message: answer.error };
  const [first, ...rest] = answer.series;
  if (first === undefined) return { kind: 'empty' };
  if (rest.length > 0) return { kind: 'error', message: `the query returned ${answer.series.length} series; it must return one number (aggregate it, e.g. with sum)` };
  return { kind: 'value', value: first.value };
}

export class QueryBatcher {
  private pending = new Map<string, Batch>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly provider: MetricProvider,
    private readonly windowMs = 25,
  ) {}

  value(target: ProviderTarget, query: QuerySpec, at: Date): Promise<QueryValue> {
    const shape = query.grouping?.shape ?? query.text;
    const key = `${targetKey(target)}\n${String(at.getTime())}\n${query.grouping === undefined ? 'q' : 'g'}\n${shape}`;
    let batch = this.pending.get(key);
    if (batch === undefined) {
      batch = { target, at, grouping: query.grouping, text: query.text, waiters: [] };
      this.pending.set(key, batch);
    }
    const b = batch;
    this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
    return new Promise((resolve) => b.waiters.push({ namespace: query.namespace, workload: query.workload, resolve }));
  }

  private async flush(): Promise<void> {
    const batches = [...this.pending.values()];
    this.pending = new Map();
    this.timer = undefined;
    await Promise.all(batches.map((b) => this.run(b)));
  }

  private async run(b: Batch): Promise<void> {
    const g = b.grouping;
    if (g === undefined) {
      const value = single(await this.provider.instant(b.target, b.text, b.at));
      for (const w of b.waiters) w.resolve(value);
      return;
    }
    const answer = await this.provider.instant(b.target, groupedQuery(g, b.waiters), b.at);
    for (const w of b.waiters) {
      if (!answer.ok) {
        w.resolve({ kind: 'error', message: answer.error });
        continue;
      }
      const series = answer.series.find((s) => s.labels[g.namespaceLabel] === w.namespace && s.labels[g.workloadLabel] === w.workload);
      w.resolve(series === undefined ? { kind: 'empty' } : { kind: 'value', value: series.value });
    }
  }
}
