/**
 * The estate lint: checks over a whole environment or estate that no single
 * builder can make (names and descriptions that reach generated text, strings
 * that cannot be written, ports two services both publish on one host, the
 * hosts' capacity), run before anything is rendered. Each problem is a
 * {@link ConfigIssue} naming its field path (and, for clashes, the other end).
 */
import { isExpr, templateFileProblem, type Expr, type TemplatePart } from '@atlas/hcl';
import { z } from 'zod';
import type { Environment } from './environment-model.js';
import type { ConfigIssue, IssuePath } from './errors.js';
import { formatPath } from './errors.js';
import { formatBytes, serviceFacts, sizeInBytes } from './inventory.js';
import type { ModuleCall, ModuleDefinition } from './module.js';
import { byteSize, hclIdentifier, oneLineDescription } from './rules.js';
import { adoptionIssues } from './adoption.js';

export const hostCapacitySchema = z
  .object({
    cpu: z.number().int().min(1, 'expected a whole number of cores, at least 1'),
    memory: byteSize.schema,
    disk: byteSize.schema,
    cpuOvercommit: z.number().min(1, 'expected a factor of at least 1').optional(),
  })
  .strict();

const exprSchema = z.custom<Expr>((v) => isExpr(v), {
  message: 'expected an HCL expression (a module output or a value built with @atlas/hcl)',
});

const outputSpecSchema = z
  .object({
    description: z.string({ error: 'expected a description (one line of text)' }),
    value: exprSchema,
    type: z.custom((v) => typeof v === 'object' && v !== null && 'expr' in v, {
      message: 'expected an HCL type such as T.string',
    }),
    sensitive: z.boolean().optional(),
  })
  .strict();

const envVariableSchema = z.custom(
  (v) => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'env-variable',
  { message: 'expected a variable made with envVariable(…) or secret(…)' },
);

/** The shape `defineEnvironment` takes: every key known, so a misspelt one is an error, not ignored. */
export const environmentSpecSchema = z
  .object({
    name: z.string({ error: 'expected the environment name' }),
    description: z.string({ error: 'expected a description (one line of text)' }),
    modules: z.array(z.unknown(), { error: 'expected a list of module calls' }),
    variables: z.array(envVariableSchema).optional(),
    locals: z.record(z.string(), z.unknown()).optional(),
    outputs: z.record(z.string(), outputSpecSchema).optional(),
    provider: z
      .object({ remote: z.string().min(1).optional() })
      .strict()
      .optional(),
    capacity: hostCapacitySchema.optional(),
    imports: z.array(z.unknown(), { error: 'expected a list of adoptions (adopt(…))' }).optional(),
    site: z
      .custom(
        (v) => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'site',
        {
          message: 'expected a site (the value defineSite(…) returns)',
        },
      )
      .optional(),
  })
  .strict();

/** The shape `defineEstate` takes. */
export const estateSpecSchema = z
  .object({
    environments: z.array(z.unknown(), { error: 'expected a list of environments' }),
    modules: z.array(z.unknown()).optional(),
    repository: z.string({ error: 'expected the git URL of the repository' }),
  })
  .strict();

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `text` cannot be written as UTF-8, if it cannot. */
function unwritable(text: string): string | undefined {
  const lone = LONE_SURROGATE.exec(text);
  if (!lone) return undefined;
  const code = text.charCodeAt(lone.index).toString(16).toUpperCase();
  return `contains a lone surrogate (U+${code} at index ${lone.index}), which cannot be written as UTF-8; remove it or complete the pair`;
}

/** A description is printed in comments, tables and `description = "…"`: one line of real text. */
function descriptionIssue(text: unknown, path: IssuePath): ConfigIssue | undefined {
  const parsed = oneLineDescription.safeParse(text);
  if (!parsed.success) return { path, message: parsed.error.issues[0]!.message };
  const bad = unwritable(parsed.data);
  return bad ? { path, message: bad } : undefined;
}

function identifierIssue(name: unknown, what: string, path: IssuePath): ConfigIssue | undefined {
  if (typeof name === 'string' && hclIdentifier.schema.safeParse(name).success) return undefined;
  const article = /^[aeiou]/.test(what) ? 'an' : 'a';
  return {
    path,
    message: `expected ${article} ${what} name that is ${hclIdentifier.what}, got ${JSON.stringify(name)}`,
  };
}

/**
 * Every string inside `value` (an expression, or anything holding them) with
 * its path: object keys and tuple indices of expressions extend the path.
 */
