// The command line's contract (README "Exit codes"): every user mistake exits 2 with
// `path: message` and a hint, no stack trace and nothing written; what a run did is reported.
import { LOCK, lockOutput, main } from '@atlas/generator';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Fixtures live inside the workspace so their `@atlas/*` imports resolve.
const FIXTURES = join(import.meta.dirname, '.test-fixtures-cli');
const BIN = join(import.meta.dirname, '..', 'packages', 'generator', 'src', 'bin.ts');
let scratch: string;

/** A small estate of two environments (each with its bootstrap); `memory` is prometheus01's in beta. */
function estate(memory = '1GiB', extra = ''): string {
  return `
import { baseInfrastructure } from '@atlas/base';
import { defineEnvironment } from '@atlas/core';
import { defineEstate } from '@atlas/generator';
import { prometheus } from '@atlas/prometheus';
${extra}
function environment(name: string, memory: string) {
  const base = baseInfrastructure({ networks: { management: { ipv4: '10.20.0.1/24' } } });
  const prometheus01 = prometheus({ name: 'prometheus01', network: base.attach('management'), memory });
  return defineEnvironment({ name, description: 'Test.', modules: [base.call, prometheus01] });
}
export default defineEstate({
  repository: 'https://example.com/atlas.git',
  environments: [environment('alpha', '1GiB'), environment('beta', '${memory}')],
});
`;
}

let counter = 0;
/** Write a fixture module (a new name each time: modules are cached by URL). */
function fixture(source: string, ext = 'ts'): string {
  const file = join(FIXTURES, `f${counter++}.${ext}`);
  writeFileSync(file, source);
  return file;
}

/** Hash of everything in `dir` (links by target, modes included), to prove nothing was written. */
function treeHash(dir: string): string {
  const hash = createHash('sha256');
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      const st = lstatSync(full);
      hash.update(`${full}\0${st.mode}\0${st.ino}\0${st.mtimeMs}\0`);
      if (st.isSymbolicLink()) hash.update(readlinkSync(full));
      else if (st.isDirectory()) walk(full);
      else hash.update(readFileSync(full));
    }
  };
  if (existsSync(dir)) walk(dir);
  return hash.digest('hex');
}

async function cli(args: string[], cwd = scratch) {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const before = treeHash(cwd);
  const previous = process.cwd();
  process.chdir(cwd);
  try {
    const code = await main(args, {
      log: (...a: unknown[]) => stdout.push(a.join(' ')),
      error: (...a: unknown[]) => stderr.push(a.join(' ')),
    });
    return {
      code,
      stdout: stdout.join('\n'),
      stderr: stderr.join('\n'),
      unchanged: treeHash(cwd) === before,
    };
  } finally {
    process.chdir(previous);
  }
}

/** The real executable, as `pnpm generate` runs it. */
function bin(args: string[], options: { uid?: number } = {}) {
  // Run from inside the workspace (where tsx resolves); the output goes to the scratch folder.
  const cwd = FIXTURES;
  const out = args.includes('--out') ? [] : ['--out', join(scratch, 'generated')];
  const before = treeHash(scratch);
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--conditions=@atlas/source', BIN, ...args, ...out],
    {
      encoding: 'utf8',
      cwd,
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    },
  );
  return {
    code: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    unchanged: treeHash(scratch) === before,
  };
}

const NO_TRACE = /\n\s+at /;

function expectUserError(
  result: { code: number | null; stderr: string; unchanged: boolean },
  message: string | RegExp,
) {
  expect(result.code, result.stderr).toBe(2);
  expect(result.stderr).toMatch(
    typeof message === 'string' ? new RegExp(escape(message)) : message,
  );
  expect(result.stderr).toMatch(/^hint: .+/m);
  expect(result.stderr).not.toMatch(NO_TRACE);
  expect(result.unchanged).toBe(true);
}
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

