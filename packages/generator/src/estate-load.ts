import { spawnSync } from 'node:child_process';
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The estate module could not be loaded because of something in the user's
 * files: where (`file:line` when known), what, and what to do.
 */
export class EstateLoadError extends Error {
  constructor(
    readonly location: string,
    message: string,
    readonly hint: string,
  ) {
    super(`${location}: ${message}`);
  }
}

const shown = (file: string) => {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
};

/** Refuse a `--config` that cannot be an estate module before trying to import it. */
export function checkConfigFile(config: string): void {
  const hint = 'pass --config FILE naming the module whose default export is defineEstate(…)';
  let stat;
  try {
    stat = statSync(config);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new EstateLoadError(
      config,
      code === 'ENOENT'
        ? 'no such file'
        : code === 'ENOTDIR'
          ? 'a part of this path is not a folder'
          : `cannot be read (${code})`,
      hint,
    );
  }
  if (stat.isDirectory())
    throw new EstateLoadError(
      config,
      'is a folder, not an estate module',
      `${hint}, e.g. ${config.replace(/\/$/, '')}/index.ts`,
    );
  if (!stat.isFile()) throw new EstateLoadError(config, 'is not a regular file', hint);
  try {
    accessSync(config, constants.R_OK);
  } catch {
    throw new EstateLoadError(
      config,
      'cannot be read (permission denied)',
      'check the file’s permissions',
    );
  }
}

const generatorRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Atlas's own code: installed packages, or the sibling packages of a workspace checkout. */
const atlasCode = (file: string) =>
  file.includes('/node_modules/') ||
  (!generatorRoot.includes('/node_modules/') && file.startsWith(dirname(generatorRoot) + '/'));

const toPath = (file: string) => (file.startsWith('file://') ? fileURLToPath(file) : file);

/** Line of `file` that imports `target` (an absolute path or a package name). */
function importLine(file: string, target: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    for (const [, spec] of lines[i]!.matchAll(/(?:from\s*|import\s*\(?\s*)['"]([^'"]+)['"]/g)) {
      const resolved = spec!.startsWith('.') ? resolve(dirname(file), spec!) : spec!;
      if (
        resolved === target ||
        resolved.replace(/\.js$/, '') === target.replace(/\.[cm]?[jt]s$/, '')
      )
        return i + 1;
    }
  }
  return undefined;
}

/** Where plain Node reports a syntax error it does not locate in the error itself. */
function syntaxErrorLine(file: string): string | undefined {
  const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8' });
  return /^(.+):(\d+)\n/.exec(check.stderr)?.slice(1, 3).join(':');
}

const TS_HINT =
  'this Node cannot load TypeScript by itself: run `node --import tsx node_modules/.bin/atlas-incus generate …` (npm install -D tsx), or compile the estate to JavaScript first';

/**
 * Explain an error thrown while importing the estate module `config`, or
 * return undefined when it does not come from the user's files (a bug in Atlas).
 */
export function explainLoadError(error: unknown, config: string): EstateLoadError | undefined {
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code;
  const message = error.message;
  if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
    const file = /for (.+)$/.exec(message)?.[1] ?? config;
    return /\.[cm]?ts$/.test(file)
      ? new EstateLoadError(
          shown(toPath(file)),
          'is TypeScript, and no TypeScript loader is active',
          TS_HINT,
        )
      : new EstateLoadError(
          shown(toPath(file)),
          message,
          'an estate module must be JavaScript or TypeScript',
        );
  }
  if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
    const match = /Cannot find (module|package) '([^']+)' imported from (.+)$/m.exec(message);
    if (match) {
      const [, kind, target, from] = match;
      const importer = toPath(from!.trim());
      const line = importLine(importer, toPath(target!));
      const isPackage = kind === 'package';
      return new EstateLoadError(
        `${shown(importer)}${line ? `:${line}` : ''}`,
        isPackage
          ? `imports package '${target}', which cannot be found`
          : `imports '${shown(toPath(target!))}', which cannot be found`,
        isPackage
          ? `install it (npm install ${target}) or fix the name`
          : 'fix the path (ES modules name the file with its extension, e.g. ./iapetus.js)',
      );
    }
  }
  // esbuild (tsx) names the file, line and column of a syntax error.
  const transform = /^Transform failed[^\n]*\n(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(message);
  if (transform) {
    const [, file, line, column, what] = transform;
    return new EstateLoadError(
      `${shown(file!)}:${line}:${column}`,
      `syntax error: ${what}`,
      'fix the TypeScript syntax',
    );
  }
  // Module linking errors carry the file and line on the first line of the stack.
  const head = /^((?:file:\/\/|\/)[^\n]+):(\d+)\n/.exec(error.stack ?? '');
  if (head && error instanceof SyntaxError) {
    return new EstateLoadError(
      `${shown(toPath(head[1]!))}:${head[2]}`,
      message,
      'fix the import: that module has no such export',
    );
  }
  if (
    error instanceof SyntaxError &&
    !/\n\s+at .*\((?:file:\/\/)?\/[^)]+\)/.test(error.stack ?? '')
  ) {
    const where = syntaxErrorLine(resolve(config));
    return new EstateLoadError(
      where ? shown(where.replace(/^file:\/\//, '')) : config,
      `syntax error: ${message}`,
      'fix the JavaScript syntax',
    );
  }
  // A throw: the estate's code if the innermost frame with a file is the user's.
  const frame = /\n\s+at (?:.*? \()?((?:file:\/\/)?\/[^):]+):(\d+):(\d+)\)?/.exec(
    error.stack ?? '',
  );
  if (frame && !atlasCode(toPath(frame[1]!))) {
    return new EstateLoadError(
      `${shown(toPath(frame[1]!))}:${frame[2]}`,
      `the estate threw ${error.name === 'Error' ? 'an error' : error.name}: ${message}`,
      'fix the estate code at that line',
    );
  }
  return undefined;
}
