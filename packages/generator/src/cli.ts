import {
  ConfigError,
  estateIssues,
  formatPath,
  parseConfig,
  wholesaleDeletionIssue,
} from '@atlas/core';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { renderEstate, renderRepositoryFiles, type Estate } from './estate.js';
import { ansibleInventory, tofuOutputsSchema } from './inventory.js';
import { diffFiles, diffTree, writeFiles, writeTree } from './tree.js';

/** Process exit codes, documented in the README. */
export const EXIT = {
  ok: 0,
  /** `--check`: generated/ differs from what would be generated. */
  drift: 1,
  /** The estate description is invalid, or the command line is wrong. */
  invalidInput: 2,
  /** A bug in Atlas: please report it with the stack trace printed. */
  internal: 70,
} as const;

const USAGE = `usage: atlas generate [--check] [--config FILE] [--out DIR] [--pinned-sources]
       atlas inventory [--file FILE]

  --check            write nothing; list files that differ and exit 1 if any do
  --config FILE      module whose default export is the estate (default: environments/index.ts)
  --out DIR          output folder (default: generated)
  --pinned-sources   environments use git-tagged module releases instead of local paths
  --allow-delete-all let an estate that renders none of the generated files delete them all
  inventory          read \`tofu output -json\` (stdin or --file) and print Ansible inventory JSON`;

class UsageError extends Error {}

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
  // A JSON estate cannot hold module calls, but it gets the same checks (and their messages).
  const estate = file.endsWith('.json')
    ? parseJson(await readFile(file, 'utf8'), file)
    : ((await import(pathToFileURL(resolve(file)).href)) as { default?: unknown }).default;
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

/** Where the command writes: stdout-like `log`, stderr-like `error`. */
export interface Logger {
  log(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

export async function main(argv: readonly string[], log: Logger = console): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        check: { type: 'boolean', default: false },
        config: { type: 'string', default: 'environments/index.ts' },
        out: { type: 'string', default: 'generated' },
        'pinned-sources': { type: 'boolean', default: false },
        'allow-delete-all': { type: 'boolean', default: false },
        file: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    if (values.help) {
      log.log(USAGE);
      return EXIT.ok;
    }
    if (positionals.length === 1 && positionals[0] === 'inventory') {
      const text = values.file ? await readFile(values.file, 'utf8') : await readStdin();
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
    if (positionals.length !== 1 || positionals[0] !== 'generate') throw new UsageError(USAGE);

    const started = performance.now();
    const estate = await loadEstate(values.config);
    const files = renderEstate(estate, {
      moduleSources: values['pinned-sources'] ? 'pinned' : 'local',
    });
    // Repository-level files (atlantis.yaml) live beside the output folder.
    const repoRoot = dirname(resolve(values.out));
    const repoFiles = renderRepositoryFiles(estate);
    const treeChanges = await diffTree(values.out, files);
    const changes = [
      ...treeChanges.map((c) => ({ ...c, path: join(values.out, c.path) })),
      ...(await diffFiles(repoRoot, repoFiles)).map((c) => ({
        ...c,
        path: relative(process.cwd(), join(repoRoot, c.path)),
      })),
    ];
    const deletion = wholesaleDeletionIssue(
      {
        removed: treeChanges.filter((c) => c.change === 'removed').length,
        kept: files.size - treeChanges.filter((c) => c.change === 'added').length,
      },
      values['allow-delete-all'],
    );
    if (deletion) throw new ConfigError([deletion]);
    if (values.check) {
      for (const c of changes) log.log(`${c.change.padEnd(8)} ${c.path}`);
      if (changes.length) {
        log.error(
          `${values.out}/ is out of date: ${changes.length} file(s) differ. Run \`pnpm generate\` and commit the result.`,
        );
        return EXIT.drift;
      }
      log.log(`${values.out}/ is up to date (${files.size + repoFiles.size} files).`);
      return EXIT.ok;
    }
    if (changes.length) {
      await writeTree(values.out, files);
      await writeFiles(repoRoot, repoFiles);
    }
    const ms = (performance.now() - started).toFixed(0);
    log.log(
      `${values.out}/ and ${[...repoFiles.keys()].join(', ')}: ${files.size + repoFiles.size} files, ${changes.length} changed (${ms} ms)`,
    );
    return EXIT.ok;
  } catch (error) {
    if (error instanceof ConfigError) {
      log.error('error: the estate description is invalid; nothing was written.');
      for (const issue of error.issues) log.error(`  ${formatPath(issue.path)}: ${issue.message}`);
      return EXIT.invalidInput;
    }
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
    ) {
      log.error((error as Error).message);
      return EXIT.invalidInput;
    }
    log.error('internal error (a bug in Atlas; please report it with this trace):');
    log.error(error);
    return EXIT.internal;
  }
}
