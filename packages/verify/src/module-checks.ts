import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { checkAgainstSchema } from '@atlas/providers';
import {
  bracketDepthChange,
  INDEX_STEP,
  isIdentifier,
  isPunctuation,
  matchingBracket,
  templateFacts,
  type FunctionCall,
  type Traversal,
} from './expression-facts.js';
import { lexTemplate, type Token } from './hcl-lexer.js';
import type { HclFile, HclModule, ModuleDeclarations } from './hcl-module.js';
import { blockSite, collectUses, type Site, type Uses } from './module-uses.js';
import type { CheckName } from './problem.js';
import { findBlocks, literalText } from './source-outline.js';

/** A problem found in a module; `verifyTree` turns the file into a relative path. */
export interface ModuleProblem {
  readonly file: HclFile;
  readonly line: number | undefined;
  readonly check: CheckName;
  readonly message: string;
}

export type ModuleLoader = (dir: string) => Promise<HclModule>;

/**
 * The checks that need a whole module: references resolve, module calls match
 * the called modules, templates exist and get their variables, and
 * resources match the provider schemas.
 */
export async function checkModule(
  module: HclModule,
  loadModule: ModuleLoader,
): Promise<ModuleProblem[]> {
  const problems: ModuleProblem[] = [];
  for (const file of module.files)
    if (file.parsed)
      for (const message of checkAgainstSchema(file.parsed))
        problems.push({ file, line: schemaProblemLine(file, message), check: 'schema', message });
  // With a file that does not parse, most names would look undeclared.
  if (!module.parses) return problems;

  const uses = collectUses(module.files);
  const { declarations } = module;
  for (const { traversal, site } of uses.traversals) {
    const message = danglingReference(traversal, site, declarations);
    if (message)
      problems.push({
        file: site.file,
        line: locate(site, traversalNeedles(traversal)),
        check: 'reference',
        message,
      });
  }
  problems.push(...(await checkModuleCalls(module, uses.traversals, loadModule)));
  for (const { call, site } of uses.calls)
    problems.push(...(await checkFileCall(call, site, module.dir)));
  return problems;
}

/** Why `traversal` does not resolve in this module, or `undefined` when it does. */
function danglingReference(
  { root, steps }: Traversal,
  site: Site,
  declared: ModuleDeclarations,
): string | undefined {
  const [first, second] = steps;
  const name = first === INDEX_STEP ? undefined : first;
  switch (root) {
    case 'var':
      return name !== undefined && declared.variables.has(name)
        ? undefined
        : `var.${name ?? ''}: no variable "${name ?? ''}" is declared in this module`;
    case 'local':
      return name !== undefined && declared.locals.has(name)
        ? undefined
        : `local.${name ?? ''}: no local value "${name ?? ''}" is declared in this module`;
    case 'module':
      if (name === undefined || !declared.modules.has(name))
        return `module.${name ?? ''}: no module "${name ?? ''}" block in this module`;
      return missingInstanceKey(`module.${name}`, second, declared);
    case 'data': {
      const address = `${name ?? ''}.${second ?? ''}`;
      if (!declared.dataSources.has(address))
        return `data.${address}: no data "${name ?? ''}" "${second ?? ''}" block in this module`;
      return missingInstanceKey(`data.${address}`, steps[2], declared);
    }
    case 'count':
      if (!site.hasCount) return `count.${name ?? ''} is used in a block without count`;
      return name === 'index' ? undefined : `count.${name ?? ''}: only count.index exists`;
    case 'each':
      if (!site.hasForEach) return `each.${name ?? ''} is used in a block without for_each`;
      return name === 'key' || name === 'value'
        ? undefined
        : `each.${name ?? ''}: only each.key and each.value exist`;
    case 'self':
      return site.allowsSelf
        ? undefined
        : 'self is only valid in provisioner, connection and postcondition blocks';
    case 'path':
      return name === 'module' || name === 'root' || name === 'cwd'
        ? undefined
        : `path.${name ?? ''}: only path.module, path.root and path.cwd exist`;
    case 'terraform':
      return name === 'workspace'
        ? undefined
        : `terraform.${name ?? ''}: only terraform.workspace exists`;
    default:
      if (name === undefined)
        return `"${root}" is not a known name (a resource reference needs TYPE.NAME)`;
      if (!declared.resources.has(`${root}.${name}`))
        return `${root}.${name}: no resource "${root}" "${name}" block in this module`;
      return missingInstanceKey(`${root}.${name}`, second, declared);
  }
}

