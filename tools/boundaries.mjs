// pnpm test (target `boundaries` of @atlas/tools): the one-direction data path of STYLE.md and
// the dependencies each package declares.
//   dependency-cruiser  .dependency-cruiser.cjs: layers, and no import cycles, type-only ones
//                       included (there is no list of known exceptions).
//   knip                knip.jsonc: a dependency no file uses, or an import no package.json lists.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const bin = (name) => join(repo, 'node_modules', '.bin', name);

const checks = [
  [
    'dependency-cruiser',
    bin('depcruise'),
    [
      '--config',
      '.dependency-cruiser.cjs',
      '--output-type',
      'err',
      'packages',
      'environments',
      'tools',
    ],
  ],
  ['knip', bin('knip'), ['--include', 'dependencies,unlisted,unresolved', '--no-progress']],
];

// Both at once, each one's output printed whole when it ends.
const results = await Promise.all(
  checks.map(
    ([name, command, args]) =>
      new Promise((resolve) => {
        const started = performance.now();
        const child = spawn(command, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        child.stdout.on('data', (chunk) => (output += chunk));
        child.stderr.on('data', (chunk) => (output += chunk));
        child.on('close', (code) => {
          const seconds = ((performance.now() - started) / 1000).toFixed(1);
          process.stdout.write(output);
          console.log(`${name}: ${code === 0 ? 'ok' : 'FAILED'} (${seconds}s)`);
          resolve(code === 0);
        });
      }),
  ),
);
process.exit(results.every(Boolean) ? 0 : 1);
