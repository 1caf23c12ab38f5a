// pnpm test:consumer: use Atlas the way another project would. From a clean state: build and
// `pnpm pack` every @atlas package the example names (pnpm rewrites workspace: ranges exactly
// as `pnpm publish` does), install the tarballs with npm, then typecheck the estate against
// the published types, generate, and check the output.
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const example = fileURLToPath(new URL('.', import.meta.url));
const repo = join(example, '../..');

// Each `file:packs/<folder>.tgz` spec in package.json names a folder under packages/.
const manifest = JSON.parse(readFileSync(join(example, 'package.json'), 'utf8'));
const specs = [manifest.dependencies, manifest.devDependencies, manifest.overrides].flatMap(
  Object.values,
);
const packed = [
  ...new Set(specs.flatMap((spec) => /^file:packs\/(.+)\.tgz$/.exec(spec)?.[1] ?? [])),
];

function run(command, args, cwd) {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd, stdio: 'inherit' });
}

for (const output of ['packs', 'node_modules', 'generated', 'atlantis.yaml'])
  rmSync(join(example, output), { recursive: true, force: true });

run(
  'pnpm',
  ['exec', 'nx', 'run-many', '-t', 'build', '-p', ...packed.map((p) => `@atlas/${p}`)],
  repo,
);
for (const folder of packed)
  run(
    'pnpm',
    ['--silent', 'pack', '--out', join(example, 'packs', `${folder}.tgz`)],
    join(repo, 'packages', folder),
  );
run('npm', ['install', '--no-audit', '--no-fund'], example);
for (const script of ['typecheck', 'generate', 'check']) run('npm', ['run', script], example);

// Where Node cannot load TypeScript itself, running the installed command without a loader
// must say how to: exit 2, no trace.
if (!process.features.typescript) {
  const plain = spawnSync(
    process.execPath,
    ['node_modules/.bin/atlas', 'generate', '--check', '--config', 'estate.ts'],
    { cwd: example, encoding: 'utf8' },
  );
  if (
    plain.status !== 2 ||
    !plain.stderr.includes('--import tsx') ||
    /\n\s+at /.test(plain.stderr)
  ) {
    console.error(`expected exit 2 with a loader hint, got ${plain.status}:\n${plain.stderr}`);
    process.exit(1);
  }
  console.log('a TypeScript estate without a loader: exit 2 with a hint');
}
