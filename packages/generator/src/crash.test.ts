// Real processes killed with SIGKILL at random points of a changing write, and
// real processes racing for the same output folder.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
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
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withHeader } from './header.js';
import { JOURNAL, syncTree, type OutputFiles } from './tree.js';

const scratch = mkdtempSync(join(tmpdir(), 'atlas-crash-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Two renders that differ in most files: changed, created, deleted, a script, the beside file. */
function render(variant: 'a' | 'b'): OutputFiles {
  const files = new Map<string, string>();
  for (let i = 0; i < 30; i++) {
    const body =
      i % 3 === 0 ? `same = ${i}\n` : `value = "${variant}${i}"\n${'# padding\n'.repeat(50)}`;
    files.set(`modules/m${i}/main.tf`, withHeader('main.tf', body));
  }
  for (let i = 0; i < 10; i++)
    files.set(`modules/only-${variant}${i}/main.tf`, withHeader('main.tf', `${variant} = ${i}\n`));
  for (const env of ['environments/e1', 'environments/e2']) {
    files.set(`${env}/main.tf`, withHeader('main.tf', `env = "${variant}"\n`));
    files.set(
      `${env}/terraform.tfvars.example`,
      withHeader('x.example', `secret = "<${variant}>"\n`),
    );
    files.set(`${env}/bootstrap/main.tf`, withHeader('main.tf', `bootstrap = "${variant}"\n`));
    files.set(
      `${env}/backup.sh`,
      withHeader('backup.sh', `#!/usr/bin/env bash\necho ${variant}\n`),
    );
  }
  return {
    files,
    beside: new Map([['atlantis.yaml', withHeader('atlantis.yaml', `v: ${variant}\n`)]]),
  };
}

const OPERATOR_DIRS = ['environments/e1', 'environments/e2', 'environments/e1/bootstrap'];

/** What an operator leaves in a root module after `tofu init` and copying the tfvars example. */
function plantOperatorFiles(root: string): void {
  for (const dir of OPERATOR_DIRS) {
    const at = join(root, dir);
    mkdirSync(join(at, '.terraform', 'providers', 'incus'), { recursive: true });
    const binary = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 7919) % 256));
    writeFileSync(
      join(at, '.terraform', 'providers', 'incus', 'terraform-provider-incus'),
      binary,
      { mode: 0o755 },
    );
    chmodSync(join(at, '.terraform', 'providers', 'incus', 'terraform-provider-incus'), 0o755);
    writeFileSync(join(at, 'backend.hcl'), 'access_key = "AKIA"\n');
    chmodSync(join(at, 'backend.hcl'), 0o600);
    writeFileSync(
      join(at, 'terraform.tfvars'),
      readFileSync(join(root, 'environments/e1/terraform.tfvars.example')),
    );
    chmodSync(join(at, 'terraform.tfvars'), 0o600);
    symlinkSync('main.tf', join(at, 'link-to-file'));
    symlinkSync('.terraform', join(at, 'link-to-dir'));
    symlinkSync('nowhere', join(at, 'dangling'));
  }
}

/** Each entry under `root`: kind, mode, content or link target; with `identity`, inode and mtime too. */
function snapshot(
  root: string,
  identity: boolean,
  only?: (path: string) => boolean,
): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const rel = full.slice(root.length + 1);
      const st = lstatSync(full);
      const id = identity ? ` ${st.ino} ${st.mtimeMs}` : '';
      if (st.isDirectory()) walk(full);
      if (only && !only(rel)) continue;
      if (st.isSymbolicLink()) out.set(rel, `link ${readlinkSync(full)}${id}`);
      else if (st.isDirectory()) out.set(rel, `dir`);
      else
        out.set(
          rel,
          `${(st.mode & 0o777).toString(8)}${id} ${readFileSync(full).toString('base64')}`,
        );
    }
  };
  walk(root);
  return out;
}

