import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  realpathSync,
  renameSync,
  rmdirSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { dirname, join, posix, resolve } from 'node:path';
import { hasGeneratedHeader } from './header.js';
import { lockOutput } from './lock.js';

/** File contents by path relative to the output folder, with `/` separators. */
export type FileTree = ReadonlyMap<string, string>;

/**
 * The output folder's own files. The manifest lists every path Atlas owns
 * (with its hash and mode); nothing else in or beside the folder is ever
 * opened, rewritten, re-moded, moved or deleted.
 */
export const MANIFEST = '.atlas-manifest.json';
/** Intent journal of a write in progress; the next run finishes or undoes it. */
export const JOURNAL = '.atlas-journal.json';
/** Every temporary file Atlas makes ends so (and is git-ignored). */
export const TEMP_SUFFIX = '.atlas-tmp';
const OWN_GITIGNORE = '.gitignore';

/** Where a file lives: under the output folder, or beside it (the repository root: atlantis.yaml). */
export type Area = 'out' | 'beside';

export interface TreeChange {
  readonly path: string;
  /** added: would be created; modified: content or executable bit differs; removed: a stale generated file. */
  readonly change: 'added' | 'modified' | 'removed';
  readonly area?: Area;
  /** The file on disk was changed by hand since Atlas wrote it. */
  readonly edited?: boolean;
  /** Content on disk (an owned file), for diffs. */
  readonly before?: string;
  /** Content to be written. */
  readonly after?: string;
}

/** A data volume a module call keeps: its instance and the volume's Incus name. */
export interface KeptVolume {
  readonly instance: string;
  readonly volume: string;
}
/** The data volumes an estate keeps, by `<environment>/<module call>`. */
export type KeptVolumes = Readonly<Record<string, KeptVolume>>;

/** What one run renders. */
export interface OutputFiles {
  /** Files under the output folder. */
  readonly files: FileTree;
  /** Files beside the output folder (in its parent, the repository root). */
  readonly beside?: FileTree;
  /**
   * Output-folder paths this run answers for (`--env`): owned files outside
   * the scope are neither checked nor deleted. Beside files are only
   * considered in a full run.
   */
  readonly scope?: (path: string) => boolean;
  /**
   * The data volumes the rendered environments keep, recorded in the manifest so the next
   * run can tell which ones it would destroy. Left out: the record stays as it was.
   */
  readonly volumes?: KeptVolumes;
}

