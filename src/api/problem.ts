/** A finding about an object: what is wrong, where (a path into the object), and how bad. */

export type PathSegment = string | number;
export type Severity = 'error' | 'warning';

export interface Problem {
  path: PathSegment[];
  message: string;
  severity: Severity;
}

/** A problem of one object among several (lint: the object it is reported on). */
export interface ObjectWarning {
  object: unknown;
  problem: Problem;
}

export function error(path: PathSegment[], message: string): Problem {
  return { path, message, severity: 'error' };
}

export function warning(path: PathSegment[], message: string): Problem {
  return { path, message, severity: 'warning' };
}

/** `spec.strategy.canary.steps[2].setWeight`; keys that are not identifiers are quoted. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}
