import { call, cond, forMap, num, object, ref, str, tuple, type Expr } from '@atlas/hcl';
import { z } from 'zod';
import { T } from './hcl-type.js';
import { ConfigError, type ConfigIssue, type IssuePath } from './errors.js';
import {
  callName,
  isModuleCall,
  localValue,
  type CallOptions,
  type EnvVariable,
  type ModuleCall,
  type OutputSpec,
  type ProviderName,
  type VariableSpec,
} from './module.js';
import { expressionReferences } from './references.js';
import { hclIdentifier } from './rules.js';
import { environmentIssues, environmentSpecSchema, markLinted } from './estate-lint.js';
import type { Environment, EnvironmentSpec, RemoteState } from './environment-model.js';

export function envVariable<V>(
  name: string,
  spec: VariableSpec<V>,
  example?: unknown,
): EnvVariable<V> {
  if (typeof name !== 'string' || !hclIdentifier.schema.safeParse(name).success)
    throw new ConfigError([
      {
        path: ['variables', String(name)],
        message: `expected a variable name that is ${hclIdentifier.what}, got ${JSON.stringify(name)}`,
      },
    ]);
  return {
    kind: 'env-variable',
    name,
    spec,
    ...(example === undefined ? {} : { example }),
    ref: ref(`var.${name}`),
  };
}

/** A root variable that belongs to one instance: `<instance>_<suffix>`, hyphens as underscores (`step_ca01_password`). */
export function instanceVariable<V>(
  instance: string,
  suffix: string,
  spec: VariableSpec<V>,
  example?: unknown,
): EnvVariable<V> {
  return envVariable(`${instance.replace(/-/g, '_')}_${suffix}`, spec, example);
}

/**
 * A root switch for an optional part of an environment, on by default (what the estate did
 * before it could be switched off). Module calls given it get `count`, so it must be known at plan.
 */
export function enableSwitch(name: string, description: string): EnvVariable<boolean> {
  return envVariable<boolean>(name, { type: T.bool, description, default: true, nullable: false });
}

const isSwitch = (v: unknown): v is EnvVariable<boolean> =>
  typeof v === 'object' &&
  v !== null &&
  (v as EnvVariable).kind === 'env-variable' &&
  JSON.stringify((v as EnvVariable).spec.type) === JSON.stringify(T.bool);

/** A builder's `enabledBy` option: a switch from {@link enableSwitch}. */
export const enableSwitchSchema = z.custom<EnvVariable<boolean>>(isSwitch, {
  error: 'expected a root switch (the value enableSwitch(…) returns)',
});

/**
 * Call options for a module call behind a switch: `count` from it, the switch declared by the
 * environment, and a `moved` block so the state of the call it was before stays its instance 0.
 */
export function switchedBy(enabledBy: EnvVariable<boolean>): CallOptions {
  return {
    count: cond(enabledBy.ref, num(1), num(0)),
    uncountedBefore: true,
    comment: `Created only when var.${enabledBy.name} is true.`,
    inputs: [enabledBy],
  };
}

/** A sensitive string the operator provides at plan time; it never appears in generated files. */
export function secret(name: string, description: string): EnvVariable<string> {
  return envVariable(
    name,
    { type: { expr: { t: 'string' } }, description, sensitive: true },
    `<${name}>`,
  );
}

/** A {@link secret} that belongs to one instance: `<instance>_<suffix>`. */
export const instanceSecret = (
  instance: string,
  suffix: string,
  description: string,
): EnvVariable<string> => secret(`${instance.replace(/-/g, '_')}_${suffix}`, description);

const ENV_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Check an environment as a whole — unique names, every module and variable
 * reference resolvable inside it — and return it ready to render.
 * Throws a {@link ConfigError} naming each problem's path.
 */
