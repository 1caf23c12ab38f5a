import { readdir } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { checkFile, type FileProblem } from './file-checks.js';
import { readHclFile, readHclModule, type HclFile, type HclModule } from './hcl-module.js';
import { checkModule } from './module-checks.js';
import type { Problem } from './problem.js';

/** Variable files: HCL too, but not part of the module. */
const isVariablesFile = (name: string) =>
  name.endsWith('.tfvars') || name.endsWith('.tfvars.example');
const isHclFile = (name: string) => name.endsWith('.tf') || isVariablesFile(name);

/**
 * Checks every folder under `root` that holds `.tf` files as one OpenTofu
 * module (and every `.tfvars` / `.tfvars.example` file): it parses, is
 * `tofu fmt` exact, has no interpolation-only strings, its references, module
 * calls and templates resolve, and its `incus_*` / `tls_*` blocks match the
 * provider schemas. Returns the problems sorted by file and line; none means
 * all checks passed.
 */
export async function verifyTree(root: string): Promise<Problem[]> {
  const rootDir = resolve(root);
  // Called modules are read once, whether reached by the walk or by a call.
  const modules = new Map<string, Promise<HclModule>>();
  const loadModule = (dir: string): Promise<HclModule> => {
    let module = modules.get(dir);
    if (!module) modules.set(dir, (module = readHclModule(dir)));
    return module;
  };

  const problems: Problem[] = [];
  const report = (file: HclFile, { line, check, message }: FileProblem) =>
    problems.push({
      file: relative(rootDir, file.path).split(sep).join('/'),
      ...(line === undefined ? {} : { line }),
      check,
      message,
    });

  for (const { dir, variablesFiles } of await hclFolders(rootDir)) {
    const module = await loadModule(dir);
    const files = [...module.files];
    for (const name of variablesFiles) files.push(await readHclFile(join(dir, name)));
    for (const file of files) for (const problem of await checkFile(file)) report(file, problem);
    if (module.files.length > 0)
      for (const problem of await checkModule(module, loadModule)) report(problem.file, problem);
  }
  return problems.sort((a, b) => compare(a.file, b.file) || (a.line ?? 0) - (b.line ?? 0));
}

interface HclFolder {
  readonly dir: string;
  readonly variablesFiles: readonly string[];
}

/** Folders holding HCL files, depth first in name order; skips hidden folders and node_modules. */
async function hclFolders(dir: string): Promise<HclFolder[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => compare(a.name, b.name));
  const names = entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
  const folders: HclFolder[] = names.some(isHclFile)
    ? [{ dir, variablesFiles: names.filter(isVariablesFile) }]
    : [];
  for (const entry of entries)
    if (entry.isDirectory() && !entry.name.startsWith('.') && entry.name !== 'node_modules')
      folders.push(...(await hclFolders(join(dir, entry.name))));
  return folders;
}

const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