let good: string;
beforeAll(async () => {
  mkdirSync(FIXTURES, { recursive: true });
  scratch = mkdtempSync(join(tmpdir(), 'atlas-contract-'));
  good = fixture(estate());
  const first = await cli(['generate', '--config', good]);
  expect(first.code, first.stderr).toBe(0);
});
afterAll(() => {
  rmSync(FIXTURES, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
});

describe('the command line', () => {
  it('--version prints the version', async () => {
    const result = await cli(['--version']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^atlas-incus \d+\.\d+\.\d+$/);
  });

  it('--help prints the usage and every exit code', async () => {
    const result = await cli(['--help']);
    expect(result.code).toBe(0);
    for (const word of ['--check', '--diff', '--env', '--quiet', '--wait', '70', '75'])
      expect(result.stdout).toContain(word);
  });

  it.each([
    [['generate', '--frobnicate'], '--frobnicate: unknown option'],
    [['frobnicate'], 'frobnicate: unknown command'],
    [[], 'command line: no command given'],
    [['generate', 'extra'], 'extra: unexpected argument'],
    [['generate', '--config'], '--config: needs a value'],
    [['generate', '--check=yes'], '--check: takes no value'],
    [['generate', '--diff'], '--diff: only works with --check'],
    [['generate', '--wait', 'soon'], '--wait: expected a number of seconds'],
    [['generate', '--wait', '-1'], '--wait'],
    [['generate', '--file', 'x.json'], '--file: is an option of `atlas-incus inventory`'],
    [['inventory', '--check'], '--check: is an option of `atlas-incus generate`'],
    [['generate', '--config', ''], '--config: is empty'],
    [['generate', '--env', ''], '--env: is empty'],
    [['generate', '--out', ''], '--out: is empty'],
  ])('%j: exits 2 and says what is wrong', async (args, message) => {
    const result = await cli(args);
    expectUserError(result, `error: ${message}`);
    if (message.includes('unknown')) expect(result.stderr).toContain('atlas-incus --help');
  });

  it('an unknown flag of the real executable: exit 2, no trace, points at --help', () => {
    const result = bin(['generate', '--no-such-flag']);
    expectUserError(
      result,
      /error: --no-such-flag: unknown option\nhint: run `atlas-incus --help`/,
    );
  });
});

describe('--config', () => {
  it('missing: names the file', async () => {
    expectUserError(await cli(['generate', '--config', 'nowhere.ts']), 'nowhere.ts: no such file');
  });

  it('a folder', async () => {
    mkdirSync(join(scratch, 'estate'), { recursive: true });
    expectUserError(
      await cli(['generate', '--config', 'estate']),
      /estate: is a folder, not an estate module\nhint: .*estate\/index\.ts/,
    );
  });

  it('a path through a file', async () => {
    writeFileSync(join(scratch, 'plain'), '');
    expectUserError(
      await cli(['generate', '--config', 'plain/index.ts']),
      'plain/index.ts: a part of this path is not a folder',
    );
  });

  it('unreadable', () => {
    const file = fixture(estate());
    chmodSync(file, 0o000);
    // root reads anything: run the real executable as nobody to meet the permission check.
    const result =
      process.getuid?.() === 0
        ? bin(['generate', '--config', file, '--out', join(scratch, 'nobody-out')], { uid: 65534 })
        : bin(['generate', '--config', file]);
    expectUserError(result, /f\d+\.ts: cannot be read \(permission denied\)/);
    expect(existsSync(join(scratch, 'nobody-out'))).toBe(false);
  });

  it('a module whose default export is not an estate', async () => {
    const result = await cli([
      'generate',
      '--config',
      fixture('export default { kind: "nope" };\n'),
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('expected a default export made with defineEstate(…)');
    expect(result.unchanged).toBe(true);
  });

  it('a syntax error: points at the file, line and column', () => {
    const file = fixture(`${estate()}\nconst broken = {;\n`);
    const line = estate().split('\n').length + 1;
    expectUserError(
      bin(['generate', '--config', file]),
      new RegExp(`f\\d+\\.ts:${line}:\\d+: syntax error`),
    );
  });

  it('a throw in the estate: points at the line that threw', () => {
    const file = fixture(`throw new Error('no estate today');\n${estate()}`);
    expectUserError(
      bin(['generate', '--config', file]),
      /f\d+\.ts:1: the estate threw an error: no estate today/,
    );
  });

  it('a throw in a module the estate imports: points at that module', () => {
    const helper = fixture(`export const x = 1;\n\nthrow new TypeError('bad helper');\n`);
    const file = fixture(
      estate('1GiB', `import './${helper.split('/').pop()!.replace(/\.ts$/, '.js')}';`),
    );
    expectUserError(
      bin(['generate', '--config', file]),
      /f\d+\.ts:3: the estate threw TypeError: bad helper/,
    );
  });

  it('an import of a file that does not exist: names the importing line', () => {
    const file = fixture(estate('1GiB', "import { nothing } from './missing.js';\nvoid nothing;"));
    expectUserError(
      bin(['generate', '--config', file]),
      /f\d+\.ts:6: imports '.*missing\.js', which cannot be found\nhint: fix the path/,
    );
  });

  it('an import of a package that is not installed', () => {
    const file = fixture(estate('1GiB', "import { x } from '@atlas/not-a-package';\nvoid x;"));
    expectUserError(
      bin(['generate', '--config', file]),
      /f\d+\.ts:6: imports package '@atlas\/not-a-package', which cannot be found\nhint: install it/,
    );
  });

  it('an import of a name a module does not export', () => {
    const file = fixture(
      estate('1GiB', "import { noSuchBuilder } from '@atlas/core';\nvoid noSuchBuilder;"),
    );
    expectUserError(
      bin(['generate', '--config', file]),
      /f\d+\.ts:6: .*does not provide an export named 'noSuchBuilder'/,
    );
  });

  it('a JavaScript estate with a syntax error: points at the line', () => {
    const file = fixture('export default 1;\nconst x = (;\n', 'mjs');
    expectUserError(
      bin(['generate', '--config', file]),
      /f\d+\.mjs:2: syntax error: Unexpected token/,
    );
  });

  // Node 22.18+ and 24 strip types themselves: there a .ts estate loads with no loader at all.
  const nodeLoadsTypeScript = Boolean(
    (process.features as { typescript?: string | false }).typescript,
  );
  it.skipIf(nodeLoadsTypeScript)(
    'a TypeScript estate without a loader: says how to run it',
    async () => {
      // What Node itself throws for a .ts module when no loader is registered.
      const file = fixture(estate());
      const plain = spawnSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `try { await import(${JSON.stringify(`file://${file}`)}) } catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })) }`,
        ],
        { encoding: 'utf8' },
      );
      const thrown = JSON.parse(plain.stdout) as { code: string; message: string };
      expect(thrown.code).toBe('ERR_UNKNOWN_FILE_EXTENSION');
      const { explainLoadError } = await import('../packages/generator/src/estate-load.js');
      const error = Object.assign(new TypeError(thrown.message), { code: thrown.code });
      const explained = explainLoadError(error, file)!;
      expect(explained.message).toMatch(
        /f\d+\.ts: is TypeScript, and no TypeScript loader is active/,
      );
      expect(explained.hint).toContain('node --import tsx node_modules/.bin/atlas-incus generate');
    },
  );
});

describe('--out', () => {
  it.each([
    [['--out', '.'], '--out .: would make Atlas own the whole folder it runs in'],
    [['--out', './'], 'would make Atlas own the whole folder'],
    [['--out', '/'], 'would make Atlas own the whole folder'],
  ])('%j is refused', async (args, message) => {
    expectUserError(await cli(['generate', '--config', good, ...args]), message);
  });

  it('a regular file is refused', async () => {
    writeFileSync(join(scratch, 'a-file'), 'mine\n');
    expectUserError(
      await cli(['generate', '--config', good, '--out', 'a-file']),
      '--out a-file: is a file, not a folder',
    );
    expect(readFileSync(join(scratch, 'a-file'), 'utf8')).toBe('mine\n');
  });

  it('a dangling link is refused', async () => {
    symlinkSync('nowhere', join(scratch, 'dangling-out'));
    const result = await cli(['generate', '--config', good, '--out', 'dangling-out']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      'dangling-out: is a symbolic link to a folder that does not exist',
    );
    expect(result.unchanged).toBe(true);
  });

  it('a link to a folder: writes into its target and keeps the link', async () => {
    mkdirSync(join(scratch, 'elsewhere', 'target'), { recursive: true });
    mkdirSync(join(scratch, 'linked'), { recursive: true });
    symlinkSync('../elsewhere/target', join(scratch, 'linked', 'generated'));
    const result = await cli(['generate', '--config', good, '--out', 'linked/generated']);
    expect(result.code, result.stderr).toBe(0);
    expect(lstatSync(join(scratch, 'linked', 'generated')).isSymbolicLink()).toBe(true);
    expect(
      existsSync(join(scratch, 'elsewhere', 'target', 'environments', 'alpha', 'main.tf')),
    ).toBe(true);
    expect(existsSync(join(scratch, 'linked', 'atlantis.yaml'))).toBe(true);
  });
});

describe('what a run reports', () => {
  it('lists created, changed and deleted files and one summary line with the time', async () => {
    const dir = mkdtempSync(join(scratch, 'report-'));
    const first = await cli(['generate', '--config', good], dir);
    expect(first.stdout).toMatch(/^created generated\/environments\/alpha\/main\.tf$/m);
    expect(first.stdout).toMatch(/^created atlantis\.yaml$/m);
    const result = await cli(['generate', '--config', fixture(estate('2GiB'))], dir);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^changed generated\/environments\/beta\/main\.tf$/m);
    expect(result.stdout).not.toContain('alpha');
    expect(result.stdout.split('\n').at(-1)).toMatch(
      /^generated\/ and atlantis\.yaml: 0 created, \d+ changed, 0 deleted, \d+ unchanged \(\d+ ms\)$/,
    );
    const oneEnv = fixture(estate('2GiB').replace("environment('alpha', '1GiB'), ", ''));
    const removed = await cli(['generate', '--config', oneEnv], dir);
    expect(removed.stdout).toMatch(/^deleted generated\/environments\/alpha\/main\.tf$/m);
    expect(existsSync(join(dir, 'generated', 'environments', 'alpha'))).toBe(false);
  });

  it('--quiet prints nothing when all is well', async () => {
    const dir = mkdtempSync(join(scratch, 'quiet-'));
    const result = await cli(['generate', '--quiet', '--config', good], dir);
    expect(result).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect((await cli(['generate', '--check', '-q', '--config', good], dir)).stdout).toBe('');
  });

  it('--check --diff prints a unified diff that patch applies, and writes nothing', async () => {
    const dir = mkdtempSync(join(scratch, 'diff-'));
    await cli(['generate', '--config', good], dir);
    const copy = join(dir, 'copy');
    cpSync(join(dir, 'generated'), copy, { recursive: true });
    const changed = fixture(estate('3GiB'));
    const result = await cli(['generate', '--check', '--diff', '--config', changed], dir);
    expect(result.code).toBe(1);
    expect(result.unchanged).toBe(true);
    expect(result.stdout).toMatch(/^--- a\/generated\/environments\/beta\/main\.tf$/m);
    expect(result.stdout).toMatch(/^\+  memory_limit += "3GiB"$/m);
    const diffs = result.stdout.slice(result.stdout.indexOf('--- '));
    const patch = spawnSync('patch', ['-p2', '-d', copy], {
      input: `${diffs}\n`,
      encoding: 'utf8',
    });
    expect(patch.status, patch.stdout + patch.stderr).toBe(0);
    await cli(['generate', '--config', changed], dir);
    for (const file of ['environments/beta/main.tf', '.atlas-manifest.json'])
      expect(readFileSync(join(copy, file), 'utf8')).toBe(
        readFileSync(join(dir, 'generated', file), 'utf8'),
      );
  });

  it('--check names a file edited by hand, and generate restores it', async () => {
    const dir = mkdtempSync(join(scratch, 'edited-'));
    await cli(['generate', '--config', good], dir);
    const main = join(dir, 'generated', 'environments', 'alpha', 'main.tf');
    const original = readFileSync(main, 'utf8');
    writeFileSync(main, original.replace('prometheus01', 'prometheus99'));
    const check = await cli(['generate', '--check', '--config', good], dir);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain(
      'modified generated/environments/alpha/main.tf (edited by hand since it was generated)',
    );
    expect((await cli(['generate', '--config', good], dir)).code).toBe(0);
    expect(readFileSync(main, 'utf8')).toBe(original);
  });

  it('--env renders and checks one environment and the modules it uses', async () => {
    const dir = mkdtempSync(join(scratch, 'env-'));
    await cli(['generate', '--config', good], dir);
    const changed = fixture(estate('2GiB'));
    expect(
      (await cli(['generate', '--check', '--env', 'alpha', '--config', changed], dir)).code,
    ).toBe(0);
    expect(
      (await cli(['generate', '--check', '--env', 'beta', '--config', changed], dir)).code,
    ).toBe(1);
    const result = await cli(['generate', '--env', 'beta', '--config', changed], dir);
    expect(result.stdout).toMatch(/^changed generated\/environments\/beta\/main\.tf$/m);
    expect(result.stdout).toMatch(/^generated\/ \(environment beta\): /m);
    expect((await cli(['generate', '--check', '--config', changed], dir)).code).toBe(0);
  });

  it('--env with a name the estate lacks lists the ones it has', async () => {
    expectUserError(
      await cli(['generate', '--env', 'gamma', '--config', good]),
      /--env gamma: no such environment\nhint: the estate has: alpha, beta/,
    );
  });
});