export function defineEnvironment(spec: EnvironmentSpec): Environment {
  const shape = environmentSpecSchema.safeParse(spec);
  if (!shape.success)
    throw ConfigError.fromZod(shape.error, [
      typeof (spec as { name?: unknown })?.name === 'string' ? spec.name : 'environment',
    ]);
  const issues: ConfigIssue[] = [];
  const at = (...path: IssuePath) => [spec.name, ...path];
  if (!ENV_NAME.test(spec.name)) {
    issues.push({
      path: ['name'],
      message: `expected a lower-case name of letters, digits and hyphens, got ${JSON.stringify(spec.name)}`,
    });
  }

  const calls = new Map<string, ModuleCall>();
  const instanceNames = new Map<string, string>();
  spec.modules.forEach((call, i) => {
    if (!isModuleCall(call)) {
      issues.push({
        path: at('modules', i),
        message: 'expected a module call (the value a service builder returns)',
      });
      return;
    }
    if (calls.has(call.name)) {
      issues.push({
        path: at(call.name),
        message: `module name "${call.name}" is used more than once`,
      });
    }
    calls.set(call.name, call);
    const instance = call.args.get('instance_name');
    if (instance?.kind === 'string') {
      const owner = instanceNames.get(instance.value);
      if (owner !== undefined) {
        issues.push({
          path: at(call.name, 'instance_name'),
          message: `instance name "${instance.value}" is already used by module "${owner}"`,
        });
      } else instanceNames.set(instance.value, call.name);
    }
  });
  for (const call of calls.values()) {
    if (call.renamedFrom !== undefined && calls.has(callName(call.renamedFrom))) {
      issues.push({
        path: at(call.name, 'renamedFrom'),
        message: `"${call.renamedFrom}" is still a module of this environment; a service can only be renamed from a name no longer in use`,
      });
    }
  }

  const variables = new Map<string, EnvVariable>();
  const addVariable = (v: EnvVariable, path: IssuePath) => {
    const existing = variables.get(v.name);
    if (
      existing &&
      existing.spec !== v.spec &&
      JSON.stringify(existing.spec) !== JSON.stringify(v.spec)
    ) {
      issues.push({
        path,
        message: `variable "${v.name}" is declared twice with different settings`,
      });
    }
    variables.set(v.name, existing ?? v);
  };
  spec.variables?.forEach((v, i) => addVariable(v, at('variables', i)));
  for (const call of calls.values()) {
    call.options.inputs?.forEach((v) => addVariable(v, at(call.name)));
  }

  const checkRefs = (expr: Expr, path: IssuePath) => {
    for (const { root, name, path: inner } of expressionReferences(expr)) {
      if (root === 'module' && !calls.has(name)) {
        issues.push({
          path: [...path, ...inner],
          message: `refers to module "${name}", which is not part of environment "${spec.name}"`,
        });
      }
      if (root === 'var' && !variables.has(name)) {
        issues.push({
          path: [...path, ...inner],
          message: `refers to variable "${name}", which environment "${spec.name}" does not declare`,
        });
      }
      if (root === 'local' && !(spec.locals && name in spec.locals)) {
        issues.push({
          path: [...path, ...inner],
          message: `refers to local "${name}", which environment "${spec.name}" does not define`,
        });
      }
    }
  };
  for (const call of calls.values()) {
    for (const [arg, value] of call.args) checkRefs(value, at(call.name, arg));
    call.options.dependsOn?.forEach((dep, i) => {
      if (calls.get(dep.name) !== dep) {
        issues.push({
          path: at(call.name, 'dependsOn', i),
          message: `depends on module "${dep.name}", which is not part of environment "${spec.name}"`,
        });
      }
    });
  }
  for (const [name, local] of Object.entries(spec.locals ?? {}))
    checkRefs(localValue(local), at('locals', name));
  for (const [name, out] of Object.entries(spec.outputs ?? {}))
    checkRefs(out.value, at('outputs', name));

  if (spec.site && spec.site.environment !== spec.name)
    issues.push({
      path: at('site', 'environment'),
      message: `the site belongs to environment "${spec.site.environment}", not "${spec.name}"`,
    });
  if (!issues.length) issues.push(...dependencyCycles([...calls.values()], spec.name));
  if (issues.length) throw new ConfigError(issues);

  const remoteStates = remoteStatesUsed([
    ...[...calls.values()].flatMap((c) => [...c.args.values()]),
    ...Object.values(spec.locals ?? {}).map(localValue),
    ...Object.values(spec.outputs ?? {}).map((o) => o.value),
  ]);
  for (const remote of remoteStates) {
    for (const v of remoteStateVariables(remote.environment)) variables.set(v.name, v);
  }

  // The environment's own outputs first; an Ansible hand-off output it declares itself wins.
  const outputs: Record<string, OutputSpec> = { ...spec.outputs };
  for (const [name, out] of Object.entries(
    ansibleOutputs([...calls.values()], spec.provider?.remote),
  ))
    outputs[name] ??= out;

  const providers = new Set<ProviderName>();
  for (const call of calls.values()) call.definition.providers.forEach((p) => providers.add(p));
  const environment: Environment = {
    kind: 'environment',
    name: spec.name,
    description: spec.description,
    modules: [...calls.values()],
    variables: [...variables.values()],
    locals: spec.locals ?? {},
    outputs,
    remoteStates,
    provider: spec.provider ?? {},
    providers: [...providers].sort(),
    imageRemotes: [
      ...new Map(
        [...calls.values()].flatMap((c) => c.options.imageRemotes ?? []).map((r) => [r.name, r]),
      ).values(),
    ].sort((a, b) => a.name.localeCompare(b.name)),
    imports: spec.imports ?? [],
    ...(spec.capacity ? { capacity: spec.capacity } : {}),
    ...(spec.site ? { site: spec.site } : {}),
    links: [...calls.values()].flatMap((c) => c.options.links ?? []),
  };
  const lint = environmentIssues(environment);
  if (lint.length) throw new ConfigError(lint);
  return markLinted(environment);
}

