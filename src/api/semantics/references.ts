/** Checks that a Rollout's analysis refs name existing templates and supply every arg they need. */
import { isBuiltinArg } from '../placeholders.js';
import { error, type PathSegment, type Problem } from '../problem.js';
import type { AnalysisTemplate } from '../schema/analysis-template.js';
import type { Rollout, AnalysisRef, TemplateRef } from '../schema/rollout.js';
import { isNumeric, numericArgs } from './template.js';

/** Where templates are looked up: the lint inputs, or the controller's informer cache. */
export interface TemplateCatalog {
  /** The template; `{ invalid }` (its first error) when it exists but fails validation itself. */
  find(ref: TemplateRef, namespace: string | undefined): AnalysisTemplate | { invalid: string } | undefined;
  /** How to make a missing template found, e.g. "add the file that defines it to the lint inputs". */
  readonly missingHint: string;
}

function checkRef(
  ref: AnalysisRef,
  path: PathSegment[],
  namespace: string | undefined,
  catalog: TemplateCatalog,
): Problem[] {
  const problems: Problem[] = [];
  const supplied = new Map((ref.args ?? []).map((a, i) => [a.name, { value: a.value, index: i }]));
  const declaredAnywhere = new Set<string>();
  ref.templates.forEach((t, i) => {
    const template = catalog.find(t, namespace);
    const kind = t.kind ?? 'AnalysisTemplate';
    if (template === undefined) {
      const where = namespace === undefined || kind === 'ClusterAnalysisTemplate' ? '' : ` in namespace ${namespace}`;
      problems.push(
        error([...path, 'templates', i, 'name'], `${kind} "${t.name}" not found${where}: ${catalog.missingHint}`),
      );
      return;
    }
    if ('invalid' in template) {
      problems.push(
        error(
          [...path, 'templates', i, 'name'],
          `${kind} "${t.name}" is invalid itself (${template.invalid}); fix it first`,
        ),
      );
      return;
    }
    const numeric = numericArgs(template);
    for (const arg of template.spec.args ?? []) {
      declaredAnywhere.add(arg.name);
      const given = supplied.get(arg.name);
      if (given === undefined && arg.value === undefined) {
        problems.push(
          error(
            [...path, 'templates', i, 'name'],
            `template "${t.name}" needs arg "${arg.name}"${arg.description === undefined ? '' : ` (${arg.description})`}: add { name: ${arg.name}, value: ... } to args`,
          ),
        );
      }
      if (given !== undefined && numeric.has(arg.name) && !isNumeric(given.value)) {
        problems.push(
          error(
            [...path, 'args', given.index, 'value'],
            `"${given.value}" is not a number, but template "${t.name}" uses arg "${arg.name}" as a threshold`,
          ),
        );
      }
    }
  });
  const allFound = ref.templates.every((t) => typeof catalog.find(t, namespace) === 'object');
  (ref.args ?? []).forEach((a, i) => {
    if (isBuiltinArg(a.name))
      problems.push(
        error([...path, 'args', i, 'name'], `"${a.name}" is a built-in arg that Sluice supplies; remove it`),
      );
    else if (allFound && !declaredAnywhere.has(a.name)) {
      problems.push(
        error(
          [...path, 'args', i, 'name'],
          `no referenced template declares arg "${a.name}" (templates: ${ref.templates.map((t) => t.name).join(', ')})`,
        ),
      );
    }
  });
  return problems;
}

export function checkReferences(rollout: Rollout, catalog: TemplateCatalog): Problem[] {
  const ns = rollout.metadata.namespace;
  const canary = rollout.spec.strategy.canary;
  const problems: Problem[] = [];
  canary.steps.forEach((step, i) => {
    if (step.analysis !== undefined)
      problems.push(...checkRef(step.analysis, ['spec', 'strategy', 'canary', 'steps', i, 'analysis'], ns, catalog));
  });
  if (canary.analysis !== undefined)
    problems.push(...checkRef(canary.analysis, ['spec', 'strategy', 'canary', 'analysis'], ns, catalog));
  return problems;
}
