import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The scaffold run as a contributor runs it, in a throwaway copy of this checkout (its tracked
// and new files, without node_modules or build output), linked by `pnpm install --offline`.
const repo = join(import.meta.dirname, '..');
let copy;

/** Runs a command in the copy; every one is bounded, so a hang fails the test instead. */
function run(command, args, cwd = copy, timeout = 120_000) {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    timeout,
    env: { ...process.env, NX_DAEMON: 'false', NX_SKIP_NX_CACHE: 'true', NX_NO_CLOUD: 'true' },
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}
const scaffold = (...args) => run('node', ['tools/new-service.mjs', ...args]);
const bin = (name) => join(copy, 'node_modules/.bin', name);

/** The files whose content a refused run must leave alone. */
function registrationState() {
  return {
    packages: readdirSync(join(copy, 'packages')).sort(),
    index: readFileSync(join(copy, 'environments/index.ts'), 'utf8'),
    manifest: readFileSync(join(copy, 'environments/package.json'), 'utf8'),
  };
}

beforeAll(() => {
  copy = mkdtempSync(join(tmpdir(), 'atlas-new-service-'));
  const listed = spawnSync('git', ['ls-files', '-z', '-co', '--exclude-standard'], {
    cwd: repo,
    encoding: 'utf8',
  });
  expect(listed.status, `git ls-files (the test copies a git checkout):\n${listed.stderr}`).toBe(0);
  const files = listed.stdout.split('\0');
  for (const file of files.filter((f) => f && existsSync(join(repo, f)))) {
    mkdirSync(dirname(join(copy, file)), { recursive: true });
    cpSync(join(repo, file), join(copy, file));
  }
  const install = run('pnpm', ['install', '--offline', '--frozen-lockfile']);
  expect(install.status, install.output).toBe(0);
}, 120_000);
afterAll(() => rmSync(copy, { recursive: true, force: true }));

describe('pnpm new:service', () => {
  it('refuses a bad or taken name and bad options with exit 2, writing nothing', () => {
    const before = registrationState();
    const cases = [
      [
        ['Redis', '--apt', 'redis-server=5:8.0.2-3', '--port', '6379'],
        /NAME "Redis": expected lowercase/,
      ],
      [
        ['loki', '--apt', 'loki=3.0.0', '--port', '3100'],
        /NAME "loki": packages\/loki already exists/,
      ],
      [['tools', '--apt', 'x11=1.0', '--port', '80'], /@atlas\/tools is the tools package/],
      [['delete', '--apt', 'x11=1.0', '--port', '80'], /JavaScript reserved word/],
      [['redis', '--apt', 'redis-server', '--port', '6379'], /--apt: expected PACKAGE=VERSION/],
      [['redis', '--apt', 'redis-server=5:8.0.2-3', '--port', '70000'], /--port: expected/],
      [['redis', '--apt', 'redis-server=5:8.0.2-3'], /--port: expected/],
      [['redis', 'valkey', '--apt', 'redis-server=5:8.0.2-3', '--port', '6379'], /one NAME/],
    ];
    for (const [args, message] of cases) {
      const result = scaffold(...args);
      expect(result.output).toMatch(message);
      expect(result.output).not.toMatch(/    at /);
      expect(result.status).toBe(2);
    }
    expect(registrationState()).toEqual(before);
  });

  it('writes a package whose typecheck, lint, tests, build and package check pass, and generate writes its module', () => {
    const before = registrationState();
    const made = scaffold('key-value', '--apt', 'redis-server=5:8.0.2-3', '--port', '6379');
    expect(made.status, made.output).toBe(0);

    // What a contributor then edits by hand: the module, the builder, its test and its README.
    // Registration is two lines of environments/index.ts and one of environments/package.json.
    const after = registrationState();
    expect(after.packages).toEqual([...before.packages, 'key-value'].sort());
    expect(after.index).toContain("import { keyValueModule } from '@atlas/key-value';");
    expect(after.index).toContain('  incusVmModule,\n  keyValueModule,\n  lokiModule,\n');
    expect(JSON.parse(after.manifest).dependencies['@atlas/key-value']).toBe('workspace:^');
    expect(readFileSync(join(copy, 'pnpm-lock.yaml'), 'utf8')).toContain(
      '\n  packages/key-value:\n',
    );
    expect(readdirSync(join(copy, 'packages/key-value/src')).sort()).toEqual([
      'index.ts',
      'key-value.test.ts',
      'module.ts',
    ]);

    const pkg = join(copy, 'packages/key-value');
    const checks = [
      ['typecheck', bin('tsc'), ['-p', 'tsconfig.json'], pkg],
      ['lint', bin('prettier'), ['--check', 'src', 'README.md'], pkg],
      ['lint', bin('prettier'), ['--check', 'environments/index.ts', 'environments/package.json']],
      ['test', bin('vitest'), ['run'], pkg],
      ['build', bin('nx'), ['run', '@atlas/key-value:build', '--skip-nx-cache']],
      ['check-package', 'pnpm', ['run', 'check-package'], pkg],
      ['generate', 'node', ['tools/generate.mjs', 'generate']],
      ['generate --check', 'node', ['tools/generate.mjs', 'generate', '--check']],
    ];
    for (const [name, command, args, cwd] of checks) {
      const result = run(command, args, cwd);
      expect(result.status, `${name}:\n${result.output}`).toBe(0);
    }
    expect(existsSync(join(pkg, 'dist/index.d.ts'))).toBe(true);
    const main = readFileSync(join(copy, 'generated/modules/key-value/main.tf'), 'utf8');
    expect(main).toContain('resource "incus_instance" "this"');
    expect(readFileSync(join(copy, 'generated/modules/key-value/variables.tf'), 'utf8')).toContain(
      'variable "port"',
    );
  }, 240_000);
});
