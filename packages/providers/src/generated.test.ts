import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { generatedFiles } from '../scripts/codegen.js';

const files = await generatedFiles();

it.each(files)('src/$name is what `pnpm generate-types` writes now', ({ name, text }) => {
  expect(readFileSync(new URL(name, import.meta.url), 'utf8')).toBe(text);
});
