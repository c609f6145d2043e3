/** Reading rendered manifests (kustomize, the chart) for the deploy tests. */
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { root } from '../sandbox/helpers.js';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: any;
}

export function parseManifests(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null);
}

/** `kubectl kustomize DIR` (kubectl's built-in kustomize), as text. */
export function kustomizeText(dir: string): string {
  const r = spawnSync('kubectl', ['kustomize', dir], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`);
  return r.stdout;
}

export function kustomize(dir: string): Manifest[] {
  return parseManifests(kustomizeText(dir));
}

/** `Kind/name` of each manifest, sorted. */
export function kindsAndNames(ms: readonly Manifest[]): string[] {
  return ms.map((m) => `${m.kind}/${m.metadata.name}`).sort();
}

export function find(ms: readonly Manifest[], kind: string, name: string): Manifest {
  const m = ms.find((x) => x.kind === kind && x.metadata.name === name);
  if (m === undefined) throw new Error(`no ${kind}/${name} in ${kindsAndNames(ms).join(', ')}`);
  return m;
}