function eachString(
  value: unknown,
  path: IssuePath,
  visit: (text: string, path: IssuePath) => void,
  seen = new WeakSet<object>(),
): void {
  if (typeof value === 'string') return visit(value, path);
  if (typeof value !== 'object' || value === null || seen.has(value)) return;
  seen.add(value);
  if (isExpr(value) && value.kind === 'object') {
    for (const entry of value.entries) {
      const key = typeof entry.key === 'string' ? entry.key : undefined;
      if (key !== undefined) visit(key, path);
      else eachString(entry.key, path, visit, seen);
      eachString(entry.value, key === undefined ? path : [...path, key], visit, seen);
    }
    return;
  }
  if (isExpr(value) && value.kind === 'tuple') {
    value.items.forEach((item, i) => eachString(item, [...path, i], visit, seen));
    return;
  }
  for (const inner of value instanceof Map ? value.values() : Object.values(value))
    eachString(inner, path, visit, seen);
}

function stringIssues(value: unknown, path: IssuePath): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  eachString(value, path, (text, at) => {
    const bad = unwritable(text);
    if (bad) issues.push({ path: at, message: bad });
  });
  return issues;
}

/** Literal text of a template file, in order. */
function* templateText(parts: readonly TemplatePart[]): Generator<string> {
  for (const part of parts) {
    if (part.kind === 'literal') yield part.value;
    else if (part.kind === 'if') {
      yield* templateText(part.then);
      if (part.else) yield* templateText(part.else);
    } else if (part.kind === 'for') yield* templateText(part.body);
  }
}

/** Text of a template file that `templatefile()` would misread (see `templateFileProblem`). */
export function templateIssues(parts: readonly TemplatePart[], path: IssuePath): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  let atStart = true;
  for (const text of templateText(parts)) {
    const problem = templateFileProblem(text, atStart);
    atStart = false;
    if (problem)
      issues.push({
        path,
        message: `${problem}, which templatefile() would misread (a lone carriage return stops interpolation; a byte-order mark is copied into the output); use \\n or \\r\\n line ends and no BOM`,
      });
    const bad = unwritable(text);
    if (bad) issues.push({ path, message: bad });
  }
  return issues;
}

/** Checks of one module definition: its name, descriptions, variable and output names, templates. */
export function moduleIssues(def: ModuleDefinition): ConfigIssue[] {
  const at = (...path: IssuePath): IssuePath => ['modules', def.name, ...path];
  const issues: (ConfigIssue | undefined)[] = [
    descriptionIssue(def.description, at('description')),
  ];
  for (const [name, spec] of Object.entries(def.variables)) {
    issues.push(identifierIssue(name, 'variable', at('variables', name)));
    issues.push(descriptionIssue(spec.description, at('variables', name, 'description')));
  }
  for (const [name, spec] of Object.entries(def.body.outputs)) {
    issues.push(identifierIssue(name, 'output', at('outputs', name)));
    issues.push(descriptionIssue(spec.description, at('outputs', name, 'description')));
  }
  const found = issues.filter((i): i is ConfigIssue => i !== undefined);
  for (const [path, parts] of Object.entries(def.body.templates ?? {}))
    found.push(...templateIssues(parts, at('templates', path)));
  found.push(...stringIssues(def.body, at()));
  return found;
}

const literal = (expr: Expr | undefined): string | undefined =>
  expr?.kind === 'string' ? expr.value : undefined;

interface Published {
  readonly path: IssuePath;
  readonly protocol: string;
  readonly port: number;
  /** The cluster member the instance is pinned to; undefined when Incus places it. */
  readonly node: string | undefined;
}

/** Host ports a call publishes through proxy devices (`listen = "tcp:0.0.0.0:3100"`). */
function publishedPorts(env: string, call: ModuleCall): Published[] {
  const devices = call.args.get('proxy_devices');
  if (devices?.kind !== 'object') return [];
  const node = literal(call.args.get('target_node'));
  const out: Published[] = [];
  for (const { key, value } of devices.entries) {
    if (value.kind !== 'object') continue;
    const listen = literal(value.entries.find((e) => e.key === 'listen')?.value);
    const match = listen && /^(tcp|udp):[^:]*:([0-9]+)$/.exec(listen);
    if (!match) continue;
    out.push({
      path: [env, call.name, 'proxy_devices', String(key)],
      protocol: match[1]!,
      port: Number(match[2]),
      node,
    });
  }
  return out;
}

/**
 * Two services may not listen on the same host port and protocol where they can share a host.
 * The generator runs it again once links have added the proxy devices remote consumers need.
 */