describe("files that are not Atlas's", () => {
  it('a hand-written atlantis.yaml: exit 2 before anything is written', async () => {
    const dir = mkdtempSync(join(scratch, 'hand-'));
    writeFileSync(join(dir, 'atlantis.yaml'), 'version: 3\n');
    const result = await cli(['generate', '--config', good], dir);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("atlantis.yaml: exists and is not Atlas's");
    expect(result.stderr).not.toMatch(NO_TRACE);
    expect(readdirSync(dir)).toEqual(['atlantis.yaml']);
  });

  it('another run holding the lock: exit 75 with a clear message, never 70', async () => {
    const dir = mkdtempSync(join(scratch, 'locked-'));
    await cli(['generate', '--config', good], dir);
    const unlock = lockOutput(join(dir, 'generated'), 0);
    try {
      const result = await cli(
        ['generate', '--wait', '0', '--config', fixture(estate('2GiB'))],
        dir,
      );
      expect(result.code).toBe(75);
      expect(result.stderr).toMatch(
        new RegExp(
          `another \`atlas-incus generate\` \\(process ${process.pid}\\) is writing here and holds generated/${escape(LOCK)}`,
        ),
      );
      expect(result.stderr).toMatch(/^hint: wait for it/m);
    } finally {
      unlock();
    }
  });

  it('inventory --file that does not exist', async () => {
    expectUserError(
      await cli(['inventory', '--file', 'nowhere.json']),
      '--file nowhere.json: cannot be read (ENOENT)',
    );
  });
});

