/**
 * One query per template query per tick, whatever the number of canaries. Measurements are
 * evaluated at grid times, so every canary due at a tick asks the same question about a
 * different workload: a groupable query is sent once for the namespaces waiting (every workload
 * in them, grouped by workload; see group.ts) and its answer is kept for that tick, so that
 * canaries whose turn comes later in the tick are answered from it. It asks, too, for every
 * namespace it served at the previous tick, so that in a steady state one query a tick answers
 * every canary, whichever pass comes first. Other queries are sent once per distinct text and
 * tick.
 */
import { groupedQuery, type Grouping } from './group.js';
import type { QueryValue } from './judge.js';
import { targetKey, type MetricProvider, type ProviderTarget, type QueryAnswer } from './provider.js';
import type { QuerySpec } from './resolve.js';

interface Waiter {
  query: QuerySpec;
  resolve: (v: QueryValue) => void;
}

interface Batch {
  target: ProviderTarget;
  at: Date;
  grouping: Grouping | undefined;
  text: string;
  waiters: Waiter[];
}

/** Answers kept per tick: by batch key, then by namespace ('' for ungrouped queries). */
interface Tick {
  answers: Map<string, Map<string, QueryAnswer>>;
}

/** Ticks kept: measurements are at most a few seconds late for their tick. */
const KEEP_TICK_MS = 10 * 60_000;

/** The single value of an ungrouped answer. */
function single(answer: QueryAnswer): QueryValue {
  if (!answer.ok) return { kind: 'error', message: answer.error };
  const [first, ...rest] = answer.series;
  if (first === undefined) return { kind: 'empty' };
  if (rest.length > 0)
    return {
      kind: 'error',
      message: `the query returned ${answer.series.length} series; it must return one number (aggregate it, e.g. with sum)`,
    };
  return { kind: 'value', value: first.value };
}

/** A workload's value in a grouped answer. */
function pick(answer: QueryAnswer, g: Grouping, q: QuerySpec): QueryValue {
  if (!answer.ok) return { kind: 'error', message: answer.error };
  const series = answer.series.find(
    (s) => s.labels[g.namespaceLabel] === q.namespace && s.labels[g.workloadLabel] === q.workload,
  );
  return series === undefined ? { kind: 'empty' } : { kind: 'value', value: series.value };
}

/** A batch key without its tick. */
function shapeOf(key: string): string {
  return key
    .split('\n')
    .filter((_, i) => i !== 1)
    .join('\n');
}

export class QueryBatcher {
  private pending = new Map<string, Batch>();
  private timer: NodeJS.Timeout | undefined;
  private readonly ticks = new Map<number, Tick>();
  /** Queries sent and not answered yet, by batch key, with the namespaces they cover. */
  private readonly inflight = new Map<string, { namespaces: Set<string>; answer: Promise<QueryAnswer> }>();
  /**
   * The namespaces each grouped query (by target and shape, whatever the tick) covered at its
   * last tick: the next tick asks for them all at once, so that canaries of other namespaces
   * whose turn comes later in the tick find their answer instead of sending another query.
   */
  private readonly recent = new Map<string, { at: number; namespaces: Set<string> }>();

  constructor(
    private readonly provider: MetricProvider,
    private readonly windowMs = 25,
  ) {}

  private answered(at: Date, key: string, namespace: string): QueryAnswer | undefined {
    return this.ticks.get(at.getTime())?.answers.get(key)?.get(namespace);
  }

  private remember(at: Date, key: string, namespace: string, answer: QueryAnswer): void {
    // Errors are not kept: a later canary of the tick may try again.
    if (!answer.ok) return;
    const t = at.getTime();
    let tick = this.ticks.get(t);
    if (tick === undefined) {
      tick = { answers: new Map() };
      this.ticks.set(t, tick);
      for (const old of this.ticks.keys()) if (old < t - KEEP_TICK_MS) this.ticks.delete(old);
    }
    let byNamespace = tick.answers.get(key);
    if (byNamespace === undefined) {
      byNamespace = new Map();
      tick.answers.set(key, byNamespace);
    }
    byNamespace.set(namespace, answer);
  }

  value(target: ProviderTarget, query: QuerySpec, at: Date): Promise<QueryValue> {
    const g = query.grouping;
    const key = `${targetKey(target)}\n${String(at.getTime())}\n${g === undefined ? `q\n${query.text}` : `g\n${g.shape}`}`;
    const ns = g === undefined ? '' : query.namespace;
    const answerOf = (a: QueryAnswer): QueryValue => (g === undefined ? single(a) : pick(a, g, query));
    const known = this.answered(at, key, ns);
    if (g !== undefined && (known !== undefined || this.inflight.get(key)?.namespaces.has(ns) === true))
      this.used(key, at.getTime(), ns);
    if (known !== undefined) return Promise.resolve(answerOf(known));
    const flying = this.inflight.get(key);
    if (flying?.namespaces.has(ns) === true) return flying.answer.then(answerOf);
    let batch = this.pending.get(key);
    if (batch === undefined) {
      batch = { target, at, grouping: g, text: query.text, waiters: [] };
      this.pending.set(key, batch);
    }
    const b = batch;
    this.timer ??= setTimeout(() => void this.flush(), this.windowMs);
    return new Promise((resolve) => b.waiters.push({ query, resolve }));
  }

  private async flush(): Promise<void> {
    const batches = [...this.pending.entries()];
    this.pending = new Map();
    this.timer = undefined;
    await Promise.all(batches.map(([key, b]) => this.run(key, b)));
  }

  /** Notes that a canary of `ns` asked the query of `key` at tick `at`. */
  private used(key: string, at: number, ns: string): void {
    const shape = shapeOf(key);
    const last = this.recent.get(shape);
    if (last === undefined || last.at < at) this.recent.set(shape, { at, namespaces: new Set([ns]) });
    else if (last.at === at) last.namespaces.add(ns);
  }

  /** The waiters' namespaces, and those the same query covered at its previous tick. */
  private namespacesFor(key: string, b: Batch): string[] {
    const at = b.at.getTime();
    const last = this.recent.get(shapeOf(key));
    const previous = last !== undefined && last.at < at ? [...last.namespaces] : [];
    const waiting = b.waiters.map((w) => w.query.namespace);
    for (const ns of waiting) this.used(key, at, ns);
    return [...new Set([...previous, ...waiting])];
  }

  private async run(key: string, b: Batch): Promise<void> {
    const g = b.grouping;
    const namespaces = g === undefined ? [''] : this.namespacesFor(key, b);
    const answer = this.provider.instant(b.target, g === undefined ? b.text : groupedQuery(g, namespaces), b.at);
    this.inflight.set(key, { namespaces: new Set(namespaces), answer });
    const a = await answer;
    this.inflight.delete(key);
    for (const ns of namespaces) this.remember(b.at, key, ns, a);
    for (const w of b.waiters) w.resolve(g === undefined ? single(a) : pick(a, g, w.query));
  }
}
