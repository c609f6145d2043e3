/** `npm run gen:crds`: writes crds/*.yaml and docs/api.md from the schema source in src/api. */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { KINDS, crdFileName, renderCrd } from '../src/api/crd.js';
import { renderApiDocs } from '../src/api/docs.js';

const root = new URL('..', import.meta.url).pathname;
mkdirSync(join(root, 'crds'), { recursive: true });
for (const def of KINDS) {
  const file = join(root, 'crds', crdFileName(def));
  writeFileSync(file, renderCrd(def));
  console.log(`wrote ${file}`);
}
writeFileSync(join(root, 'docs', 'api.md'), renderApiDocs());
console.log(`wrote ${join(root, 'docs', 'api.md')}`);
