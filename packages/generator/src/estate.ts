import {
  ConfigError,
  estateIssues,
  estateSpecSchema,
  markLinted,
  portClashes,
  shareRemoteOutputs,
  type ConfigIssue,
  type Environment,
  type ModuleCall,
  type Publication,
  type ModuleDefinition,
} from '@atlas/core';
import {
  localModuleSource,
  renderEnvironment,
  renderModule,
  tfvarsExample,
  type EnvironmentRenderOptions,
  type ModuleSource,
  type RenderedFiles,
} from './render.js';
import {
  backendExample,
  DEFAULT_STATE,
  remoteStateBlock,
  renderBootstrap,
  s3Backend,
  S3_BACKEND_TOFU_VERSION,
} from './state.js';
import { num, object, printFile, printTemplate, str, tuple, type Expr } from '@atlas/hcl';
import { withHeader } from './header.js';
import { atlantisConfig } from './atlantis.js';
import { MODULE_TEST_PATH, moduleTests } from './module-tests.js';
import { ansibleFiles } from './ansible.js';
import { backupScript, estateSummary, inventoryScript } from './operations.js';
import { initScript } from './init-script.js';
import { environmentReadme, moduleReadme, releaseTag } from './readme.js';
import { linkSummary } from './links-summary.js';

/** Everything one `pnpm generate` renders. */
export interface Estate {
  readonly kind: 'estate';
  readonly environments: readonly Environment[];
  /** Every module to publish under generated/modules, used by an environment or not. */
  readonly modules: readonly ModuleDefinition[];
  /** Git URL of the repository, for pinned-source examples. */
  readonly repository: string;
}

export interface EstateSpec {
  readonly environments: readonly Environment[];
  readonly modules?: readonly ModuleDefinition[];
  readonly repository: string;
}

export function defineEstate(spec: EstateSpec): Estate {
  const shape = estateSpecSchema.safeParse(spec);
  if (!shape.success) throw ConfigError.fromZod(shape.error);
  const lint = estateIssues({ modules: [], ...spec });
  if (lint.length) throw new ConfigError(lint);
  const issues: ConfigIssue[] = [];
  const envNames = new Set<string>();
  spec.environments.forEach((env, i) => {
    if (envNames.has(env.name))
      issues.push({
        path: ['environments', i, 'name'],
        message: `environment "${env.name}" is defined twice`,
      });
    envNames.add(env.name);
  });
  const modules = new Map<string, ModuleDefinition>();
  const add = (def: ModuleDefinition, path: ConfigIssue['path']) => {
    const existing = modules.get(def.name);
    if (existing && existing !== def) {
      issues.push({
        path,
        message: `two different modules are both named "${def.name}" (${existing.package.name} and ${def.package.name})`,
      });
    }
    modules.set(def.name, def);
  };
  spec.modules?.forEach((def, i) => add(def, ['modules', i]));
  spec.environments.forEach((env) =>
    env.modules.forEach((call) => add(call.definition, [env.name, call.name])),
  );
  const environments = publishLinks(shareRemoteOutputs(spec.environments, issues), issues);
  if (issues.length) throw new ConfigError(issues);
  return markLinted({
    kind: 'estate',
    environments,
    modules: [...modules.values()].sort((a, b) => (a.name < b.name ? -1 : 1)),
    repository: spec.repository,
  });
}

export interface RenderOptions {
  /**
   * `local` (default): environments use `../../modules/<name>`. `pinned`: they
   * use the git tag of each module's release, as a consumer in another repository would.
   */
  readonly moduleSources?: 'local' | 'pinned';
}

function printFiles(files: RenderedFiles, prefix: string, out: Map<string, string>): void {
  for (const [path, file] of files.hcl) {
    // No file that would hold only its header (an environment without locals has no locals.tf);
    // one written earlier is deleted as stale, like any path Atlas no longer writes.
    if (file.body.length === 0) continue;
    out.set(`${prefix}/${path}`, withHeader(path, printFile(file)));
  }
  for (const [path, parts] of files.templates) {
    out.set(`${prefix}/${path}`, withHeader(path, printTemplate(parts)));
  }
}

function addModules(
  defs: readonly ModuleDefinition[],
  repository: string,
  out: Map<string, string>,
): void {
  for (const def of defs) {
    const prefix = `modules/${def.name}`;
    printFiles(renderModule(def), prefix, out);
    const tests = printFile(moduleTests(def, out.get(`${prefix}/main.tf`) ?? ''));
    out.set(`${prefix}/${MODULE_TEST_PATH}`, withHeader(MODULE_TEST_PATH, tests));
    out.set(`${prefix}/README.md`, withHeader('README.md', moduleReadme(def, { repository })));
    if (def.package.changelog !== undefined)
      out.set(`${prefix}/CHANGELOG.md`, withHeader('CHANGELOG.md', def.package.changelog));
  }
}

