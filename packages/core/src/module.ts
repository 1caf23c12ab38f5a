import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { call, isExpr, ref, toExpr, type BodyItem, type Expr, type TemplatePart } from '@atlas/hcl';
import type { HclType } from './hcl-type.js';
import { ConfigError } from './errors.js';
import type { Link } from './link.js';
import type { Rule, Validation } from './rules.js';

/** A variable of an environment's root module, e.g. a secret the operator supplies in terraform.tfvars. */
export interface EnvVariable<V = unknown> {
  readonly kind: 'env-variable';
  readonly name: string;
  readonly spec: VariableSpec<V>;
  /** Placeholder written to terraform.tfvars.example (never a real secret), of the variable's type. */
  readonly example?: unknown;
  /** `var.<name>` */
  readonly ref: Expr;
}

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  /** The package's CHANGELOG.md, published beside its module as `modules/<name>/CHANGELOG.md`. */
  readonly changelog?: string;
}

export interface VariableSpec<V = unknown> {
  readonly type: HclType<V>;
  readonly description: string;
  /** Leave out for a required variable; `null` makes it optional with no value. */
  readonly default?: V | null;
  readonly sensitive?: boolean;
  /** Rendered only when `false` (OpenTofu's default is nullable). */
  readonly nullable?: boolean;
  readonly rules?: readonly Rule[];
  readonly validations?: (self: Expr) => readonly Validation[];
  /** Value shown for this variable in the README's usage example (a value or an expression). */
  readonly example?: unknown;
}

export interface OutputSpec<V = unknown> {
  readonly description: string;
  readonly value: Expr;
  /** The type of the value: documents the output and types references to it. */
  readonly type: HclType<V>;
  readonly sensitive?: boolean;
}

export type VariableSpecs = Readonly<Record<string, VariableSpec<any>>>;
export type OutputSpecs = Readonly<Record<string, OutputSpec<any>>>;

/** Declare a variable, keeping the literal shape (so `default` decides whether a call must pass it). */
export const variable = <const S extends VariableSpec<any>>(spec: S): S => spec;
export const output = <V>(spec: OutputSpec<V>): OutputSpec<V> => spec;

type ValueOf<S> = S extends { readonly type: HclType<infer V> } ? V : never;

/** A value for a module argument: the plain value, or an expression anywhere inside it. */
export type Arg<V> =
  | Expr
  | (V extends readonly (infer E)[]
      ? readonly Arg<E>[]
      : V extends Record<string, unknown>
        ? { readonly [K in keyof V]: Arg<V[K]> }
        : V);

type RequiredKeys<Vs> = { [K in keyof Vs]: 'default' extends keyof Vs[K] ? never : K }[keyof Vs];
type OptionalKeys<Vs> = Exclude<keyof Vs, RequiredKeys<Vs>>;

/** Arguments of a module call: variables without a default are required. */
export type CallArgs<Vs extends VariableSpecs> = {
  readonly [K in RequiredKeys<Vs>]: Arg<ValueOf<Vs[K]>>;
} & {
  readonly [K in OptionalKeys<Vs>]?: Arg<ValueOf<Vs[K]>> | undefined;
};

/** An expression known to produce a value of type `V` (e.g. `module.prometheus01.endpoint`). */
export type Ref<V> = Expr & { readonly __ref?: V };

/** `var.<name>` for each variable, typed by its declaration. */
export type VariableRefs<Vs extends VariableSpecs> = {
  readonly [K in keyof Vs]: Ref<ValueOf<Vs[K]>>;
};

export type OutputRefs<Os extends OutputSpecs> = { readonly [K in keyof Os]: Ref<ValueOf<Os[K]>> };

export interface Local {
  readonly value: Expr;
  readonly comment?: string;
}

export const localValue = (local: Expr | Local): Expr => (isExpr(local) ? local : local.value);

export interface ModuleBody<Os extends OutputSpecs> {
  /** `locals { … }` in main.tf, in this order. */
  readonly locals?: Readonly<Record<string, Expr | Local>>;
  /** Resource and data blocks of main.tf, in this order. */
  readonly resources: readonly BodyItem[];
  readonly outputs: Os;
  /** Template files read by `templatefile()`, by path relative to the module (`templates/x.tftpl`). */
  readonly templates?: Readonly<Record<string, readonly TemplatePart[]>>;
}

export type ProviderName = 'incus' | 'tls';

export interface ModuleSpec<Vs extends VariableSpecs, Os extends OutputSpecs> {
  /** Folder name under `generated/modules/`. */
  readonly name: string;
  readonly package: PackageInfo;
  /** One or two sentences for the README and the main.tf header. */
  readonly description: string;
  readonly providers: readonly ProviderName[];
  readonly variables: Vs;
  /** Builds main.tf and outputs; `v` holds `var.<name>` for each variable. */
  readonly build: (v: { readonly [K in keyof Vs]: Ref<ValueOf<Vs[K]>> }) => ModuleBody<Os>;
}

