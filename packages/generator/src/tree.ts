import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { hasGeneratedHeader } from './header.js';

/** File contents by path relative to the output folder, with `/` separators. */
export type FileTree = ReadonlyMap<string, string>;

async function listFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out.push(relative(root, full).split(sep).join('/'));
    }
  };
  await walk(root);
  return out.sort();
}

/** What is on disk now: generated files (with the header) and files someone else put there. */
export async function readTree(
  root: string,
): Promise<{ generated: Map<string, string>; foreign: Map<string, string> }> {
  const generated = new Map<string, string>();
  const foreign = new Map<string, string>();
  for (const path of await listFiles(root)) {
    const content = await readFile(join(root, path), 'utf8');
    (hasGeneratedHeader(content) ? generated : foreign).set(path, content);
  }
  return { generated, foreign };
}

export interface TreeChange {
  readonly path: string;
  /** added: would be created; modified: content differs; removed: a stale generated file. */
  readonly change: 'added' | 'modified' | 'removed';
}

/** Differences between the files on disk and the files that would be generated. */
export async function diffTree(root: string, files: FileTree): Promise<TreeChange[]> {
  const { generated, foreign } = await readTree(root);
  const changes: TreeChange[] = [];
  for (const [path, content] of files) {
    const current = generated.get(path) ?? foreign.get(path);
    if (current === undefined) changes.push({ path, change: 'added' });
    else if (current !== content) changes.push({ path, change: 'modified' });
  }
  for (const path of generated.keys())
    if (!files.has(path)) changes.push({ path, change: 'removed' });
  return changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Replace `root` with `files`: everything is written into a sibling folder
 * first, then swapped in with two renames, so a failure part-way leaves the
 * old tree in place. Files without the generated header are carried over
 * untouched (unless a generated file now takes their path, which is refused).
 */
export async function writeTree(root: string, files: FileTree): Promise<void> {
  const { foreign } = await readTree(root);
  for (const path of foreign.keys()) {
    if (files.has(path)) {
      throw new Error(
        `refusing to overwrite ${join(root, path)}: it has no "generated" header, so someone wrote it by hand`,
      );
    }
  }
  const token = createHash('sha256')
    .update(`${process.pid}:${Date.now()}:${Math.random()}`)
    .digest('hex')
    .slice(0, 8);
  const staging = join(dirname(root), `.${basename(root)}.new-${token}`);
  const retired = join(dirname(root), `.${basename(root)}.old-${token}`);
  try {
    for (const [path, content] of [...files, ...foreign]) {
      const target = join(staging, path);
      await mkdir(dirname(target), { recursive: true });
      // Scripts (a #! first line) are written executable.
      await writeFile(target, content, { mode: content.startsWith('#!') ? 0o755 : 0o644 });
    }
    await mkdir(staging, { recursive: true });
    let hadRoot = true;
    try {
      await rename(root, retired);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      hadRoot = false;
    }
    try {
      await rename(staging, root);
    } catch (e) {
      if (hadRoot) await rename(retired, root);
      throw e;
    }
    if (hadRoot) await rm(retired, { recursive: true, force: true });
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** Differences for individual files outside the generated tree (e.g. the repo-level atlantis.yaml). */
export async function diffFiles(root: string, files: FileTree): Promise<TreeChange[]> {
  const changes: TreeChange[] = [];
  for (const [path, content] of files) {
    const current = await readFile(join(root, path), 'utf8').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') return undefined;
      throw e;
    });
    if (current === undefined) changes.push({ path, change: 'added' });
    else if (current !== content) changes.push({ path, change: 'modified' });
  }
  return changes;
}

/**
 * Write individual files (each through a temporary file and a rename), refusing
 * to replace one that exists without the generated header.
 */
export async function writeFiles(root: string, files: FileTree): Promise<void> {
  for (const [path, content] of files) {
    const target = join(root, path);
    const current = await readFile(target, 'utf8').catch(() => undefined);
    if (current !== undefined && !hasGeneratedHeader(current)) {
      throw new Error(
        `refusing to overwrite ${target}: it has no "generated" header, so someone wrote it by hand`,
      );
    }
    if (current === content) continue;
    const temporary = `${target}.atlas-${process.pid}`;
    await writeFile(temporary, content);
    await rename(temporary, target);
  }
}
