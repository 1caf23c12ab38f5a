// pnpm test: lint, typecheck, tests, build and package checks of every package
// (nx), then the checks that skipped because a real program was missing, so a
// local run says what it did not prove. Arguments go on to nx.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const skipped = mkdtempSync(join(tmpdir(), 'atlas-skipped-checks-'));
const nx = spawnSync(
  join(repo, 'node_modules/.bin/nx'),
  [
    'run-many',
    '-t',
    'lint',
    'typecheck',
    'test',
    // @atlas/hcl's WASM property test, a target of its own so that it runs beside the other tests.
    'roundtrip-test',
    // The layers of STYLE.md, import cycles and unused dependencies (tools/boundaries.mjs).
    'boundaries',
    'check-package',
    '--output-style=stream',
    ...process.argv.slice(2),
  ],
  { cwd: repo, stdio: 'inherit', env: { ...process.env, ATLAS_SKIPPED_CHECKS: skipped } },
);

// checker -> package folders whose tests skipped a check for want of it
const missing = new Map();
for (const file of readdirSync(skipped))
  for (const line of readFileSync(join(skipped, file), 'utf8').split('\n').filter(Boolean)) {
    const [checker, folder] = line.split('\t');
    if (!missing.has(checker)) missing.set(checker, new Set());
    missing.get(checker).add(relative(repo, folder) || '.');
  }
rmSync(skipped, { recursive: true, force: true });

console.log('\n== checks skipped because a real program is missing');
if (missing.size === 0)
  console.log('none (tasks replayed from the nx cache, if any, are not counted)');
for (const [checker, folders] of [...missing].sort())
  console.log(`${checker}: skipped in ${[...folders].sort().join(', ')}`);
if (missing.size) console.log('`npm run setup` installs them (as root, with apt).');
process.exit(nx.status ?? 1);
