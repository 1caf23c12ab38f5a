// Regenerates src/<provider>.generated.ts from schemas/<provider>.json:
//   npx tsx scripts/generate-types.ts   (or `pnpm generate-types` in this package)
import { writeFileSync } from 'node:fs';
import { generatedFiles } from './codegen.js';

for (const { name, text } of await generatedFiles()) {
  writeFileSync(new URL(`../src/${name}`, import.meta.url), text);
  console.log(`wrote src/${name}`);
}
