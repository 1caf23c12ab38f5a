import { z } from 'zod';

// Each schema parses a handful of values per run: compiling a fast path for
// it (zod's default, with new Function) costs more than it saves.
z.config({ jitless: true });

export type IssuePath = ReadonlyArray<string | number>;

export interface ConfigIssue {
  readonly path: IssuePath;
  readonly message: string;
}

/**
 * A mistake in the user's description of the estate. The CLI prints these as
 * `path: message` lines with no stack trace and exits with code 2.
 */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map((i) => `${formatPath(i.path)}: ${i.message}`).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }

  static fromZod(error: z.ZodError, prefix: IssuePath = []): ConfigError {
    return new ConfigError(
      error.issues.flatMap((issue) => {
        const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
        // A misspelt key is named in the path, where the reader looks for it.
        if (issue.code === 'unrecognized_keys')
          return issue.keys.map((key) => ({
            path: [...path, key],
            message: `Unrecognized key: "${key}" (not an option here; check its spelling)`,
          }));
        return [{ path, message: issue.message }];
      }),
    );
  }
}

/** `grafana01.datasources[0].url` */
export function formatPath(path: IssuePath): string {
  let out = '';
  for (const step of path) {
    if (typeof step === 'number') out += `[${step}]`;
    else out += out ? `.${step}` : step;
  }
  return out || '(root)';
}

/** Parse with a zod schema; on failure throw a {@link ConfigError} whose paths start with `prefix`. */
export function parseConfig<S extends z.ZodType>(
  schema: S,
  input: unknown,
  prefix: IssuePath = [],
): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw ConfigError.fromZod(result.error, prefix);
  return result.data;
}
