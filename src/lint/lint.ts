/**
 * `sluice lint`: offline validation of Rollouts and AnalysisTemplates with the same checks the
 * controller runs, cross-checked against each other and against the Deployments among the inputs.
 */
import { classify, validateSluiceObject } from '../api/validate-object.js';
import { formatPath, hasErrors, type Problem, type Severity } from '../api/problem.js';
import type { AnalysisTemplate } from '../api/schema/analysis-template.js';
import type { Rollout } from '../api/schema/rollout.js';
import type { TemplateCatalog } from '../api/semantics/references.js';
import { loadPaths, type LoadedObject } from './load.js';
import { gitopsWarnings } from './gitops.js';

export interface LintFinding {
  file: string;
  line: number;
  path: string;
  message: string;
  severity: Severity;
}

export interface LintReport {
  findings: LintFinding[];
  files: number;
  objects: number;
  errors: number;
  warnings: number;
}

/** Templates among the inputs; a namespaced one without a namespace matches any namespace. */
export function inputCatalog(templates: readonly { value: unknown; valid: boolean }[]): TemplateCatalog {
  return {
    find(ref, namespace) {
      const kind = ref.kind ?? 'AnalysisTemplate';
      const found = templates.find(({ value }) => {
        const v = value as { kind?: unknown; metadata?: { name?: unknown; namespace?: unknown } };
        const meta = v.metadata;
        return (
          v.kind === kind &&
          meta?.name === ref.name &&
          (kind === 'ClusterAnalysisTemplate' ||
            namespace === undefined ||
            meta.namespace === undefined ||
            meta.namespace === namespace)
        );
      });
      if (found === undefined) return undefined;
      return found.valid ? (found.value as AnalysisTemplate) : { invalid: 'its errors are listed with its file' };
    },
    missingHint: 'add the file that defines it to the lint inputs',
  };
}

function finding(obj: LoadedObject, p: Problem): LintFinding {
  return {
    file: obj.file,
    line: obj.lineOf(p.path),
    path: formatPath(p.path),
    message: p.message,
    severity: p.severity,
  };
}

export function lintPaths(paths: readonly string[]): LintReport {
  const loaded = loadPaths(paths);
  const findings: LintFinding[] = loaded.problems.map((p) => ({
    file: p.file,
    line: p.line,
    path: '',
    message: p.message,
    severity: 'error',
  }));
  const rollouts: LoadedObject[] = [];
  const templates: LoadedObject[] = [];
  const foreign: LoadedObject[] = [];
  for (const obj of loaded.objects) {
    const c = classify(obj.value);
    if (c.type === 'invalid') findings.push(...c.problems.map((p) => finding(obj, p)));
    else if (c.type === 'foreign') foreign.push(obj);
    else (c.kind === 'Rollout' ? rollouts : templates).push(obj);
  }
  const checked = templates.map((obj) => {
    const problems = validateSluiceObject('AnalysisTemplate', obj.value);
    findings.push(...problems.map((p) => finding(obj, p)));
    return { value: obj.value, valid: !hasErrors(problems) };
  });
  const catalog = inputCatalog(checked);
  const validRollouts: Rollout[] = [];
  const byValue = new Map<unknown, LoadedObject>([...foreign, ...rollouts].map((o) => [o.value, o]));
  for (const obj of rollouts) {
    const problems = validateSluiceObject('Rollout', obj.value, catalog);
    findings.push(...problems.map((p) => finding(obj, p)));
    if (!hasErrors(problems)) validRollouts.push(obj.value as Rollout);
  }
  for (const w of gitopsWarnings(
    validRollouts,
    foreign.map((o) => o.value),
  )) {
    const obj = byValue.get(w.object);
    if (obj !== undefined) findings.push(finding(obj, w.problem));
  }
  findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return {
    findings,
    files: loaded.files,
    objects: loaded.objects.length,
    errors: findings.filter((f) => f.severity === 'error').length,
    warnings: findings.filter((f) => f.severity === 'warning').length,
  };
}

/** `file:line: path: message`, the form editors and CI annotations understand. */
export function formatFinding(f: LintFinding): string {
  const level = f.severity === 'warning' ? 'warning: ' : '';
  return f.path === ''
    ? `${f.file}:${f.line}: ${level}${f.message}`
    : `${f.file}:${f.line}: ${f.path}: ${level}${f.message}`;
}