export function portClashes(env: Pick<Environment, 'name' | 'modules'>): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen: Published[] = [];
  for (const call of env.modules) {
    for (const port of publishedPorts(env.name, call)) {
      const other = seen.find(
        (p) =>
          p.protocol === port.protocol &&
          p.port === port.port &&
          (p.node === undefined || port.node === undefined || p.node === port.node),
      );
      if (other)
        issues.push({
          path: port.path,
          message: `publishes ${port.protocol} port ${port.port} on the host, and so does ${formatPath(other.path)}${other.node && port.node ? ` (both on ${port.node})` : ' (they can land on the same host)'}; give one of them another host port`,
        });
      seen.push(port);
    }
  }
  return issues;
}

/** The instances' CPU, memory and disks must fit in what the environment declares its hosts have. */
function capacityIssues(env: Environment): ConfigIssue[] {
  const capacity = env.capacity;
  if (!capacity) return [];
  const facts = serviceFacts(env);
  const bytes = (size: string | undefined) =>
    size && byteSize.schema.safeParse(size).success ? sizeInBytes(size) : 0;
  const largest = (sizes: readonly [string, number][], show: (n: number) => string) =>
    [...sizes]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([name, n]) => `${name} ${show(n)}`)
      .join(', ');
  const issues: ConfigIssue[] = [];
  const cpu = facts.map((f): [string, number] => [f.instance, f.cpu ?? 0]);
  const cpuTotal = cpu.reduce((sum, [, n]) => sum + n, 0);
  const overcommit = capacity.cpuOvercommit ?? 1;
  if (cpuTotal > capacity.cpu * overcommit)
    issues.push({
      path: [env.name, 'capacity', 'cpu'],
      message: `the instances ask for ${cpuTotal} CPUs (largest: ${largest(cpu, String)}), more than the hosts' ${capacity.cpu} core${capacity.cpu === 1 ? '' : 's'}${overcommit === 1 ? '' : ` × ${overcommit} overcommit`}; shrink them or declare more capacity`,
    });
  const sized = (pick: (f: (typeof facts)[number]) => number, what: string, limit: string) => {
    const sizes = facts.map((f): [string, number] => [f.instance, pick(f)]);
    const total = sizes.reduce((sum, [, n]) => sum + n, 0);
    if (total <= sizeInBytes(limit)) return;
    issues.push({
      path: [env.name, 'capacity', what],
      message: `the instances need ${formatBytes(total)} of ${what} (largest: ${largest(sizes, formatBytes)}), more than the hosts' ${limit}; shrink them or declare more capacity`,
    });
  };
  sized((f) => bytes(f.memory), 'memory', capacity.memory);
  sized((f) => bytes(f.rootDisk) + bytes(f.volume?.size), 'disk', capacity.disk);
  return issues;
}

/** Checks of one environment as a whole, beyond what `defineEnvironment` resolves. */
export function environmentIssues(env: Environment): ConfigIssue[] {
  const at = (...path: IssuePath): IssuePath => [env.name, ...path];
  const issues: (ConfigIssue | undefined)[] = [
    descriptionIssue(env.description, at('description')),
  ];
  for (const [name, out] of Object.entries(env.outputs)) {
    issues.push(identifierIssue(name, 'output', at('outputs', name)));
    issues.push(descriptionIssue(out.description, at('outputs', name, 'description')));
  }
  for (const v of env.variables) {
    issues.push(identifierIssue(v.name, 'variable', at('variables', v.name)));
    issues.push(descriptionIssue(v.spec.description, at('variables', v.name, 'description')));
  }
  for (const name of Object.keys(env.locals))
    issues.push(identifierIssue(name, 'local', at('locals', name)));
  for (const call of env.modules) issues.push(identifierIssue(call.name, 'module', at(call.name)));
  const found = issues.filter((i): i is ConfigIssue => i !== undefined);
  found.push(
    ...adoptionIssues(env.imports ?? [], new Map(env.modules.map((c) => [c.name, c])), at),
  );
  for (const call of env.modules) {
    for (const [arg, value] of call.args) found.push(...stringIssues(value, at(call.name, arg)));
    const comment = call.options.comment;
    for (const line of typeof comment === 'string' ? [comment] : (comment ?? []))
      if (/[\r\n]/.test(line) || unwritable(line))
        found.push({
          path: at(call.name, 'comment'),
          message: `expected comment lines without line breaks or lone surrogates (pass a list of lines), got ${JSON.stringify(line)}`,
        });
  }
  for (const v of env.variables)
    found.push(...stringIssues([v.example, v.spec.default], at('variables', v.name)));
  for (const [name, out] of Object.entries(env.outputs))
    found.push(...stringIssues(out.value, at('outputs', name)));
  for (const [name, local] of Object.entries(env.locals))
    found.push(...stringIssues(local, at('locals', name)));
  found.push(...portClashes(env), ...capacityIssues(env));
  return found;
}

