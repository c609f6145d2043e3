#!/usr/bin/env node
// Entry point of the `sluice` executable. The TypeScript sources are compiled to dist/ by
// `npm ci` (the prepare script) or `npm run build`.
import { existsSync } from 'node:fs';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write('sluice: dist/ is missing; run `npm run build` (or `npm ci`) in the sluice folder first\n');
  process.exit(2);
}
const { main } = await import(entry.href);
await main(process.argv);
