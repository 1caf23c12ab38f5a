import {
  ConfigError,
  estateIssues,
  formatPath,
  parseConfig,
  wholesaleDeletionIssue,
} from '@atlas/core';
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, posix, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseCommand, USAGE, UsageError } from './args.js';
import { renderEstate, renderRepositoryFiles, selectEnvironment, type Estate } from './estate.js';
import { checkConfigFile, EstateLoadError, explainLoadError } from './estate-load.js';
import { ansibleInventory, tofuOutputsSchema } from './inventory.js';
import { LockBusy } from './lock.js';
import { keptVolumes, removedStatefulServices } from './removals.js';
import { syncTree, WriteRefused, type TreeChange } from './tree.js';
import { unifiedDiff } from './unified-diff.js';

/** Process exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  /** `--check`: generated/ differs from what would be generated. */
  drift: 1,
  /** The estate description, the command line or the output folder is wrong; nothing written. */
  invalidInput: 2,
  /** A bug in Atlas: please report it with the stack trace printed. */
  internal: 70,
  /** Another run held the output folder's lock for the whole `--wait`. */
  busy: 75,
} as const;

const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ConfigError([{ path: [file], message: `not JSON: ${(error as Error).message}` }]);
  }
}

async function loadEstate(file: string): Promise<Estate> {
  checkConfigFile(file);
  let estate: unknown;
  if (file.endsWith('.json')) {
    // A JSON estate cannot hold module calls, but it gets the same checks (and their messages).
    estate = parseJson(readFileSync(file, 'utf8'), file);
  } else {
    try {
      estate = ((await import(pathToFileURL(resolve(file)).href)) as { default?: unknown }).default;
    } catch (error) {
      if (error instanceof ConfigError) throw error;
      throw explainLoadError(error, file) ?? error;
    }
  }
  if (
    typeof estate !== 'object' ||
    estate === null ||
    (estate as { kind?: unknown }).kind !== 'estate'
  ) {
    throw new ConfigError([
      { path: [file], message: 'expected a default export made with defineEstate(…)' },
    ]);
  }
  // Whatever built it, the estate gets the lint defineEstate runs.
  const issues = estateIssues(estate);
  if (issues.length) throw new ConfigError(issues);
  return estate as Estate;
}

/** Refuse output folders Atlas must never take over. */
function checkOut(out: string): void {
  const hint = 'name a folder of its own, e.g. --out generated';
  const full = resolve(out);
  if (full === process.cwd() || full === resolve('/'))
    throw new UsageError(`--out ${out}`, 'would make Atlas own the whole folder it runs in', hint);
  let stat;
  try {
    stat = statSync(full);
  } catch {
    return; // created on the first generate (a dangling link is reported when writing)
  }
  if (!stat.isDirectory()) throw new UsageError(`--out ${out}`, 'is a file, not a folder', hint);
}