export interface ModuleDefinition<
  Vs extends VariableSpecs = VariableSpecs,
  Os extends OutputSpecs = OutputSpecs,
> {
  readonly name: string;
  readonly package: PackageInfo;
  readonly description: string;
  readonly providers: readonly ProviderName[];
  readonly variables: Vs;
  readonly body: ModuleBody<Os>;
  /** Instantiate the module as `module "<name>" { … }` in a root module. */
  call(name: string, args: CallArgs<Vs>, options?: CallOptions): ModuleCall<Vs, Os>;
  /**
   * References to the outputs of the call named `name`, before that call is
   * made: for two services that refer to each other. The environment checks
   * that such a call exists.
   */
  refs(name: string): OutputRefs<Os>;
}

/**
 * Where the standard service arguments carry a rename (see `renamedFrom` in the service
 * options) into `call()`: a symbol key, so spreading them into a builder's arguments keeps
 * it and no module variable is involved.
 */
export const RENAMED_FROM: unique symbol = Symbol('renamedFrom');
/** Links the standard service arguments resolved (e.g. the journal upload URL), added to the call's own. */
export const SERVICE_LINKS: unique symbol = Symbol('serviceLinks');

export interface CallOptions {
  /** Comment lines printed above the `module` block. */
  readonly comment?: string | readonly string[];
  readonly count?: Expr;
  /** The call had no `count` before: a `moved` block takes its state to index 0. */
  readonly uncountedBefore?: boolean;
  readonly dependsOn?: readonly ModuleCall[];
  /** Root-module variables this call needs (e.g. secrets), declared by the environment that holds it. */
  readonly inputs?: readonly EnvVariable[];
  /** Addresses of other services this call is given, and why each one reaches its producer. */
  readonly links?: readonly Link[];
  /** Image servers its images come from (`ghcr:…`), declared in the root module's provider. */
  readonly imageRemotes?: readonly ImageRemote[];
}

/** An Incus image server as a `remote` block of the provider (https://ghcr.io over OCI, …). */
export interface ImageRemote {
  readonly name: string;
  readonly address: string;
  readonly protocol: 'oci' | 'simplestreams';
  readonly public: boolean;
}

export interface ModuleCall<
  Vs extends VariableSpecs = VariableSpecs,
  Os extends OutputSpecs = OutputSpecs,
> {
  readonly kind: 'module-call';
  readonly name: string;
  readonly definition: ModuleDefinition<Vs, Os>;
  /** Arguments as expressions, in the module's variable order. */
  readonly args: ReadonlyMap<string, Expr>;
  readonly outputs: OutputRefs<Os>;
  readonly options: CallOptions;
  /** The call's name before a rename: the environment moves its state with a `moved` block. */
  readonly renamedFrom?: string;
  /**
   * Addresses the call's state had before, oldest first (a rename, or a name Atlas once
   * wrote with hyphens): the environment moves each one to the next, ending at `name`.
   */
  readonly movedFrom?: readonly string[];
}

/**
 * The HCL name of a module call: snake_case, so `step-ca01` is called `step_ca01`
 * (Incus keeps the hyphenated instance name).
 */
export const callName = (name: string) => name.replace(/-/g, '_');

const MODULE_NAME = /^[a-z][a-z0-9_-]*$/;

export function defineModule<Vs extends VariableSpecs, Os extends OutputSpecs>(
  spec: ModuleSpec<Vs, Os>,
): ModuleDefinition<Vs, Os> {
  if (!MODULE_NAME.test(spec.name))
    throw new ConfigError([
      {
        path: ['modules', spec.name, 'name'],
        message: `expected a module name of lower-case letters, digits, underscores and hyphens that starts with a letter, got ${JSON.stringify(spec.name)}`,
      },
    ]);
  notIdentifiers(Object.keys(spec.variables), 'variable', ['modules', spec.name, 'variables']);
  const vars = Object.fromEntries(Object.keys(spec.variables).map((k) => [k, ref(`var.${k}`)])) as {
    [K in keyof Vs]: Ref<ValueOf<Vs[K]>>;
  };
  const body = spec.build(vars);
  notIdentifiers(Object.keys(body.outputs), 'output', ['modules', spec.name, 'outputs']);
  const definition: ModuleDefinition<Vs, Os> = {
    name: spec.name,
    package: spec.package,
    description: spec.description,
    providers: spec.providers,
    variables: spec.variables,
    body,
    call(name, args, options = {}) {
      return moduleCall(definition, name, args as Readonly<Record<string, unknown>>, options);
    },
    refs(name) {
      return outputRefs(definition, callName(name), {});
    },
  };
  return definition;
}

