// pnpm test:consumer: release Atlas through a real npm registry and use it the way another
// project would. From a clean state:
//   1. start a throwaway registry (Verdaccio) on loopback;
//   2. snapshot the working tree into a throwaway git repository and run `pnpm release`
//      there against that registry: every public @atlas package is published and the
//      package and module tags are created in the snapshot, never in this repository;
//   3. check the registry has every package at its version and the snapshot every tag;
//   4. `npm install` this example's @atlas dependencies from the registry by version, then
//      typecheck the estate against the published types, generate, and check the output.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistry } from '../../tools/local-registry.mjs';

const example = fileURLToPath(new URL('.', import.meta.url));
const repo = join(example, '../..');

function run(command, args, cwd, env = {}) {
  console.log(`\n$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd, stdio: 'inherit', env: { ...process.env, ...env } });
}
const read = (command, args, cwd, env = {}) =>
  execFileSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env } }).trim();

const manifestOf = (folder) =>
  JSON.parse(readFileSync(join(repo, 'packages', folder, 'package.json'), 'utf8'));
const publicPackages = readdirSync(join(repo, 'packages'))
  .map(manifestOf)
  .filter((m) => !m.private);
const workspaceVersion = new Map(publicPackages.map((m) => [m.name, m.version]));

// The example pins each @atlas package by exact version: they must be the ones released now.
const manifest = JSON.parse(readFileSync(join(example, 'package.json'), 'utf8'));
for (const [name, spec] of Object.entries({
  ...manifest.dependencies,
  ...manifest.devDependencies,
})) {
  if (!name.startsWith('@atlas/')) continue;
  if (spec !== workspaceVersion.get(name))
    throw new Error(
      `examples/consumer/package.json: ${name} is "${spec}", but the workspace releases ${workspaceVersion.get(name)}; update it`,
    );
}

for (const output of ['node_modules', 'generated', 'atlantis.yaml'])
  rmSync(join(example, output), { recursive: true, force: true });

const registry = await startRegistry();
const snapshot = mkdtempSync(join(tmpdir(), 'atlas-release-'));
try {
  // Tracked and untracked (not ignored) files: what would be committed, as one commit.
  const files = read('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], repo)
    .split('\0')
    .filter((file) => file && existsSync(join(repo, file)));
  for (const file of files) {
    mkdirSync(dirname(join(snapshot, file)), { recursive: true });
    cpSync(join(repo, file), join(snapshot, file), { verbatimSymlinks: true });
  }
  const git = (...args) =>
    read(
      'git',
      ['-c', 'user.name=Atlas release rehearsal', '-c', 'user.email=release@localhost', ...args],
      snapshot,
    );
  git('init', '--quiet');
  git('add', '-A');
  git('commit', '--quiet', '-m', 'Release rehearsal snapshot');

  const releaseEnv = {
    ...registry.env,
    NX_DAEMON: 'false',
    NX_SKIP_NX_CACHE: 'true',
    NX_NO_CLOUD: 'true',
  };
  run('pnpm', ['install', '--frozen-lockfile', '--offline', '--silent'], snapshot, releaseEnv);
  run('pnpm', ['release', '--dry-run'], snapshot, releaseEnv);
  run('pnpm', ['release'], snapshot, releaseEnv);

  const missing = [];
  for (const { name, version } of publicPackages) {
    const listed = read('npm', ['view', `${name}@${version}`, 'version'], snapshot, registry.env);
    if (listed !== version) missing.push(`registry: ${name}@${version}`);
  }
  const tags = new Set(git('tag', '--list').split('\n'));
  const modules = readdirSync(join(repo, 'generated', 'modules'));
  for (const module of modules) {
    const versions = readFileSync(
      join(repo, 'generated', 'modules', module, 'versions.tf'),
      'utf8',
    );
    const [, version, name] = /^# Module \S+ (\S+), from (\S+);/m.exec(versions) ?? [];
    for (const tag of [`${module}-v${version}`, `${name}@${version}`])
      if (!tags.has(tag)) missing.push(`tag: ${tag}`);
  }
  if (missing.length) throw new Error(`the release is incomplete:\n  ${missing.join('\n  ')}`);
  console.log(
    `\nreleased ${publicPackages.length} packages to ${registry.url} and tagged ${modules.length} modules`,
  );

  // Only @atlas comes from the local registry; everything else from npm's usual one.
  run('npm', ['install', '--no-audit', '--no-fund', `--@atlas:registry=${registry.url}`], example);
  for (const script of ['typecheck', 'generate', 'check']) run('npm', ['run', script], example);

  // Where Node cannot load TypeScript itself, running the installed command without a loader
  // must say how to: exit 2, no trace.
  if (!process.features.typescript) {
    const plain = spawnSync(
      process.execPath,
      ['node_modules/.bin/atlas-incus', 'generate', '--check', '--config', 'estate.ts'],
      { cwd: example, encoding: 'utf8' },
    );
    if (
      plain.status !== 2 ||
      !plain.stderr.includes('--import tsx') ||
      /\n\s+at /.test(plain.stderr)
    )
      throw new Error(`expected exit 2 with a loader hint, got ${plain.status}:\n${plain.stderr}`);
    console.log('a TypeScript estate without a loader: exit 2 with a hint');
  }
} finally {
  await registry.stop();
  rmSync(snapshot, { recursive: true, force: true });
}