/** Where the command writes: stdout-like `log`, stderr-like `error`. */
export interface Logger {
  log(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

const VERB = { added: 'created', modified: 'changed', removed: 'deleted' } as const;

function report(changes: readonly TreeChange[], log: Logger, check: boolean): void {
  for (const c of changes) {
    const edited = c.edited ? ' (edited by hand since it was generated)' : '';
    log.log(
      check
        ? `${c.change.padEnd(8)} ${c.path}${edited}`
        : `${VERB[c.change].padEnd(7)} ${c.path}${edited}`,
    );
  }
}

async function generate(
  command: Extract<ReturnType<typeof parseCommand>, { command: 'generate' }>,
  log: Logger,
): Promise<number> {
  const started = performance.now();
  checkOut(command.out);
  const full = await loadEstate(command.config);
  let estate = full;
  let scope: ((path: string) => boolean) | undefined;
  if (command.env !== undefined) {
    const selected = selectEnvironment(full, command.env);
    if (!selected) {
      throw new UsageError(
        `--env ${command.env}`,
        'no such environment',
        `the estate has: ${full.environments.map((e) => e.name).join(', ')}`,
      );
    }
    ({ estate, owns: scope } = selected);
  }
  // Everything is rendered in memory first: an error here leaves every file as it was.
  const files = renderEstate(estate, {
    moduleSources: command.pinnedSources ? 'pinned' : 'local',
  });
  const beside = renderRepositoryFiles(full);
  const out = command.out;
  for (const warning of removedStatefulServices(out, estate, scope))
    log.error(`warning: ${warning}`);
  const display = (area: 'out' | 'beside', path: string) =>
    area === 'out'
      ? posix.join(out.split('\\').join('/'), path)
      : relative(process.cwd(), join(resolve(out), '..', path)) || path;
  const result = syncTree(
    out,
    { files, beside, volumes: keptVolumes(estate), ...(scope ? { scope } : {}) },
    {
      check: command.check,
      lockWaitMs: command.waitMs,
      display,
      beforeWrite: (changes) => {
        const count = (change: TreeChange['change']) =>
          changes.filter((c) => c.area !== 'beside' && c.change === change).length;
        const deletion = wholesaleDeletionIssue(
          { removed: count('removed'), kept: files.size - count('added') },
          command.allowDeleteAll,
        );
        if (deletion) throw new ConfigError([deletion]);
      },
    },
  );
  const quiet = command.quiet ? { log() {}, error: log.error } : log;
  if (result.recovered)
    quiet.log(`finished an interrupted earlier run (its journal was in ${out}/)`);
  const what = command.env ? `${out}/ (environment ${command.env})` : `${out}/`;
  if (command.check) {
    report(result.changes, quiet, true);
    if (command.diff)
      for (const c of result.changes)
        quiet.log(unifiedDiff(c.path, c.before, c.after).replace(/\n$/, ''));
    if (result.changes.length) {
      log.error(
        `${what} is out of date: ${result.changes.length} file(s) differ. Run \`pnpm generate\` and commit the result.`,
      );
      return EXIT.drift;
    }
    quiet.log(`${what} is up to date (${result.files} files).`);
    return EXIT.ok;
  }
  report(result.changes, quiet, false);
  const count = (change: TreeChange['change']) =>
    result.changes.filter((c) => c.change === change).length;
  const ms = (performance.now() - started).toFixed(0);
  quiet.log(
    `${what}${command.env ? '' : ` and ${[...beside.keys()].join(', ')}`}: ${count('added')} created, ${count('modified')} changed, ${count('removed')} deleted, ${result.files - count('added') - count('modified')} unchanged (${ms} ms)`,
  );
  return EXIT.ok;
}

async function inventory(file: string | undefined, log: Logger): Promise<number> {
  let text: string;
  try {
    text = file !== undefined ? readFileSync(file, 'utf8') : await readStdin();
  } catch (error) {
    throw new UsageError(
      `--file ${file}`,
      `cannot be read (${(error as NodeJS.ErrnoException).code})`,
      'pass the file `tofu output -json` wrote, or pipe it to stdin',
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([
      { path: ['tofu output -json'], message: `not JSON: ${(error as Error).message}` },
    ]);
  }
  log.log(
    JSON.stringify(
      ansibleInventory(parseConfig(tofuOutputsSchema, json, ['tofu output -json'])),
      null,
      2,
    ),
  );
  return EXIT.ok;
}

export async function main(argv: readonly string[], log: Logger = console): Promise<number> {
  try {
    const command = parseCommand(argv);
    switch (command.command) {
      case 'help':
        log.log(USAGE);
        return EXIT.ok;
      case 'version':
        log.log(`atlas-incus ${VERSION}`);
        return EXIT.ok;
      case 'inventory':
        return await inventory(command.file, log);
      case 'generate':
        return await generate(command, log);
    }
  } catch (error) {
    if (error instanceof ConfigError) {
      log.error('error: the estate description is invalid; nothing was written.');
      for (const issue of error.issues) log.error(`  ${formatPath(issue.path)}: ${issue.message}`);
      return EXIT.invalidInput;
    }
    if (error instanceof WriteRefused) {
      log.error(
        'error: nothing was written, because Atlas would have to touch files that are not its own:',
      );
      for (const issue of error.issues) log.error(`  ${issue.path}: ${issue.message}`);
      return EXIT.invalidInput;
    }
    if (error instanceof UsageError || error instanceof EstateLoadError) {
      log.error(`error: ${error.message}`);
      log.error(`hint: ${error.hint}`);
      return EXIT.invalidInput;
    }
    if (error instanceof LockBusy) {
      log.error(`error: ${error.message}; nothing was written.`);
      log.error(
        `hint: wait for it to finish (or pass --wait SECONDS); if no atlas-incus is running, delete ${error.lockPath}`,
      );
      return EXIT.busy;
    }
    log.error('internal error (a bug in Atlas; please report it with this trace):');
    log.error(error);
    return EXIT.internal;
  }
}
