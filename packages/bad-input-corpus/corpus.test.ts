import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cp, lstat, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Every file in cases/ is a bad estate description. Each is run through the
 * built `atlas` executable exactly as a user runs it (`atlas generate --config
 * <case> --out <dir>`, plain node, no loader), against an output folder that
 * holds a valid generate: it must exit 2, name the field path (each
 * `// expect:` line, or the JSON's "//" entries), print no stack trace and
 * leave the folder byte for byte, mode for mode, as it was.
 */
const HERE = import.meta.dirname;
const CASES = join(HERE, 'cases');
const generatorDir = dirname(
  createRequire(import.meta.url).resolve('@atlas/generator/package.json'),
);
const BIN = join(generatorDir, 'dist', 'bin.js');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const atlas = (cwd: string, ...args: string[]) =>
  new Promise<Run>((done) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout: 30_000 }, (error, stdout, stderr) =>
      done({
        code: error ? (typeof error.code === 'number' ? error.code : null) : 0,
        stdout,
        stderr,
      }),
    );
  });

/** Paths, modes and bytes of everything under `root`. */
async function treeHash(root: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir)).sort();
    for (const name of entries) {
      const full = join(dir, name);
      const info = await lstat(full);
      hash.update(`${relative(root, full)}\0${info.mode}\0`);
      if (info.isDirectory()) await walk(full);
      else hash.update(await readFile(full)).update('\0');
    }
  };
  await walk(root);
  return hash.digest('hex');
}

/** What a case expects stderr to contain. */
async function expectations(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  // A JSON case holds its expectations in "//", unless it is not JSON at all.
  if (file.endsWith('.json') && !text.startsWith('//')) {
    const notes = (JSON.parse(text) as { '//'?: string | string[] })['//'] ?? [];
    return (Array.isArray(notes) ? notes : [notes]).map((n) => n.replace(/^expect: /, ''));
  }
  return [...text.matchAll(/^\/\/ expect: (.+)$/gm)].map((m) => m[1]!);
}

/** The workspace packages this corpus runs, with those they depend on. */
async function builtPackages(dir: string, seen = new Set<string>()): Promise<Set<string>> {
  const resolve = createRequire(join(dir, 'package.json')).resolve;
  const manifest = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  for (const name of Object.keys(manifest.dependencies ?? {})) {
    if (!name.startsWith('@atlas/')) continue;
    const found = dirname(resolve(`${name}/package.json`));
    if (seen.has(found)) continue;
    seen.add(found);
    await builtPackages(found, seen);
  }
  return seen;
}

/** dist/ must be built from the current source, or the corpus would test old code. */
async function assertBuilt(): Promise<void> {
  const stale = `${BIN} is missing or older than the source: run \`pnpm build\` (nx builds it before this test)`;
  for (const dir of await builtPackages(HERE)) {
    const dist = await stat(join(dir, 'dist', 'index.js')).catch(() => undefined);
    const sources = (await readdir(join(dir, 'src'), { recursive: true })).filter(
      (f) => f.endsWith('.ts') && !f.includes('.test') && !f.startsWith('fixtures'),
    );
    for (const file of sources) {
      const changed = (await stat(join(dir, 'src', file))).mtimeMs;
      if (!dist || changed > dist.mtimeMs) throw new Error(`${stale} (${join(dir, 'src', file)})`);
    }
  }
}

const cases = (await readdir(CASES)).filter((f) => /\.(mjs|json)$/.test(f)).sort();
let work: string;
let before: string;

beforeAll(async () => {
  await assertBuilt();
  work = await mkdtemp(join(tmpdir(), 'atlas-corpus-'));
  const good = await atlas(
    work,
    'generate',
    '--config',
    join(HERE, 'good.mjs'),
    '--out',
    'generated',
  );
  expect(good.stderr).toBe('');
  expect(good.code).toBe(0);
  before = await treeHash(work);
});
afterAll(() => (work ? rm(work, { recursive: true, force: true }) : undefined));

it('holds at least 100 cases, each with an expectation', async () => {
  expect(cases.length).toBeGreaterThanOrEqual(100);
  for (const file of cases) expect(await expectations(join(CASES, file)), file).not.toEqual([]);
});

describe.concurrent('atlas generate refuses', () => {
  it.each(cases)('%s', async (file) => {
    // A copy per case: cases run two at a time, and one that reaches the write layer holds
    // the folder's lock file for a moment, which another case's tree hash would see.
    const own = await mkdtemp(join(tmpdir(), 'atlas-corpus-case-'));
    try {
      await cp(work, own, { recursive: true, verbatimSymlinks: true });
      const result = await atlas(
        own,
        'generate',
        '--config',
        join(CASES, file),
        '--out',
        'generated',
      );
      expect(result.stderr).not.toMatch(/\n\s+at |internal error/);
      for (const text of await expectations(join(CASES, file)))
        expect(result.stderr).toContain(text);
      expect(result.code).toBe(2);
      expect(await treeHash(own)).toBe(before);
    } finally {
      await rm(own, { recursive: true, force: true });
    }
  });
});

it('--allow-delete-all lets an estate that renders nothing delete every generated file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'atlas-corpus-'));
  try {
    const config = (name: string) => ['--config', name, '--out', 'generated'];
    expect((await atlas(dir, 'generate', ...config(join(HERE, 'good.mjs')))).code).toBe(0);
    const empty = join(CASES, 'delete-everything.mjs');
    const run = await atlas(dir, 'generate', ...config(empty), '--allow-delete-all');
    // It goes ahead, and says which data volumes the next apply would destroy.
    const lines = run.stderr.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines)
      expect(line).toMatch(/^warning: .* the next apply destroys its data volume "[^"]+"/);
    expect(run.code).toBe(0);
    const left = await readdir(join(dir, 'generated'), { recursive: true, withFileTypes: true });
    // Only Atlas's own bookkeeping stays: an empty manifest and the folder's .gitignore.
    expect(
      left
        .filter((entry) => entry.isFile())
        .map((entry) => entry.name)
        .sort(),
    ).toEqual(['.atlas-manifest.json', '.gitignore']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
