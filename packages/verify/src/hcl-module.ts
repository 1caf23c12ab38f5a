import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { blocksOf, type JsonObject } from './hcl-json.js';
import { parseHcl } from './hcl-tools.js';
import { outlineSource, type SourceBody } from './source-outline.js';

/** One HCL file, read and parsed. */
export interface HclFile {
  readonly path: string;
  readonly source: string;
  /** Source lines, for finding the line of a problem. */
  readonly lines: readonly string[];
  readonly outline: SourceBody;
  /** hcl2json's JSON, or `undefined` when the file does not parse. */
  readonly parsed: JsonObject | undefined;
  readonly parseError: { readonly message: string; readonly line: number | undefined } | undefined;
}

/** A folder of `.tf` files: one OpenTofu module. */
export interface HclModule {
  readonly dir: string;
  readonly files: readonly HclFile[];
  /** False when a file does not parse, so the declarations may be incomplete. */
  readonly parses: boolean;
  readonly declarations: ModuleDeclarations;
}

export interface ModuleDeclarations {
  readonly variables: ReadonlyMap<string, VariableSummary>;
  readonly locals: ReadonlySet<string>;
  readonly outputs: ReadonlySet<string>;
  readonly modules: ReadonlyMap<string, ModuleCall>;
  /** `type.name` of each `resource` block. */
  readonly resources: ReadonlySet<string>;
  /** `type.name` of each `data` block. */
  readonly dataSources: ReadonlySet<string>;
  /** Addresses (`incus_instance.x`, `data.incus_profile.y`, `module.z`) of blocks with `count` or `for_each`. */
  readonly repeated: ReadonlySet<string>;
}

export interface VariableSummary {
  /** No `default` (a `default = null` makes a variable optional). */
  readonly required: boolean;
  readonly sensitive: boolean;
}

export interface ModuleCall {
  readonly source: string;
  /** Arguments other than the meta-arguments, in hcl2json's (sorted) order. */
  readonly args: readonly string[];
}

/** What `summarizeModule` tells about a module. */
export interface ModuleSummary {
  readonly variables: Record<string, VariableSummary>;
  readonly outputs: string[];
  /** Addresses: `incus_instance.web`, and `data.incus_profile.default` for data sources. */
  readonly resources: string[];
  readonly modules: Record<string, { readonly source: string; readonly args: string[] }>;
}

/** Arguments of a `module` block that are not input variables of the called module. */
const MODULE_META_ARGUMENTS = new Set([
  'source',
  'version',
  'count',
  'for_each',
  'depends_on',
  'providers',
]);

export async function readHclFile(path: string): Promise<HclFile> {
  const source = await readFile(path, 'utf8');
  let parsed: JsonObject | undefined;
  let parseError: HclFile['parseError'];
  try {
    parsed = await parseHcl(path, source);
  } catch (error) {
    parseError = describeParseError(error instanceof Error ? error.message : String(error));
  }
  return {
    path,
    source,
    lines: source.split('\n'),
    outline: outlineSource(source),
    parsed,
    parseError,
  };
}

/**
 * hcl2json rejects with `parse config: [file.tf:2,6-3,1: Summary; Detail, …]`;
 * keep the first diagnostic's line and text.
 */
function describeParseError(raw: string): { message: string; line: number | undefined } {
  const diagnostic = /:(\d+),\d+(?:-\d+(?:,\d+)?)?: (.*?)\]?$/s.exec(raw);
  if (!diagnostic) return { message: raw, line: undefined };
  return { message: diagnostic[2]!, line: Number(diagnostic[1]) };
}

/** Reads and parses the `.tf` files of `dir` (none when it does not exist). */
export async function readHclModule(dir: string): Promise<HclModule> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const files: HclFile[] = [];
  for (const name of names.filter((name) => name.endsWith('.tf')).sort())
    files.push(await readHclFile(join(dir, name)));
  return {
    dir,
    files,
    parses: files.every((file) => file.parsed),
    declarations: declarationsOf(files.flatMap((file) => (file.parsed ? [file.parsed] : []))),
  };
}

const isRepeated = (body: JsonObject) => 'count' in body || 'for_each' in body;

function declarationsOf(parsedFiles: readonly JsonObject[]): ModuleDeclarations {
  const variables = new Map<string, VariableSummary>();
  const locals = new Set<string>();
  const outputs = new Set<string>();
  const modules = new Map<string, ModuleCall>();
  const resources = new Set<string>();
  const dataSources = new Set<string>();
  const repeated = new Set<string>();
  for (const parsed of parsedFiles) {
    for (const { labels, body } of blocksOf(parsed, 'variable', 1))
      variables.set(labels.join(), {
        required: !('default' in body),
        sensitive: body.sensitive === true,
      });
    for (const { body } of blocksOf(parsed, 'locals', 0))
      for (const name of Object.keys(body)) locals.add(name);
    for (const { labels } of blocksOf(parsed, 'output', 1)) outputs.add(labels.join());
    for (const { labels, body } of blocksOf(parsed, 'module', 1)) {
      modules.set(labels.join(), {
        source: typeof body.source === 'string' ? body.source : '',
        args: Object.keys(body).filter((key) => !MODULE_META_ARGUMENTS.has(key)),
      });
      if (isRepeated(body)) repeated.add(`module.${labels.join()}`);
    }
    for (const { labels, body } of blocksOf(parsed, 'resource', 2)) {
      resources.add(labels.join('.'));
      if (isRepeated(body)) repeated.add(labels.join('.'));
    }
    for (const { labels, body } of blocksOf(parsed, 'data', 2)) {
      dataSources.add(labels.join('.'));
      if (isRepeated(body)) repeated.add(`data.${labels.join('.')}`);
    }
  }
  return { variables, locals, outputs, modules, resources, dataSources, repeated };
}

/**
 * The variables, outputs, resources and module calls of the module in `dir`,
 * for tests that assert what a generated module declares. Throws when a file
 * does not parse.
 */
export async function summarizeModule(dir: string): Promise<ModuleSummary> {
  const module = await readHclModule(dir);
  const broken = module.files.find((file) => file.parseError);
  if (broken?.parseError)
    throw new Error(`${broken.path}:${broken.parseError.line ?? ''}: ${broken.parseError.message}`);
  const { declarations } = module;
  return {
    variables: Object.fromEntries(declarations.variables),
    outputs: [...declarations.outputs].sort(),
    resources: [
      ...[...declarations.resources].sort(),
      ...[...declarations.dataSources].sort().map((address) => `data.${address}`),
    ],
    modules: Object.fromEntries(
      [...declarations.modules].map(([name, call]) => [
        name,
        { source: call.source, args: [...call.args] },
      ]),
    ),
  };
}