/** The output cannot be written without touching something that is not Atlas's; nothing was written. */
export class WriteRefused extends Error {
  constructor(readonly issues: ReadonlyArray<{ path: string; message: string }>) {
    super(issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  }
}

interface Entry {
  readonly sha256: string;
  readonly mode: string;
}
interface Manifest {
  readonly files: Record<string, Entry>;
  readonly beside: Record<string, Entry>;
  /** Missing in manifests written before Atlas recorded volumes. */
  readonly volumes?: Record<string, KeptVolume>;
}

type WriteOp = { area: Area; path: string; temp: string; sha256: string; mode: string };
type DeleteOp = { area: Area; path: string; delete: true; sha256: string };
type Op = WriteOp | DeleteOp;
interface Journal {
  readonly state: 'prepared' | 'committed';
  readonly ops: Op[];
  /** Folders this run created (removed again when it is undone). */
  readonly dirs: string[];
}

const sha256 = (content: string | Buffer) => createHash('sha256').update(content).digest('hex');
/** Scripts (a `#!` first line) are executable; everything else is plain. */
const modeOf = (content: string) => (content.startsWith('#!') ? '0755' : '0644');
const tempName = (path: string) =>
  posix.join(posix.dirname(path), `.${posix.basename(path)}${TEMP_SUFFIX}`);
const RESERVED = new Set([MANIFEST, JOURNAL]);

/** Why `path` cannot be an output path, or undefined when it is fine. */
function pathProblem(path: string): string | undefined {
  if (path === '') return 'an empty path';
  if (path.includes('\0')) return 'contains a NUL character';
  if (path.includes('\\')) return 'contains a backslash';
  if (path.startsWith('/')) return 'is absolute';
  const segments = path.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..'))
    return 'has an empty, "." or ".." segment, so it could leave its folder';
  if (segments.some((s) => s.endsWith(TEMP_SUFFIX) || s.startsWith('.atlas-lock')))
    return 'uses a name Atlas reserves for its temporary files';
  return undefined;
}

function checkPaths(output: OutputFiles): void {
  const issues: Array<{ path: string; message: string }> = [];
  const check = (tree: FileTree | undefined, area: Area) => {
    const files = new Set(tree?.keys());
    for (const path of files) {
      const problem =
        pathProblem(path) ??
        (area === 'out' && RESERVED.has(path)
          ? "is the name of Atlas's manifest or journal"
          : undefined) ??
        (area === 'beside' && path.includes('/')
          ? 'must be a file directly beside the output folder'
          : undefined);
      if (problem) {
        issues.push({ path: JSON.stringify(path), message: `not a valid output path: ${problem}` });
        continue;
      }
      // A file cannot also be a folder of another output file.
      for (let dir = posix.dirname(path); dir !== '.'; dir = posix.dirname(dir))
        if (files.has(dir))
          issues.push({ path, message: `is inside ${dir}, which is also an output file` });
    }
  };
  check(output.files, 'out');
  check(output.beside, 'beside');
  if (issues.length) throw new WriteRefused(issues);
}

const errno = (e: unknown) => (e as NodeJS.ErrnoException).code;

function lstatOrUndefined(path: string) {
  try {
    return lstatSync(path);
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return undefined;
    throw e;
  }
}

/** Read a regular file without following a link; undefined when it is missing or not a regular file. */
function readOwned(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (e) {
    if (['ENOENT', 'ELOOP', 'ENOTDIR'].includes(errno(e)!)) return undefined;
    throw e;
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) return undefined;
    return readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether the file's executable bit is what `mode` says. Git keeps only that bit (a checkout
 * applies the umask to the rest), so only that bit counts as drift.
 */
function executableAsWanted(path: string, mode: string): boolean {
  return ((lstatSync(path).mode & 0o100) === 0) === ((Number.parseInt(mode, 8) & 0o100) === 0);
}

/** Write `content` to a new temporary file with exactly `mode`, flushed to disk. */
function writeTemp(path: string, content: string | Buffer, mode: string): void {
  const fd = openSync(
    path,
    constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
    Number.parseInt(mode, 8),
  );
  try {
    writeSync(fd, typeof content === 'string' ? Buffer.from(content) : content);
    // open()'s mode is filtered by the umask; the file's mode must not be.
    fchmodSync(fd, Number.parseInt(mode, 8));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if (errno(e) !== 'ENOENT') throw e;
  }
}

/** Remove now-empty folders from `dir` up to (not including) `root`. */
function pruneEmpty(root: string, dir: string): void {
  for (; dir.length > root.length && dir.startsWith(root); dir = dirname(dir)) {
    try {
      rmdirSync(dir);
    } catch {
      return; // not empty (the operator's files), or already gone
    }
  }
}

class Roots {
  constructor(
    readonly out: string,
    readonly beside: string,
  ) {}
  of(area: Area, path: string): string {
    return join(area === 'out' ? this.out : this.beside, path);
  }
}

function readJournal(roots: Roots): Journal | undefined {
  const raw = readOwned(join(roots.out, JOURNAL));
  if (!raw) return undefined;
  try {
    return JSON.parse(raw.toString('utf8')) as Journal;
  } catch {
    // A journal is only ever replaced by rename, so it is never half written.
    throw new WriteRefused([
      { path: join(roots.out, JOURNAL), message: 'is not a journal Atlas wrote; remove it' },
    ]);
  }
}

function writeJournal(roots: Roots, journal: Journal): void {
  const path = join(roots.out, JOURNAL);
  writeTemp(path + TEMP_SUFFIX, JSON.stringify(journal), '0644');
  renameSync(path + TEMP_SUFFIX, path);
}

/** Finish (committed) or undo (prepared) an interrupted write; true when there was one. */
function recover(roots: Roots): boolean {
  unlinkIfPresent(join(roots.out, JOURNAL + TEMP_SUFFIX));
  const journal = readJournal(roots);
  if (!journal) return false;
  if (journal.state === 'committed') {
    for (const op of journal.ops) {
      const target = roots.of(op.area, op.path);
      if ('delete' in op) {
        if (lstatOrUndefined(target)?.isFile()) unlinkSync(target);
        pruneEmpty(roots.out, dirname(target));
        continue;
      }
      const temp = roots.of(op.area, op.temp);
      // A temp file that is gone was renamed already.
      if (lstatOrUndefined(temp)) renameSync(temp, target);
    }
  } else {
    for (const op of journal.ops) if ('temp' in op) unlinkIfPresent(roots.of(op.area, op.temp));
    for (const dir of [...journal.dirs].reverse()) {
      try {
        rmdirSync(join(roots.out, dir));
      } catch {
        // not empty: someone else's files are in it now
      }
    }
  }
  unlinkSync(join(roots.out, JOURNAL));
  return true;
}

function readManifest(roots: Roots): Manifest | undefined {
  const raw = readOwned(join(roots.out, MANIFEST));
  if (!raw) return undefined;
  try {
    const parsed = JSON.parse(raw.toString('utf8')) as Partial<Manifest>;
    if (
      typeof parsed.files === 'object' &&
      typeof parsed.beside === 'object' &&
      ['undefined', 'object'].includes(typeof parsed.volumes)
    )
      return parsed as Manifest;
  } catch {
    // reported below
  }
  throw new WriteRefused([
    {
      path: join(roots.out, MANIFEST),
      message:
        'is not a manifest Atlas wrote (hand-edited?); restore it from git, or delete it and Atlas adopts only files that carry its header',
    },
  ]);
}

/**
 * The data volumes recorded by the last run in `out`; undefined when there is no manifest, it
 * is not Atlas's, or it is from before Atlas recorded volumes.
 */
export function readKeptVolumes(out: string): KeptVolumes | undefined {
  const raw = readOwned(join(resolve(out), MANIFEST));
  try {
    const volumes = raw && (JSON.parse(raw.toString('utf8')) as Partial<Manifest>).volumes;
    return typeof volumes === 'object' && volumes !== null ? volumes : undefined;
  } catch {
    return undefined; // syncTree refuses to write over it
  }
}

/** One line per file (and per volume), sorted, so that a change of one file is a one-line diff. */
function manifestText(manifest: Manifest): string {
  const section = (r: Record<string, unknown>) =>
    Object.entries(r)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, e]) => `    ${JSON.stringify(path)}: ${JSON.stringify(e)}`)
      .join(',\n');
  const volumes =
    manifest.volumes === undefined
      ? ''
      : `,
  "volumes": {
${section(manifest.volumes)}
  }`;
  return `{
  "atlas": "Every file Atlas wrote in this folder and beside it, with its hash and mode, and the data volume each stateful module call keeps. Atlas only ever changes or deletes these paths. Do not edit; run \`pnpm generate\`.",
  "files": {
${section(manifest.files)}
  },
  "beside": {
${section(manifest.beside)}
  }${volumes}
}
`;
}