/** Every entry under `root` with kind, mode, bytes or link target, inode and (files, links) mtime. */
function entries(root: string, only: (rel: string) => boolean = () => true): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = full.slice(root.length + 1);
      const st = lstatSync(full);
      if (st.isDirectory() && !st.isSymbolicLink()) walk(full);
      if (!only(rel)) continue;
      const id = `${(st.mode & 0o7777).toString(8)} ${st.ino} ${st.mtimeMs}`;
      if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(full)} ${id}`);
      // A folder's mtime changes whenever a file in it is replaced; it is kept, not recreated.
      else if (st.isDirectory()) out.set(rel, `dir ${(st.mode & 0o7777).toString(8)} ${st.ino}`);
      else
        out.set(rel, `file ${id} ${createHash('sha256').update(readFileSync(full)).digest('hex')}`);
    }
  };
  walk(root);
  return out;
}

const ROOT_MODULES = ['environments/alpha', 'environments/beta', 'environments/alpha/bootstrap'];
const OPERATOR =
  /(^|\/)(\.terraform|terraform\.tfvars|backend\.hcl|\.terraform\.lock\.hcl|NOTES\.md|provider-link|module-link|dangling)(\/|$)/;

describe("the operator's files", () => {
  it('stay byte-identical, with their mode, through changing generates, --check and failing runs', async () => {
    const dir = mkdtempSync(join(scratch, 'operator-'));
    expect((await cli(['generate', '--config', good], dir)).code).toBe(0);
    const generated = join(dir, 'generated');
    for (const module of ROOT_MODULES) {
      const at = join(generated, module);
      const provider = join(
        at,
        '.terraform',
        'providers',
        'registry.opentofu.org',
        'lxc',
        'incus',
        'terraform-provider-incus',
      );
      mkdirSync(join(provider, '..'), { recursive: true });
      // A binary that is not valid UTF-8, executable.
      writeFileSync(
        provider,
        Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131 + 7) % 256)),
      );
      chmodSync(provider, 0o755);
      writeFileSync(join(at, '.terraform.lock.hcl'), '# lock\n');
      writeFileSync(join(at, 'backend.hcl'), 'access_key = "secret"\n');
      chmodSync(join(at, 'backend.hcl'), 0o600);
      // Copied from the example, header and all: still the operator's.
      const example = join(generated, module.replace('/bootstrap', ''), 'terraform.tfvars.example');
      writeFileSync(join(at, 'terraform.tfvars'), readFileSync(example));
      chmodSync(join(at, 'terraform.tfvars'), 0o600);
      writeFileSync(join(at, 'NOTES.md'), 'mine\n');
      symlinkSync('.terraform/providers', join(at, 'provider-link'));
      symlinkSync('main.tf', join(at, 'module-link'));
      symlinkSync('nowhere/at/all', join(at, 'dangling'));
    }
    const operator = () => entries(generated, (rel) => OPERATOR.test(rel));
    const before = operator();
    expect([...before.keys()].filter((k) => k.endsWith('terraform.tfvars'))).toHaveLength(3);

    const runs: Array<[string[], number]> = [
      [['generate', '--config', fixture(estate('2GiB'))], 0],
      [['generate', '--pinned-sources', '--config', good], 0],
      [['generate', '--check', '--config', good], 1],
      [['generate', '--check', '--diff', '--config', good], 1],
      [['generate', '--config', fixture(estate('lots'))], 2],
      [['generate', '--config', fixture(`throw new Error('x');\n${estate()}`)], 2],
      [['generate', '--env', 'gamma', '--config', good], 2],
      [['generate', '--env', 'beta', '--config', fixture(estate('3GiB'))], 0],
      [
        [
          'generate',
          '--config',
          fixture(estate('2GiB').replace("environment('alpha', '1GiB'), ", '')),
        ],
        0,
      ],
      [['generate', '--config', good], 0],
      [['generate', '--check', '--config', good], 0],
    ];
    for (const [args, code] of runs) {
      const result = await cli(args, dir);
      expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(code);
      expect(operator(), args.join(' ')).toEqual(before);
    }
    // Taking alpha out deleted its generated files only; what is left there is the operator's.
    expect(existsSync(join(generated, 'environments', 'alpha', 'main.tf'))).toBe(true);
  });

  it("editing one service's memory rewrites only the files whose bytes change", async () => {
    const dir = mkdtempSync(join(scratch, 'inodes-'));
    await cli(['generate', '--config', good], dir);
    const before = entries(dir);
    const result = await cli(['generate', '--config', fixture(estate('2GiB'))], dir);
    expect(result.code).toBe(0);
    const after = entries(dir);
    expect([...after.keys()]).toEqual([...before.keys()]);
    const content = (e: string) => e.split(' ').at(-1);
    const rewritten = [...after].filter(([k, v]) => v !== before.get(k)).map(([k]) => k);
    const changedBytes = [...after]
      .filter(([k, v]) => content(v) !== content(before.get(k)!))
      .map(([k]) => k);
    // Only files are rewritten (folders untouched), and exactly those whose bytes differ.
    expect(rewritten).toEqual(changedBytes);
    expect(rewritten).toEqual([
      'generated/.atlas-manifest.json',
      'generated/environments/beta/SUMMARY.md',
      'generated/environments/beta/main.tf',
    ]);
  });
});

describe('two real generates at once', () => {
  it('both finish (one waits for the other), never 70, and the tree is one of the two', async () => {
    const dir = mkdtempSync(join(scratch, 'race-'));
    const out = join(dir, 'generated');
    const estates = [good, fixture(estate('2GiB'))];
    const run = (config: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(
          process.execPath,
          [
            '--import',
            'tsx',
            '--conditions=@atlas/source',
            BIN,
            'generate',
            '--config',
            config,
            '--out',
            out,
          ],
          { cwd: FIXTURES },
        );
        let stderr = '';
        child.stderr.on('data', (d) => (stderr += d));
        child.on('exit', (code) => resolve({ code, stderr }));
      });
    for (let round = 0; round < 3; round++) {
      const results = await Promise.all(estates.map(run));
      expect(
        results.map((r) => r.code),
        results.map((r) => r.stderr).join('\n'),
      ).toEqual([0, 0]);
      const checks: number[] = [];
      for (const config of estates)
        checks.push(
          (await cli(['generate', '--check', '--config', config, '--out', out], dir)).code,
        );
      expect(checks.sort()).toEqual([0, 1]);
      expect(
        readdirSync(out).filter((n) => n.startsWith('.atlas-') && n !== '.atlas-manifest.json'),
      ).toEqual([]);
    }
  }, 120_000);
});