/**
 * Environments, module definitions and estates the lint has passed, so that
 * `defineEstate` and the CLI do not check again what `defineEnvironment`
 * already did. A copy (`{ ...env, description: '' }`) is a new object and is
 * checked afresh.
 */
const passed = new WeakSet<object>();

/** Record that `value` (an environment, module definition or estate) passed the lint. */
export function markLinted<T extends object>(value: T): T {
  passed.add(value);
  return value;
}

/** What an estate is made of (the generator's `Estate`). */
export interface EstateParts {
  readonly environments: readonly Environment[];
  readonly modules: readonly ModuleDefinition[];
  readonly repository: string;
}

const GIT_URL = /^(https?|ssh|git|file):\/\/[^\s/]+\/\S+$|^[\w.-]+@[\w.-]+:\S+$/;

const isEnvironment = (v: unknown): v is Environment =>
  typeof v === 'object' &&
  v !== null &&
  (v as { kind?: unknown }).kind === 'environment' &&
  Array.isArray((v as { modules?: unknown }).modules) &&
  (v as Environment).modules.every(
    (m) => typeof m === 'object' && m !== null && m.kind === 'module-call' && m.args instanceof Map,
  ) &&
  typeof (v as { outputs?: unknown }).outputs === 'object' &&
  Array.isArray((v as { variables?: unknown }).variables);

const isModuleDefinition = (v: unknown): v is ModuleDefinition =>
  typeof v === 'object' &&
  v !== null &&
  typeof (v as { name?: unknown }).name === 'string' &&
  typeof (v as { call?: unknown }).call === 'function' &&
  typeof (v as { body?: unknown }).body === 'object';

/**
 * The lint over a whole estate, whatever built it: `defineEstate` runs it,
 * and so does the CLI on any default export (a hand-made object or JSON that
 * skipped `defineEstate` gets the same checks). Returns every problem found.
 */
export function estateIssues(estate: unknown): ConfigIssue[] {
  if (typeof estate !== 'object' || estate === null)
    return [{ path: [], message: 'expected an estate made with defineEstate(…)' }];
  if (passed.has(estate)) return [];
  const { environments, modules, repository } = estate as Partial<EstateParts>;
  const issues: ConfigIssue[] = [];
  if (typeof repository !== 'string' || !GIT_URL.test(repository) || unwritable(repository))
    issues.push({
      path: ['repository'],
      message: `expected the git URL of the repository (such as https://github.com/acme/estate.git), got ${JSON.stringify(repository)}; pinned module sources are built from it`,
    });
  if (!Array.isArray(environments)) {
    issues.push({ path: ['environments'], message: 'expected a list of environments' });
    return issues;
  }
  const definitions = new Set<ModuleDefinition>();
  environments.forEach((env: unknown, i) => {
    if (!isEnvironment(env)) {
      issues.push({
        path: ['environments', i],
        message: 'expected an environment made with defineEnvironment(…)',
      });
      return;
    }
    if (!passed.has(env)) issues.push(...environmentIssues(env));
    for (const call of env.modules) definitions.add(call.definition);
  });
  if (modules !== undefined && !Array.isArray(modules))
    issues.push({ path: ['modules'], message: 'expected a list of module definitions' });
  (Array.isArray(modules) ? modules : []).forEach((def: unknown, i) => {
    if (isModuleDefinition(def)) definitions.add(def);
    else
      issues.push({
        path: ['modules', i],
        message: 'expected a module definition (such as grafanaModule)',
      });
  });
  for (const def of definitions) {
    if (passed.has(def)) continue;
    const found = moduleIssues(def);
    if (found.length) issues.push(...found);
    else markLinted(def);
  }
  return issues;
}

/**
 * A run that would delete every file the output holds and write none of them
 * again (an empty estate, or the wrong one) needs the operator's say-so.
 * `removed`: generated files that would go; `kept`: rendered files already there.
 */
export function wholesaleDeletionIssue(
  plan: { readonly removed: number; readonly kept: number },
  allowed: boolean,
): ConfigIssue | undefined {
  if (allowed || plan.removed === 0 || plan.kept > 0) return undefined;
  return {
    path: ['environments'],
    message: `this estate would delete all ${plan.removed} generated files and keep none; check --config, or pass --allow-delete-all if that is what you want`,
  };
}