/** The instance name when it is a literal (as service builders write it), else the module name. */
const instanceKey = (call: ModuleCall): string => {
  const name = call.args.get('instance_name');
  return name?.kind === 'string' ? name.value : call.name;
};

const outputOf = (call: ModuleCall, name: string): Expr =>
  (call.outputs as Readonly<Record<string, Expr>>)[name]!;

/** The Ansible group of a module's instances: its module name with underscores (`forgejo_runner`). */
export const ansibleGroup = (moduleName: string) => moduleName.replace(/-/g, '_');

/**
 * The hybrid pattern's hand-off (C6): for every module that outputs
 * `ansible_vars` (every system-container service; see incusServiceModule),
 * `<group>_instances` lists its instances and
 * `<group>_ansible_vars` maps each instance to its variables; `incus_remote`
 * tells the inventory which Incus remote Ansible connects through.
 */
function ansibleOutputs(
  calls: readonly ModuleCall[],
  remote: string | undefined,
): Record<string, OutputSpec> {
  const groups = new Map<string, ModuleCall[]>();
  for (const call of calls) {
    if (!('ansible_vars' in call.definition.body.outputs)) continue;
    const group = ansibleGroup(call.definition.name);
    groups.set(group, [...(groups.get(group) ?? []), call]);
  }
  if (groups.size === 0) return {};
  const out: Record<string, OutputSpec> = {
    incus_remote: {
      description: 'Incus remote Ansible connects through (community.general.incus).',
      value: str(remote ?? 'local'),
      type: T.string,
    },
  };
  for (const [group, members] of groups) {
    const present = members.filter((m) => !m.options.count);
    // A counted call (cloudflared without a token) may have no instance: list what exists.
    const counted = members.filter((m) => m.options.count);
    const hosts = tuple(present.map((m) => outputOf(m, 'instance_name')));
    const vars = object(
      present.map((m) => ({ key: instanceKey(m), value: outputOf(m, 'ansible_vars') })),
    );
    const joined = (fn: string, parts: Expr[]) =>
      parts.length === 1 ? parts[0]! : call(fn, parts);
    out[`${group}_instances`] = {
      description: `Instances Ansible reaches as group ${group}.`,
      value: joined('concat', [
        ...(present.length ? [hosts] : []),
        ...counted.map((m) => ref(`module.${m.name}`, '*', 'instance_name')),
      ]),
      type: T.list(T.string),
    };
    out[`${group}_ansible_vars`] = {
      description: `Ansible variables of each ${group} instance, by instance name.`,
      value: joined('merge', [
        ...(present.length ? [vars] : []),
        ...counted.map((m) =>
          forMap(
            'instance',
            ref(`module.${m.name}`),
            ref('instance.instance_name'),
            ref('instance.ansible_vars'),
          ),
        ),
      ]),
      type: T.map(T.any),
    };
  }
  return out;
}