/** The output folder's .gitignore: Atlas's transient files, should a run be killed. */
const ownGitignore = `# Written by Atlas (\`pnpm generate\`). Transient files of a run in progress; never commit them.
*${TEMP_SUFFIX}
${JOURNAL}
.atlas-lock*
`;

interface Plan {
  readonly changes: TreeChange[];
  readonly writes: Array<{ area: Area; path: string; content: string; mode: string }>;
  readonly deletes: Array<{ area: Area; path: string; sha256: string }>;
  readonly manifest: string;
}

function plan(
  roots: Roots,
  output: OutputFiles,
  display: (area: Area, path: string) => string,
): Plan {
  const old = readManifest(roots);
  const scope = output.scope ?? (() => true);
  const full = output.scope === undefined;
  const issues: Array<{ path: string; message: string }> = [];
  const changes: TreeChange[] = [];
  const writes: Plan['writes'] = [];
  const deletes: Plan['deletes'] = [];
  const outOfScope = (volume: string) => !scope(`environments/${volume.split('/')[0]}/main.tf`);
  const volumes =
    output.volumes === undefined
      ? old?.volumes
      : {
          ...Object.fromEntries(
            Object.entries(old?.volumes ?? {}).filter(([key]) => !full && outOfScope(key)),
          ),
          ...output.volumes,
        };
  const next: Manifest = {
    files: Object.fromEntries(Object.entries(old?.files ?? {}).filter(([p]) => !scope(p))),
    beside: full ? {} : { ...old?.beside },
    ...(volumes === undefined ? {} : { volumes }),
  };

  // Atlas never writes through a link or into something that is not a folder.
  const dirOk = new Map<string, string | undefined>();
  const dirProblem = (root: string, path: string): string | undefined => {
    const parent = posix.dirname(path);
    if (parent === '.') return undefined;
    if (dirOk.has(`${root}\0${parent}`)) return dirOk.get(`${root}\0${parent}`);
    const problem =
      dirProblem(root, parent) ??
      ((stat) =>
        !stat || stat.isDirectory()
          ? undefined
          : `${parent} is ${stat.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}, and Atlas never writes through or over what it did not create`)(
        lstatOrUndefined(join(root, parent)),
      );
    dirOk.set(`${root}\0${parent}`, problem);
    return problem;
  };

  const consider = (
    area: Area,
    path: string,
    content: string | undefined,
    entry: Entry | undefined,
  ) => {
    const full = roots.of(area, path);
    const shown = display(area, path);
    const problem = dirProblem(area === 'out' ? roots.out : roots.beside, path);
    if (problem) {
      issues.push({ path: shown, message: problem });
      return;
    }
    const stat = lstatOrUndefined(full);
    // Owned: listed in the manifest and still a plain file. Without any manifest (a tree
    // from before manifests), a file at a path Atlas renders is adopted if it has the header.
    let disk: Buffer | undefined;
    if (stat?.isFile() && (entry || (!old && content !== undefined))) disk = readOwned(full);
    const owned =
      disk !== undefined && (entry !== undefined || hasGeneratedHeader(disk.toString('utf8')));
    if (content === undefined) {
      if (owned) {
        changes.push({ path: shown, area, change: 'removed', before: disk!.toString('utf8') });
        deletes.push({ area, path, sha256: sha256(disk!) });
      }
      return;
    }
    const mode = modeOf(content);
    const record = { sha256: sha256(content), mode };
    (area === 'out' ? next.files : next.beside)[path] = record;
    if (stat && !owned) {
      issues.push({
        path: shown,
        message: `exists and is not Atlas's (${stat.isSymbolicLink() ? 'a symbolic link' : stat.isDirectory() ? 'a folder' : 'not in its manifest'}); move it away so Atlas can write this file`,
      });
      return;
    }
    if (!stat) {
      changes.push({ path: shown, area, change: 'added', after: content });
      writes.push({ area, path, content, mode });
      return;
    }
    const before = disk!.toString('utf8');
    if (before === content && executableAsWanted(full, mode)) return;
    changes.push({
      path: shown,
      area,
      change: 'modified',
      before,
      after: content,
      ...(entry && entry.sha256 !== sha256(disk!) ? { edited: true } : {}),
    });
    writes.push({ area, path, content, mode });
  };

  const files = new Map(output.files);
  files.set(OWN_GITIGNORE, ownGitignore);
  for (const path of new Set([...files.keys(), ...Object.keys(old?.files ?? {})]))
    if (scope(path) || path === OWN_GITIGNORE)
      consider('out', path, files.get(path), old?.files[path]);
  if (full)
    for (const path of new Set([
      ...(output.beside?.keys() ?? []),
      ...Object.keys(old?.beside ?? {}),
    ]))
      consider('beside', path, output.beside?.get(path), old?.beside[path]);
  if (issues.length) throw new WriteRefused(issues);

  const manifest = manifestText(next);
  const current = readOwned(join(roots.out, MANIFEST))?.toString('utf8');
  if (current !== manifest) {
    changes.push({
      path: display('out', MANIFEST),
      area: 'out',
      change: current === undefined ? 'added' : 'modified',
      ...(current === undefined ? {} : { before: current }),
      after: manifest,
    });
  }
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { changes, writes, deletes, manifest };
}

