import { ConfigError, formatPath, parseConfig } from '@atlas/core';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { renderEstate, renderRepositoryFiles, type Estate } from './estate.js';
import { ansibleInventory, tofuOutputsSchema } from './inventory.js';
import { removedStatefulServices } from './removals.js';
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
  inventory          read \`tofu output -json\` (stdin or --file) and print Ansible inventory JSON`;

class UsageError extends Error {}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function loadEstate(file: string): Promise<Estate> {
  const mod = (await import(pathToFileURL(resolve(file)).href)) as { default?: unknown };
  const estate = mod.default;
  if (
    typeof estate !== 'object' ||
    estate === null ||
    (estate as { kind?: unknown }).kind !== 'estate'
  ) {
    throw new ConfigError([
      { path: [file], message: 'expected a default export made with defineEstate(…)' },
    ]);
  }
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
    for (const warning of await removedStatefulServices(values.out, files))
      log.error(`warning: ${warning}`);
    // Repository-level files (atlantis.yaml) live beside the output folder.
    const repoRoot = dirname(resolve(values.out));
    const repoFiles = renderRepositoryFiles(estate);
    const changes = [
      ...(await diffTree(values.out, files)).map((c) => ({ ...c, path: join(values.out, c.path) })),
      ...(await diffFiles(repoRoot, repoFiles)).map((c) => ({
        ...c,
        path: relative(process.cwd(), join(repoRoot, c.path)),
      })),
    ];
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