const CALL_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;

/** Variable and output names become `var.<name>` and `module.<call>.<name>`: HCL identifiers. */
function notIdentifiers(names: readonly string[], what: string, path: readonly string[]): void {
  const bad = names.filter((name) => !CALL_NAME.test(name));
  if (bad.length)
    throw new ConfigError(
      bad.map((name) => ({
        path: [...path, name],
        message: `expected ${what === 'output' ? 'an' : 'a'} ${what} name that is an HCL identifier (letters, digits, underscores and hyphens, starting with a letter or underscore), got ${JSON.stringify(name)}`,
      })),
    );
}

function moduleCall<Vs extends VariableSpecs, Os extends OutputSpecs>(
  definition: ModuleDefinition<Vs, Os>,
  name: string,
  args: Readonly<Record<string, unknown>>,
  options: CallOptions,
): ModuleCall<Vs, Os> {
  // A builder's name option becomes the call name: these are the user's mistakes, reported as such.
  if (typeof name !== 'string' || !CALL_NAME.test(name))
    throw new ConfigError([
      {
        path: [String(name), 'name'],
        message: `expected a module name that is an HCL identifier (letters, digits, underscores and hyphens, starting with a letter or underscore), got ${JSON.stringify(name)}`,
      },
    ]);
  const unknown = Object.keys(args).filter((key) => !(key in definition.variables));
  const missing = Object.entries(definition.variables)
    .filter(([key, spec]) => args[key] === undefined && !('default' in spec))
    .map(([key]) => key);
  if (unknown.length || missing.length)
    throw new ConfigError([
      ...unknown.map((key) => ({
        path: [name, key],
        message: `module "${definition.name}" has no variable "${key}"`,
      })),
      ...missing.map((key) => ({
        path: [name, key],
        message: `module "${definition.name}" needs a value for "${key}"`,
      })),
    ]);
  const converted = new Map<string, Expr>();
  for (const key of Object.keys(definition.variables)) {
    const value = args[key];
    if (value === undefined) continue;
    try {
      converted.set(key, toExpr(value));
    } catch (error) {
      // A value HCL cannot hold (a function, NaN, a class instance) is the caller's mistake.
      if (!(error instanceof TypeError || error instanceof RangeError)) throw error;
      throw new ConfigError([
        {
          path: [name, key],
          message: `expected a value HCL can hold (string, number, bool, null, list, object or expression): ${error.message}`,
        },
      ]);
    }
  }
  const renamedFrom = (args as { [RENAMED_FROM]?: string })[RENAMED_FROM];
  const serviceLinks = (args as { [SERVICE_LINKS]?: readonly Link[] })[SERVICE_LINKS];
  const hclName = callName(name);
  // Atlas wrote hyphenated call names as they were given; state under such a name follows.
  const earlier = renamedFrom === undefined ? [name] : [renamedFrom, callName(renamedFrom)];
  const movedFrom = [...new Set(earlier)].filter((n) => n !== hclName);
  return {
    kind: 'module-call',
    name: hclName,
    definition,
    args: converted,
    outputs: outputRefs(definition, hclName, options),
    options: serviceLinks
      ? { ...options, links: [...(options.links ?? []), ...serviceLinks] }
      : options,
    ...(renamedFrom === undefined ? {} : { renamedFrom }),
    ...(movedFrom.length ? { movedFrom } : {}),
  };
}

function outputRefs<Os extends OutputSpecs>(
  definition: ModuleDefinition<VariableSpecs, Os>,
  name: string,
  options: CallOptions,
): OutputRefs<Os> {
  // A counted call (0 or 1 instances) is read through one(): the value, or null when absent.
  return Object.fromEntries(
    Object.keys(definition.body.outputs).map((k) => [
      k,
      options.count ? call('one', [ref(`module.${name}`, '*', k)]) : ref(`module.${name}.${k}`),
    ]),
  ) as OutputRefs<Os>;
}

export function isModuleCall(value: unknown): value is ModuleCall {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { kind?: unknown }).kind === 'module-call'
  );
}

/** Name and version from the package.json one folder above `moduleUrl` (works from src/ and dist/). */
export function packageInfo(moduleUrl: string): PackageInfo {
  const { name, version } = createRequire(moduleUrl)('../package.json') as PackageInfo;
  let changelog: string;
  try {
    changelog = readFileSync(new URL('../CHANGELOG.md', moduleUrl), 'utf8');
  } catch {
    return { name, version };
  }
  return { name, version, changelog };
}