const operatorPath = (rel: string) =>
  OPERATOR_DIRS.some((d) => rel.startsWith(`${d}/`)) &&
  /(^|\/)(\.terraform|backend\.hcl|terraform\.tfvars|link-to-file|link-to-dir|dangling)(\/|$)/.test(
    rel,
  );

const readJournalState = (out: string) => {
  try {
    return readFileSync(join(out, JOURNAL), 'utf8');
  } catch {
    return '';
  }
};

const STRAY = /\.atlas-tmp$|\.atlas-journal|\.atlas-lock/;

// The children run the write layer compiled to JavaScript by the project's TypeScript, so
// that each starts in a few tens of milliseconds (no loader) and the test stays short.
const BUILT = join(scratch, 'built');
const tsc = spawnSync(
  process.execPath,
  [
    join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc'),
    ...['--ignoreConfig', '--outDir', BUILT, '--module', 'nodenext', '--target', 'es2022'],
    ...['--noCheck', '--skipLibCheck', '--types', 'node', join(import.meta.dirname, 'tree.ts')],
  ],
  { encoding: 'utf8' },
);
if (tsc.status !== 0) throw new Error(`tsc failed: ${tsc.stdout}${tsc.stderr}`);
writeFileSync(join(BUILT, 'package.json'), '{ "type": "module" }\n');
const TREE_MODULE = join(BUILT, 'tree.js');
const CHILD = join(scratch, 'child.mjs');
writeFileSync(
  CHILD,
  `import { readFileSync } from 'node:fs';
const { syncTree } = await import(${JSON.stringify(TREE_MODULE)});
const [mode, out, ...sets] = process.argv.slice(2);
const load = (f) => {
  const j = JSON.parse(readFileSync(f, 'utf8'));
  return { files: new Map(j.files), beside: new Map(j.beside) };
};
const renders = sets.map(load);
// Started ahead of time, each child waits for "go" so its start-up is not part of the test.
process.stdout.write('ready\\n');
await new Promise((go) => process.stdin.once('data', go));
if (mode === 'loop') for (let i = 0; ; i++) syncTree(out, renders[i % 2]);
try {
  syncTree(out, renders[0], { lockWaitMs: 30000 });
  process.exit(0);
} catch (e) {
  process.stderr.write(String(e && e.stack));
  process.exit(e && e.name === 'LockBusy' ? 75 : 70);
}
`,
);
const saveRender = (name: string, r: OutputFiles) => {
  const file = join(scratch, `${name}.json`);
  writeFileSync(file, JSON.stringify({ files: [...r.files], beside: [...(r.beside ?? [])] }));
  return file;
};
const A = render('a');
const B = render('b');
const A_FILE = saveRender('a', A);
const B_FILE = saveRender('b', B);

function startChild(args: string[]) {
  const child = spawn(process.execPath, [CHILD, ...args], {
    cwd: import.meta.dirname,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: Buffer) => d.includes('ready') && resolve());
    child.on('exit', () => reject(new Error(`child exited before it was ready: ${stderr}`)));
  });
  ready.catch(() => {}); // a child killed before it was needed is not a failure
  const exit = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );
  return { child, ready, exit, stderr: () => stderr };
}

/** A clean write of `r` into a fresh folder: what every interrupted tree must end up as. */
function cleanTree(r: OutputFiles): string {
  const dir = mkdtempSync(join(scratch, 'clean-'));
  syncTree(join(dir, 'generated'), r);
  return dir;
}

/** An output folder written with `first`, operator files planted; and what both renders look like clean. */
function setUp(name: string, first: OutputFiles) {
  const dir = join(scratch, name);
  const out = join(dir, 'generated');
  syncTree(out, first);
  plantOperatorFiles(out);
  const clean = { a: cleanTree(A), b: cleanTree(B) };
  return {
    dir,
    out,
    clean,
    operator: snapshot(out, true, operatorPath),
    snapshots: {
      a: snapshot(join(clean.a, 'generated'), false),
      b: snapshot(join(clean.b, 'generated'), false),
    },
  };
}

