import { parseArgs } from 'node:util';

export const USAGE = `usage: atlas-incus generate [--check [--diff]] [--env NAME] [--config FILE] [--out DIR]
                            [--pinned-sources] [--wait SECONDS] [--quiet] [--allow-delete-all]
       atlas-incus inventory [--file FILE]
       atlas-incus --version | --help

  --check            write nothing; list files that differ and exit 1 if any do
  --diff             with --check: print a unified diff of every difference
  --env NAME         render and check only environment NAME and the modules it uses
  --config FILE      module whose default export is the estate (default: environments/index.ts)
  --out DIR          output folder (default: generated)
  --pinned-sources   environments use git-tagged module releases instead of local paths
  --wait SECONDS     how long to wait for another run writing the same folder (default 30)
  --quiet            print only errors
  --allow-delete-all let an estate that renders none of the generated files delete them all
  inventory          read \`tofu output -json\` (stdin or --file) and print Ansible inventory JSON

exit codes: 0 done, 1 --check found differences, 2 bad input (nothing written),
            70 a bug in Atlas, 75 another run held the lock for --wait seconds`;

/** A mistake on the command line: what is wrong, and what to do instead. */
export class UsageError extends Error {
  constructor(
    readonly subject: string,
    message: string,
    readonly hint = 'run `atlas-incus --help` for usage',
  ) {
    super(`${subject}: ${message}`);
  }
}

export type Command =
  | { readonly command: 'help' }
  | { readonly command: 'version' }
  | { readonly command: 'inventory'; readonly file: string | undefined }
  | {
      readonly command: 'generate';
      readonly check: boolean;
      readonly diff: boolean;
      readonly env: string | undefined;
      readonly config: string;
      readonly out: string;
      readonly pinnedSources: boolean;
      readonly waitMs: number;
      readonly quiet: boolean;
      readonly allowDeleteAll: boolean;
    };

const OPTIONS = {
  check: { type: 'boolean' },
  diff: { type: 'boolean' },
  env: { type: 'string' },
  config: { type: 'string' },
  out: { type: 'string' },
  'pinned-sources': { type: 'boolean' },
  wait: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'allow-delete-all': { type: 'boolean' },
  file: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'V' },
} as const;

const GENERATE_ONLY = [
  'check',
  'diff',
  'env',
  'config',
  'out',
  'pinned-sources',
  'wait',
  'quiet',
  'allow-delete-all',
];

function parse(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], allowPositionals: true, strict: true, options: OPTIONS });
  } catch (error) {
    const message = (error as Error).message;
    const option = /'(-[^' ]+)/.exec(message)?.[1] ?? 'command line';
    switch ((error as { code?: string }).code) {
      case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
        throw new UsageError(option, 'unknown option');
      case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
        throw new UsageError(
          option,
          message.includes('does not take') ? 'takes no value' : 'needs a value',
        );
      default:
        throw new UsageError('command line', message);
    }
  }
}

/** Read the command line, or throw a UsageError saying what is wrong with it. */
export function parseCommand(argv: readonly string[]): Command {
  const { values, positionals } = parse(argv);
  if (values.help) return { command: 'help' };
  if (values.version) return { command: 'version' };
  const [command, ...extra] = positionals;
  if (command === undefined)
    throw new UsageError('command line', 'no command given (generate or inventory)');
  if (extra.length) throw new UsageError(extra[0]!, 'unexpected argument');
  if (command === 'inventory') {
    const misplaced = GENERATE_ONLY.find((name) => name in values);
    if (misplaced)
      throw new UsageError(
        `--${misplaced}`,
        'is an option of `atlas-incus generate`, not of inventory',
      );
    return { command, file: values.file };
  }
  if (command !== 'generate')
    throw new UsageError(command, 'unknown command; expected generate or inventory');
  if (values.file !== undefined)
    throw new UsageError(
      '--file',
      'is an option of `atlas-incus inventory`; use --config for the estate',
    );
  if (values.diff && !values.check)
    throw new UsageError(
      '--diff',
      'only works with --check',
      'run `atlas-incus generate --check --diff`',
    );
  let waitMs = 30_000;
  if (values.wait !== undefined) {
    const seconds = Number(values.wait);
    if (values.wait.trim() === '' || !Number.isFinite(seconds) || seconds < 0)
      throw new UsageError(
        '--wait',
        `expected a number of seconds, got ${JSON.stringify(values.wait)}`,
      );
    waitMs = seconds * 1000;
  }
  const out = values.out ?? 'generated';
  if (out === '')
    throw new UsageError('--out', 'is empty', 'name the output folder, e.g. --out generated');
  const config = values.config ?? 'environments/index.ts';
  if (config === '')
    throw new UsageError(
      '--config',
      'is empty',
      'name the estate module, e.g. --config environments/index.ts',
    );
  if (values.env === '')
    throw new UsageError('--env', 'is empty', 'name an environment of the estate');
  return {
    command,
    check: values.check ?? false,
    diff: values.diff ?? false,
    env: values.env,
    config,
    out,
    pinnedSources: values['pinned-sources'] ?? false,
    waitMs,
    quiet: values.quiet ?? false,
    allowDeleteAll: values['allow-delete-all'] ?? false,
  };
}