/** `incus_instance.x.name` where `incus_instance.x` has `count` or `for_each`: an attribute needs an instance key first. */
function missingInstanceKey(
  address: string,
  nextStep: string | undefined,
  declared: ModuleDeclarations,
): string | undefined {
  if (nextStep === undefined || nextStep === INDEX_STEP || !declared.repeated.has(address))
    return undefined;
  return `${address}.${nextStep}: ${address} has count or for_each, so ${nextStep} needs an instance key (${address}[…].${nextStep})`;
}

/** Texts to look for on the source lines: the reference as written, then its shorter forms. */
function traversalNeedles({ root, steps }: Traversal): string[] {
  const firstIndex = steps.indexOf(INDEX_STEP);
  const names = firstIndex === -1 ? steps : steps.slice(0, firstIndex);
  const needles: string[] = [];
  for (let length = Math.min(names.length, 2); length >= 0; length--)
    needles.push([root, ...names.slice(0, length)].join('.'));
  return needles;
}

async function checkModuleCalls(
  module: HclModule,
  traversals: Uses['traversals'],
  loadModule: ModuleLoader,
): Promise<ModuleProblem[]> {
  const problems: ModuleProblem[] = [];
  const calledModules = new Map<string, HclModule>();
  for (const [name, call] of module.declarations.modules) {
    // Registry and git sources are fetched by `tofu init`; only local ones can be checked here.
    if (!/^\.\.?\//.test(call.source)) continue;
    const site = moduleSite(module, name);
    if (!site) continue;
    const called = await loadModule(resolve(module.dir, call.source));
    const problem = (message: string, attribute?: string): ModuleProblem => ({
      file: site.file,
      line: locate({ ...site, attribute }, []),
      check: 'module-call',
      message: `module "${name}": ${message}`,
    });
    if (called.files.length === 0) {
      problems.push(problem(`source "${call.source}" has no .tf files`));
      continue;
    }
    // Its own parse problems are reported where it is checked.
    if (!called.parses) continue;
    calledModules.set(name, called);
    for (const [variable, { required }] of called.declarations.variables)
      if (required && !call.args.includes(variable))
        problems.push(problem(`required variable "${variable}" of ${call.source} is not set`));
    for (const arg of call.args)
      if (!called.declarations.variables.has(arg))
        problems.push(problem(`argument "${arg}" is not a variable of ${call.source}`, arg));
  }

  for (const { traversal, site } of traversals) {
    const [name, ...rest] = traversal.steps;
    const output = rest.find((step) => step !== INDEX_STEP);
    const called = traversal.root === 'module' && name ? calledModules.get(name) : undefined;
    if (!called || output === undefined || called.declarations.outputs.has(output)) continue;
    const { source } = module.declarations.modules.get(name ?? '') ?? { source: '' };
    problems.push({
      file: site.file,
      line: locate(site, [`module.${name}.${output}`, `.${output}`, `module.${name}`]),
      check: 'module-call',
      message: `module.${name}.${output}: ${source} has no output "${output}"`,
    });
  }
  return problems;
}

/** The site of `module "<name>"`'s block, in the file that declares it. */
function moduleSite(module: HclModule, name: string): Site | undefined {
  const file = module.files.find((candidate) => findBlocks(candidate.outline, 'module', [name])[0]);
  return file && blockSite(file, 'module', [name]);
}

/**
 * `templatefile("${path.module}/…", { … })` and `file("${path.module}/…")`:
 * the file exists, and a template gets every variable it uses. Paths not
 * relative to `path.module` depend on where tofu runs, so they are skipped.
 */
async function checkFileCall(
  call: FunctionCall,
  site: Site,
  moduleDir: string,
): Promise<ModuleProblem[]> {
  const [pathArgument = [], varsArgument = []] = call.args;
  const relativePath = modulePath(pathArgument);
  if (relativePath === undefined) return [];
  const shownPath = `\${path.module}/${relativePath}`;
  const line = locate(site, [relativePath, `${call.name}(`]);
  const problem = (message: string): ModuleProblem => ({
    file: site.file,
    line,
    check: 'template',
    message: `${call.name}(): ${message}`,
  });
  const text = await readFile(join(moduleDir, relativePath), 'utf8').catch(() => undefined);
  if (text === undefined) return [problem(`${shownPath} does not exist`)];
  if (call.name !== 'templatefile') return [];

  const passed = objectKeys(varsArgument);
  if (!passed) return [];
  const problems: ModuleProblem[] = [];
  const reported = new Set<string>();
  for (const { root, line: templateLine } of templateFacts(lexTemplate(text)).traversals) {
    if (passed.has(root) || reported.has(root)) continue;
    reported.add(root);
    problems.push(
      problem(
        `${shownPath} uses "${root}" (template line ${templateLine}), which the vars object does not pass`,
      ),
    );
  }
  return problems;
}

/** `"${path.module}/a/b"` → `a/b`; `undefined` for any other expression. */
function modulePath(argument: readonly Token[]): string | undefined {
  const tokens = argument.filter((token) => token.kind !== 'newline');
  const [template] = tokens;
  if (tokens.length !== 1 || template?.kind !== 'template' || template.heredoc) return undefined;
  const [head, ...tail] = template.parts;
  if (head?.kind !== 'interpolation') return undefined;
  const headTokens = head.tokens.filter((token) => token.kind !== 'newline');
  const isPathModule =
    headTokens.length === 3 &&
    isIdentifier(headTokens[0], 'path') &&
    isPunctuation(headTokens[1], '.') &&
    isIdentifier(headTokens[2], 'module');
  const rest = literalText({ ...template, parts: tail });
  if (!isPathModule || !rest?.startsWith('/')) return undefined;
  return rest.slice(1);
}

/**
 * The keys of an object constructor `{ a = …, "b" = … }`; `undefined` when the
 * argument is something else or a key is computed, since then the passed names
 * are unknown.
 */
function objectKeys(argument: readonly Token[]): Set<string> | undefined {
  if (!isPunctuation(argument[0], '{') || matchingBracket(argument, 0) !== argument.length - 1)
    return undefined;
  const keys = new Set<string>();
  let depth = 0;
  for (let i = 0; i < argument.length; i++) {
    const token = argument[i]!;
    const previous = argument[i - 1];
    const startsItem =
      depth === 1 &&
      (isPunctuation(previous, '{') ||
        isPunctuation(previous, ',') ||
        previous?.kind === 'newline');
    const closesObject = i === argument.length - 1;
    if (startsItem && token.kind !== 'newline' && !closesObject) {
      if (isIdentifier(token, 'for')) return undefined;
      const key =
        token.kind === 'identifier'
          ? token.text
          : token.kind === 'template'
            ? literalText(token)
            : undefined;
      const next = argument[i + 1];
      if (key === undefined || !(isPunctuation(next, '=') || isPunctuation(next, ':')))
        return undefined;
      keys.add(key);
    }
    depth += bracketDepthChange(token);
  }
  return keys;
}

/**
 * The line of a site: the first line of its innermost block (from its
 * attribute, when it has one) that contains one of `needles` as a whole name,
 * else the line that block or attribute starts on.
 */
function locate(site: Site, needles: readonly string[]): number | undefined {
  const [top, ...nested] = site.path;
  if (!top) return undefined;
  let block = findBlocks(site.file.outline, top.type, top.labels)[top.index];
  for (const step of nested) {
    const inner = block?.blocks.filter(
      (candidate) =>
        candidate.type === step.type &&
        step.labels.every((label, i) => candidate.labels[i]?.text === label),
    )[step.index];
    if (!inner) break;
    block = inner;
  }
  if (!block) return undefined;
  const from =
    block.attributes.find((attribute) => attribute.name === site.attribute)?.line ?? block.line;
  for (const needle of needles) {
    const pattern = new RegExp(`(?<![\\w.-])${escapeRegExp(needle)}(?![\\w-])`);
    for (let line = from; line <= block.endLine; line++)
      if (pattern.test(site.file.lines[line - 1] ?? '')) return line;
  }
  return from;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * checkAgainstSchema's messages start with the block's address and the path in
 * it (`incus_instance.app.type: …`, `data.incus_profile.p: unknown argument or block "x"`).
 * The line is the argument's when the message names one that is set, else the block's.
 */
function schemaProblemLine(file: HclFile, message: string): number | undefined {
  const address = /^(data\.)?([\w-]+)\.([\w-]+)(\S*): (.*)$/.exec(message);
  if (!address) return undefined;
  const [, data, type = '', name = '', path = '', detail = ''] = address;
  const named = /^(?:unknown argument or block|"([\w-]+)" is computed)/.test(detail)
    ? /"([\w-]+)"/.exec(detail)?.[1]
    : /\.([\w-]+)$/.exec(path)?.[1];
  const site = blockSite(file, data ? 'data' : 'resource', [type, name]);
  return locate({ ...site, attribute: named }, named ? [named] : []);
}