describe('a run killed at any instant', () => {
  it('is finished or undone by the next run: exactly the old or the new tree, operator files untouched', async () => {
    const { dir, out, clean, operator, snapshots } = setUp('killed', B);
    const expected = (variant: 'a' | 'b') => snapshots[variant];
    const besideOf = (root: string) => readFileSync(join(root, 'atlantis.yaml'), 'utf8');
    const ours = (root: string) => snapshot(root, false, (rel) => !operatorPath(rel));
    const seen = { none: 0, prepared: 0, committed: 0 };
    const KILLS = 50;
    let next = startChild(['loop', out, A_FILE, B_FILE]);
    for (let kill = 0; kill < KILLS; kill++) {
      const run = next;
      await run.ready;
      next = startChild(['loop', out, A_FILE, B_FILE]);
      run.child.stdin.write('go\n');
      if (kill % 2) {
        await new Promise((r) => setTimeout(r, Math.random() * 40));
      } else {
        // Every other kill aims at the renames: once the journal says committed, wait a
        // random few hundred microseconds and kill.
        const until = Date.now() + 5_000;
        while (Date.now() < until && !readJournalState(out).includes('committed'));
        const spin = performance.now() + Math.random() * 0.5;
        while (performance.now() < spin);
      }
      run.child.kill('SIGKILL');
      expect(await run.exit).toBe('SIGKILL');
      let state: keyof typeof seen = 'none';
      try {
        state = JSON.parse(readFileSync(join(out, JOURNAL), 'utf8')).state;
      } catch {
        // no journal: killed outside the commit window
      }
      seen[state]++;
      // The next --check repairs the tree to exactly one of the two states.
      syncTree(out, B, { check: true });
      const now = ours(out);
      const which = [...now].filter(([p]) => STRAY.test(p));
      expect(which, 'stray files after recovery').toEqual([]);
      const matchesA =
        JSON.stringify([...now]) === JSON.stringify([...expected('a')]) &&
        besideOf(dir) === besideOf(clean.a);
      const matchesB =
        JSON.stringify([...now]) === JSON.stringify([...expected('b')]) &&
        besideOf(dir) === besideOf(clean.b);
      expect(matchesA || matchesB, `kill ${kill} (journal: ${state}) left a mixed tree`).toBe(true);
      // The next generate brings it to the new state.
      syncTree(out, B);
      expect(ours(out)).toEqual(expected('b'));
      expect(besideOf(dir)).toBe(besideOf(clean.b));
      expect(snapshot(out, true, operatorPath)).toEqual(operator);
    }
    next.child.kill('SIGKILL');
    console.log(`kills by journal state at the moment of the kill: ${JSON.stringify(seen)}`);
    // The random points covered the window between the commit and the last rename.
    expect(seen.committed).toBeGreaterThan(0);
    expect(seen.none + seen.prepared).toBeGreaterThan(0);
  }, 240_000);
});

describe('two runs at once', () => {
  it('never fail as a bug and always leave one complete tree', async () => {
    const { out, operator, snapshots: clean } = setUp('racing', A);
    const pair = () => [startChild(['once', out, A_FILE]), startChild(['once', out, B_FILE])];
    let next = pair();
    for (let round = 0; round < 20; round++) {
      const runs = next;
      await Promise.all(runs.map((r) => r.ready));
      next = round < 19 ? pair() : [];
      for (const r of runs) r.child.stdin.write('go\n');
      const codes = await Promise.all(runs.map((r) => r.exit));
      expect(codes, runs.map((r) => r.stderr()).join('\n')).toEqual([0, 0]);
      const entries = snapshot(out, false, (rel) => !operatorPath(rel));
      const now = JSON.stringify([...entries]);
      expect([JSON.stringify([...clean.a]), JSON.stringify([...clean.b])]).toContain(now);
      expect([...entries.keys()].filter((p) => STRAY.test(p))).toEqual([]);
      expect(snapshot(out, true, operatorPath)).toEqual(operator);
    }
  }, 240_000);
});