/** Apply a plan as one unit: journal, temporary files, commit, renames, deletes. */
function apply(roots: Roots, p: Plan): void {
  const manifestChanged = readOwned(join(roots.out, MANIFEST))?.toString('utf8') !== p.manifest;
  const writes = [
    ...p.writes,
    ...(manifestChanged
      ? [{ area: 'out' as const, path: MANIFEST, content: p.manifest, mode: '0644' }]
      : []),
  ];
  const ops: Op[] = [
    ...writes.map((w) => ({
      area: w.area,
      path: w.path,
      temp: tempName(w.path),
      sha256: sha256(w.content),
      mode: w.mode,
    })),
    ...p.deletes.map((d) => ({ ...d, delete: true as const })),
  ];
  const dirs = [
    ...new Set(
      p.writes
        .filter((w) => w.area === 'out')
        .flatMap((w) => {
          const chain: string[] = [];
          for (let d = posix.dirname(w.path); d !== '.'; d = posix.dirname(d)) chain.unshift(d);
          return chain;
        }),
    ),
  ].filter((d) => !lstatOrUndefined(join(roots.out, d)));
  writeJournal(roots, { state: 'prepared', ops, dirs });
  for (const dir of dirs) mkdirSync(join(roots.out, dir), { mode: 0o755 });
  writes.forEach((w, i) =>
    writeTemp(roots.of(w.area, (ops[i] as WriteOp).temp), w.content, w.mode),
  );
  writeJournal(roots, { state: 'committed', ops, dirs });
  recover(roots);
}