/** Just these modules, as `modules/<name>/…` files (what a package's own tests check). */
export function renderModules(
  defs: readonly ModuleDefinition[],
  repository = 'https://example.com/atlas.git',
): Map<string, string> {
  const out = new Map<string, string>();
  addModules(defs, repository, out);
  return out;
}

/**
 * A root module's .gitignore: what OpenTofu and the operator keep next to the
 * code, which holds provider binaries, credentials or state and never belongs in git.
 */
const OPERATOR_FILES = `# Working files of tofu init / plan / apply and the operator's secrets: never commit them.
# (Keep .terraform.lock.hcl: committing it pins the provider builds.)
.terraform/
*.tfstate
*.tfstate.*
*.tfplan
crash.log
crash.*.log
terraform.tfvars
*.auto.tfvars
backend.hcl
.backend.hcl.tmp
`;
/** Ansible's fact cache beside the environment's ansible.cfg (fact_caching_connection). */
const ANSIBLE_CACHE = `# Ansible's fact cache (ansible/ansible.cfg: fact_caching_connection).
ansible/.ansible_cache/
`;

/** Render the whole estate to file contents, in memory. Paths are relative to generated/. */
export function renderEstate(estate: Estate, options: RenderOptions = {}): Map<string, string> {
  const out = new Map<string, string>();
  addModules(estate.modules, estate.repository, out);
  const source: ModuleSource =
    options.moduleSources === 'pinned'
      ? (def) => `git::${estate.repository}//generated/modules/${def.name}?ref=${releaseTag(def)}`
      : localModuleSource;
  for (const env of estate.environments) {
    const prefix = `environments/${env.name}`;
    const renderOptions: EnvironmentRenderOptions = {
      remoteState: (remote) => remoteStateBlock(remote, DEFAULT_STATE),
      moduleSource: source,
      terraformExtra: [s3Backend(env)],
      requiredVersion: S3_BACKEND_TOFU_VERSION,
    };
    printFiles(renderEnvironment(env, renderOptions), prefix, out);
    printFiles(renderBootstrap(env), `${prefix}/bootstrap`, out);
    out.set(
      `${prefix}/backend.hcl.example`,
      withHeader('backend.hcl.example', printFile(backendExample())),
    );
    out.set(
      `${prefix}/terraform.tfvars.example`,
      withHeader('terraform.tfvars.example', printFile(tfvarsExample(env))),
    );
    out.set(`${prefix}/.gitignore`, withHeader('.gitignore', OPERATOR_FILES + ANSIBLE_CACHE));
    out.set(`${prefix}/bootstrap/.gitignore`, withHeader('.gitignore', OPERATOR_FILES));
    out.set(`${prefix}/README.md`, withHeader('README.md', environmentReadme(env, source)));
    out.set(
      `${prefix}/SUMMARY.md`,
      withHeader('SUMMARY.md', estateSummary(env) + linkSummary(env, estate.environments)),
    );
    out.set(`${prefix}/backup.sh`, withHeader('backup.sh', backupScript(env)));
    out.set(`${prefix}/init.sh`, withHeader('init.sh', initScript(env)));
    out.set(`${prefix}/inventory.sh`, withHeader('inventory.sh', inventoryScript(env)));
    for (const [name, content] of ansibleFiles(env))
      out.set(`${prefix}/ansible/${name}`, withHeader(name, content));
  }
  return new Map([...out].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Files Atlas owns outside generated/, by path from the repository root. */
export function renderRepositoryFiles(estate: Estate): Map<string, string> {
  return new Map([
    ['atlantis.yaml', withHeader('atlantis.yaml', atlantisConfig(estate.environments))],
  ]);
}

/**
 * The part of an estate one environment needs (`--env`): that environment and
 * the modules it calls, with the output paths they own; undefined when the
 * estate has no such environment.
 */
export function selectEnvironment(
  estate: Estate,
  name: string,
): { estate: Estate; owns: (path: string) => boolean } | undefined {
  const env = estate.environments.find((e) => e.name === name);
  if (!env) return undefined;
  const used = new Set(env.modules.map((call) => call.definition.name));
  const prefixes = [`environments/${name}/`, ...[...used].map((m) => `modules/${m}/`)];
  return {
    estate: {
      ...estate,
      environments: [env],
      modules: estate.modules.filter((m) => used.has(m.name)),
    },
    owns: (path) => prefixes.some((p) => path.startsWith(p)),
  };
}

/**
 * Links that route (issue 9): a link another network or environment reaches
 * through its producer's host needs that port published. Add a proxy device
 * (bridge) or a network forward (OVN) to the producer's module call, because
 * a consumer needs it, and report links to producers that cannot publish.
 */
function publishLinks(environments: readonly Environment[], issues: ConfigIssue[]): Environment[] {
  const byName = new Map(environments.map((e) => [e.name, e]));
  const wanted = new Map<string, Map<string, Publication[]>>();
  for (const consumer of environments) {
    for (const link of consumer.links) {
      if (!link.publication) continue;
      const envName = link.producer.environment ?? consumer.name;
      const producer = byName.get(envName);
      const call = producer?.modules.find((c) => c.name === link.producer.call);
      const path = [consumer.name, link.consumer.instance, link.arg];
      if (!producer || !call) {
        issues.push({
          path,
          message: `links to ${link.producer.instance}, which is not ${producer ? 'a module' : 'an environment'} of ${producer ? `environment "${envName}"` : `the estate ("${envName}")`}`,
        });
        continue;
      }
      if (!('proxy_devices' in call.definition.variables)) {
        issues.push({
          path,
          message: `${link.producer.instance} (${envName}) must publish port ${link.port} for it, but module "${call.definition.name}" has no proxy devices or network forward`,
        });
        continue;
      }
      const calls = wanted.get(envName) ?? new Map<string, Publication[]>();
      calls.set(call.name, [...(calls.get(call.name) ?? []), link.publication]);
      wanted.set(envName, calls);
    }
  }
  return environments.map((env) => {
    const calls = wanted.get(env.name);
    if (!calls) return env;
    const modules = env.modules.map((call) => {
      const publications = calls.get(call.name);
      return publications ? published(call, publications) : call;
    });
    issues.push(...portClashes({ name: env.name, modules }));
    return { ...env, modules };
  });
}

const listenOf = (device: Expr): string | undefined => {
  if (device.kind !== 'object') return undefined;
  const listen = device.entries.find((e) => e.key === 'listen')?.value;
  return listen?.kind === 'string' ? listen.value : undefined;
};

/** `call` with a proxy device or forward port for each publication it does not have yet. */
function published(call: ModuleCall, publications: readonly Publication[]): ModuleCall {
  const args = new Map(call.args);
  const proxies = publications.filter((p) => p.kind === 'proxy');
  if (proxies.length) {
    const existing = args.get('proxy_devices');
    const entries = existing?.kind === 'object' ? [...existing.entries] : [];
    const listens = new Set(entries.map((e) => listenOf(e.value)));
    for (const p of proxies) {
      const listen = `${p.protocol}:0.0.0.0:${p.port}`;
      if (listens.has(listen)) continue;
      listens.add(listen);
      entries.push({
        key: `link-${p.port}-${p.protocol}`,
        value: object({ listen: str(listen), connect: str(`${p.protocol}:127.0.0.1:${p.port}`) }),
      });
    }
    args.set(
      'proxy_devices',
      object(Object.fromEntries(entries.map((e) => [e.key as string, e.value]))),
    );
  }
  // A CA's certificate must name the address its remote clients use.
  if ('dns_names' in call.definition.variables) {
    const existing = args.get('dns_names');
    const instance = call.args.get('instance_name');
    const name = instance?.kind === 'string' ? instance.value : call.name;
    const names =
      existing?.kind === 'tuple'
        ? existing.items
        : [str(`${name}.incus`), str(name), str('localhost')];
    const listens = [...new Set(publications.map((p) => p.listen))].filter(
      (l) => !names.some((n) => n.kind === 'string' && n.value === l),
    );
    args.set('dns_names', tuple([...names, ...listens.map(str)]));
  }
  const forwards = publications.filter((p) => p.kind === 'forward');
  if (forwards.length) {
    const ports = [...new Map(forwards.map((p) => [`${p.protocol}/${p.port}`, p])).values()];
    args.set(
      'network_forward',
      object({
        network: forwards[0]!.network,
        listen_address: str(forwards[0]!.listen),
        ports: tuple(ports.map((p) => object({ protocol: str(p.protocol), port: num(p.port) }))),
      }),
    );
  }
  // Arguments stay in the module's variable order, as the call wrote them.
  const ordered = new Map(
    Object.keys(call.definition.variables).flatMap((k) => {
      const value = args.get(k);
      return value ? [[k, value] as const] : [];
    }),
  );
  return { ...call, args: ordered };
}
