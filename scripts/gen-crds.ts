/** `npm run gen:crds`: writes crds/*.yaml, deploy/crds/*.yaml, charts/sluice/crds/*.yaml and docs/api.md from the schema source in src/api. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KINDS, crdFileName, renderCrd } from '../src/api/crd.js';
import { renderApiDocs } from '../src/api/docs.js';
import { renderReasonsDoc } from '../src/rollout/reasons.js';

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
writeFileSync(join(root, 'docs', 'api.md'), renderApiDocs());
console.log(`wrote ${join(root, 'docs', 'api.md')}`);
writeFileSync(join(root, 'docs', 'reasons.md'), renderReasonsDoc());
console.log(`wrote ${join(root, 'docs', 'reasons.md')}`);
