/**
 * Work that depends only on a Rollout's spec and the AnalysisTemplates it names — validating the
 * spec, resolving its analysis (rendering and parsing every PromQL query) — done once per change
 * of either instead of on every pass. A spec change bumps `metadata.generation`; a template
 * change gives the informer cache a new object.
 */
import type { AnalysisTemplate } from '../api/schema/analysis-template.js';
import type { Rollout, TemplateRef } from '../api/schema/rollout.js';

/** The templates a Rollout's steps and background analysis name. */
export function templateRefs(r: Rollout): TemplateRef[] {
  const canary = r.spec.strategy.canary;
  return [...canary.steps.map((s) => s.analysis), canary.analysis].flatMap((a) => a?.templates ?? []);
}

interface Entry<T> {
  generation: number;
  templates: (AnalysisTemplate | undefined)[];
  value: T;
}

export class SpecMemo<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(private readonly template: (namespace: string, ref: TemplateRef) => AnalysisTemplate | undefined) {}

  /** `compute()`, or what it gave for the same generation of this Rollout and the same templates. */
  get(r: Rollout, compute: () => T): T {
    const generation = r.metadata.generation;
    const uid = r.metadata.uid;
    if (generation === undefined || uid === undefined) return compute();
    const templates = templateRefs(r).map((ref) => this.template(r.metadata.namespace ?? 'default', ref));
    const e = this.entries.get(uid);
    if (
      e !== undefined &&
      e.generation === generation &&
      e.templates.length === templates.length &&
      e.templates.every((t, i) => t === templates[i])
    )
      return e.value;
    const value = compute();
    this.entries.set(uid, { generation, templates, value });
    return value;
  }

  /** Drops what is kept for Rollouts that are gone. */
  retain(uids: ReadonlySet<string>): void {
    for (const uid of this.entries.keys()) if (!uids.has(uid)) this.entries.delete(uid);
  }
}