export interface TreeOptions {
  /** Write nothing (except finishing an interrupted run); report the differences. */
  readonly check?: boolean;
  /** How long to wait for another run's lock, in milliseconds (default 30 s). */
  readonly lockWaitMs?: number;
  /** Shown path of a file (default: relative to the output folder, beside files as `../name`). */
  readonly display?: (area: Area, path: string) => string;
  /** Sees the planned changes before anything is written; throwing refuses the whole run. */
  readonly beforeWrite?: (changes: readonly TreeChange[]) => void;
}

export interface TreeResult {
  readonly changes: TreeChange[];
  /** Files rendered (including Atlas's manifest and .gitignore). */
  readonly files: number;
  /** An interrupted earlier run was finished or undone first. */
  readonly recovered: boolean;
}

/**
 * Bring `out` (and the files beside it) to `output`, or with `check` only
 * report how they differ. Only paths in the manifest are ever read, replaced
 * or deleted; each changed file is written to a temporary file in its own
 * folder and renamed, and the set of renames is one unit recorded in a
 * journal, so a run killed at any point is finished or undone by the next.
 */
export function syncTree(out: string, output: OutputFiles, options: TreeOptions = {}): TreeResult {
  checkPaths(output);
  const given = resolve(out);
  const beside = dirname(given);
  const stat = lstatOrUndefined(given);
  let root = given;
  if (stat?.isSymbolicLink()) {
    try {
      root = realpathSync(given);
    } catch {
      throw new WriteRefused([
        { path: out, message: 'is a symbolic link to a folder that does not exist' },
      ]);
    }
  }
  const target = lstatOrUndefined(root);
  if (target && !target.isDirectory())
    throw new WriteRefused([{ path: out, message: 'is not a folder' }]);
  const display =
    options.display ??
    ((area: Area, path: string) => (area === 'out' ? path : posix.join('..', path)));
  const files = output.files.size + 2 + (output.scope ? 0 : (output.beside?.size ?? 0));
  const roots = new Roots(root, beside);
  if (!target) {
    // Plan against the empty folder first, so that a refusal (a foreign atlantis.yaml) creates nothing.
    const empty = plan(roots, output, display);
    options.beforeWrite?.(empty.changes);
    if (options.check) return { changes: empty.changes, files, recovered: false };
    mkdirSync(root, { recursive: true, mode: 0o755 });
  }
  // A check takes the lock only to finish an interrupted run; otherwise it only reads.
  const interrupted = readdirSync(root).some((name) => /^\.atlas-(journal|lock)/.test(name));
  const unlock =
    options.check && !interrupted ? () => {} : lockOutput(root, options.lockWaitMs ?? 30_000, out);
  try {
    const recovered = recover(roots);
    const p = plan(roots, output, display);
    options.beforeWrite?.(p.changes);
    if (!options.check && (p.writes.length || p.deletes.length || p.changes.length))
      apply(roots, p);
    return { changes: p.changes, files, recovered };
  } finally {
    unlock();
  }
}

/** Write `files` into `root` (see syncTree). */
export async function writeTree(root: string, files: FileTree): Promise<void> {
  syncTree(root, { files });
}

/** How `root` differs from `files`: `added` / `modified` / `removed` per path. */
export async function diffTree(root: string, files: FileTree): Promise<TreeChange[]> {
  return syncTree(root, { files }, { check: true }).changes.map(({ path, change }) => ({
    path,
    change,
  }));
}