/** Every `data.terraform_remote_state.<env>.outputs.<name>` in these expressions, by environment. */
function remoteStatesUsed(exprs: readonly Expr[]): RemoteState[] {
  const used = new Map<string, Set<string>>();
  for (const expr of exprs) {
    for (const r of expressionReferences(expr)) {
      if (r.root !== 'data' || r.name !== 'terraform_remote_state') continue;
      // data.terraform_remote_state.<env>[*].outputs.<name> (counted), or without the splat.
      const steps = r.steps.filter((s) => !('splat' in s));
      const [, env, outputs, name] = steps;
      if (
        env &&
        'attr' in env &&
        outputs &&
        'attr' in outputs &&
        outputs.attr === 'outputs' &&
        name &&
        'attr' in name
      ) {
        used.set(env.attr, (used.get(env.attr) ?? new Set()).add(name.attr));
      }
    }
  }
  return [...used]
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([environment, names]) => ({ environment, outputs: [...names].sort() }));
}

/**
 * Whether and how to read another environment's state bucket. Until that
 * environment is first applied its state object does not exist, and
 * terraform_remote_state fails on a missing object whatever its defaults, so
 * reading is switched on by `<env>_applied` once there is something to read.
 */
export function remoteStateVariables(environment: string): EnvVariable[] {
  const prefix = environment.replace(/-/g, '_');
  const optionalSecret = (suffix: string, description: string) =>
    envVariable<string>(`${prefix}_state_${suffix}`, {
      type: T.string,
      description,
      sensitive: true,
      default: null,
    });
  return [
    envVariable<boolean>(`${prefix}_applied`, {
      type: T.bool,
      description: `Set to true once ${environment} has been applied: only then is its state read (its outputs are null until then).`,
      default: false,
    }),
    envVariable<string>(`${prefix}_state_endpoint`, {
      type: T.string,
      description: `S3 endpoint of ${environment}'s state bucket (its bootstrap's s3_endpoint); needed once ${prefix}_applied is true.`,
      default: null,
      example: `https://${environment}.example.net:8555`,
    }),
    optionalSecret(
      'access_key',
      `Access key for reading ${environment}'s state (from its bootstrap outputs); needed once ${prefix}_applied is true.`,
    ),
    optionalSecret(
      'secret_key',
      `Secret key for reading ${environment}'s state (from its bootstrap outputs); needed once ${prefix}_applied is true.`,
    ),
  ];
}

/** Outputs of a module whose value needs one of its resources (not just variables). */
function resourceOutputs(def: ModuleCall['definition']): Set<string> {
  const locals = def.body.locals ?? {};
  const needsResource = (expr: Expr, seen: Set<string>): boolean =>
    expressionReferences(expr).some((r) => {
      if (r.root === 'var' || r.root === 'path' || r.root === 'each' || r.root === 'count')
        return false;
      if (r.root !== 'local') return true;
      if (seen.has(r.name) || !(r.name in locals)) return false;
      return needsResource(localValue(locals[r.name]!), new Set([...seen, r.name]));
    });
  return new Set(
    Object.entries(def.body.outputs)
      .filter(([, o]) => needsResource(o.value, new Set()))
      .map(([n]) => n),
  );
}

/**
 * Module calls that feed each other through outputs built from their
 * resources make a cycle OpenTofu cannot plan; report each one.
 */
function dependencyCycles(calls: readonly ModuleCall[], env: string): ConfigIssue[] {
  const edges = new Map<string, Set<string>>();
  for (const call of calls) {
    const targets = new Set<string>();
    for (const value of call.args.values()) {
      for (const r of expressionReferences(value)) {
        const output = r.steps[1];
        const target = calls.find((c) => c.name === r.name);
        if (
          r.root === 'module' &&
          target &&
          output &&
          'attr' in output &&
          resourceOutputs(target.definition).has(output.attr)
        ) {
          targets.add(r.name);
        }
      }
    }
    edges.set(call.name, targets);
  }
  const issues: ConfigIssue[] = [];
  const reported = new Set<string>();
  const visit = (name: string, stack: string[]): void => {
    const at = stack.indexOf(name);
    if (at >= 0) {
      const cycle = stack.slice(at);
      const key = [...cycle].sort().join(' ');
      if (!reported.has(key)) {
        reported.add(key);
        issues.push({
          path: [env, cycle[0]!],
          message: `modules ${[...cycle, cycle[0]].join(' → ')} depend on each other through outputs that need their resources; build those outputs from variables`,
        });
      }
      return;
    }
    for (const next of edges.get(name) ?? []) visit(next, [...stack, name]);
  };
  for (const call of calls) visit(call.name, []);
  return issues;
}
