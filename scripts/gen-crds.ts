/**
 * `npm run gen:crds`: writes crds/*.yaml, deploy/crds/*.yaml, charts/sluice/crds/*.yaml, the cluster templates
 * (analysis-templates/cluster/, charts/sluice/files/cluster-analysis-templates/) and docs/api.md from the
 * schema source in src/api; docs/reasons.md; and deploy/argocd's actions and argocd-cm patch (src/gitops/argocd.ts).
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KINDS, crdFileName, renderCrd } from '../src/api/crd.js';
import { renderApiDocs } from '../src/api/docs.js';
import { CLUSTER_TEMPLATES, clusterTemplateOf } from '../src/api/cluster-templates.js';
import { renderReasonsDoc } from '../src/rollout/reasons.js';
import { COMMAND_ACTION_NAMES } from '../src/api/phases.js';
import { renderAction, renderArgocdConfigMap } from '../src/gitops/argocd.js';

const root = new URL('..', import.meta.url).pathname;
// The same CRDs go to crds/ (kubectl apply -f crds/), the kustomize base and the Helm chart's crds/ folder.
for (const dir of ['crds', 'deploy/crds', 'charts/sluice/crds']) {
  mkdirSync(join(root, dir), { recursive: true });
  for (const def of KINDS) {
    const file = join(root, dir, crdFileName(def));
    writeFileSync(file, renderCrd(def));
    console.log(`wrote ${file}`);
  }
}
for (const dir of [
  'analysis-templates/cluster',
  'deploy/cluster-analysis-templates',
  'charts/sluice/files/cluster-analysis-templates',
]) {
  mkdirSync(join(root, dir), { recursive: true });
  for (const name of CLUSTER_TEMPLATES) {
    const source = readFileSync(join(root, 'analysis-templates', `${name}.yaml`), 'utf8');
    writeFileSync(join(root, dir, `${name}.yaml`), clusterTemplateOf(name, source));
  }
  console.log(`wrote ${join(root, dir)}`);
}
writeFileSync(join(root, 'docs', 'api.md'), renderApiDocs());
console.log(`wrote ${join(root, 'docs', 'api.md')}`);
writeFileSync(join(root, 'docs', 'reasons.md'), renderReasonsDoc());
console.log(`wrote ${join(root, 'docs', 'reasons.md')}`);
const argocd = join(root, 'deploy', 'argocd');
for (const a of COMMAND_ACTION_NAMES) {
  mkdirSync(join(argocd, 'actions', a), { recursive: true });
  writeFileSync(join(argocd, 'actions', a, 'action.lua'), renderAction(a));
}
const lua = (f: string): string => readFileSync(join(argocd, f), 'utf8');
writeFileSync(join(argocd, 'argocd-cm.yaml'), renderArgocdConfigMap(lua('health.lua'), lua('actions/discovery.lua')));
console.log(`wrote ${argocd}`);
