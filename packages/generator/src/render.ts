import {
  attr,
  block,
  blank,
  call,
  isExpr,
  not,
  object,
  ref,
  str,
  typeExpr,
  typeLabel,
  toExpr,
  type Block,
  type BodyItem,
  type Expr,
  type File,
  type TemplatePart,
} from '@atlas/hcl';
import {
  callName,
  localValue,
  adoptionAddress,
  type Adoption,
  type Environment,
  type EnvVariable,
  type ImageRemote,
  type Local,
  type ModuleCall,
  type ModuleDefinition,
  type OutputSpec,
  type ProviderName,
  type RemoteState,
  type VariableSpec,
} from '@atlas/core';

/** Provider source addresses and the version constraints Atlas is tested against. */
export const PROVIDERS: Readonly<Record<ProviderName, { source: string; version: string }>> = {
  incus: { source: 'lxc/incus', version: '>= 1.1.0, < 2.0.0' },
  tls: { source: 'hashicorp/tls', version: '>= 4.2.0, < 5.0.0' },
};

/** Oldest OpenTofu that understands every construct Atlas emits (optional() defaults, provider-defined functions unused). */
export const REQUIRED_TOFU_VERSION = '>= 1.8.0';

/** The files of one module: HCL syntax trees and raw template parts, by relative path. */
export interface RenderedFiles {
  readonly hcl: ReadonlyMap<string, File>;
  readonly templates: ReadonlyMap<string, readonly TemplatePart[]>;
}

export function variableBlock(name: string, spec: VariableSpec, self: Expr): Block {
  const body: BodyItem[] = [
    attr('description', spec.description),
    attr('type', typeExpr(spec.type.expr)),
  ];
  if ('default' in spec) body.push(attr('default', toExpr(spec.default)));
  if (spec.sensitive) body.push(attr('sensitive', true));
  if (spec.nullable === false) body.push(attr('nullable', false));
  const validations = [
    ...(spec.rules ?? []).map((r) => r.validation(self)),
    ...(spec.validations?.(self) ?? []),
  ];
  for (const v of validations) {
    body.push(
      block(
        'validation',
        [],
        [attr('condition', v.condition), attr('error_message', v.errorMessage)],
      ),
    );
  }
  return block('variable', [name], body);
}

export function outputBlock(name: string, spec: OutputSpec): Block {
  const body: BodyItem[] = [attr('description', spec.description), attr('value', spec.value)];
  if (spec.sensitive) body.push(attr('sensitive', true));
  return block('output', [name], body);
}

function localsBlock(locals: Readonly<Record<string, Expr | Local>>): Block {
  const body: BodyItem[] = [];
  for (const [name, local] of Object.entries(locals)) {
    const note = isExpr(local) ? undefined : local.comment;
    // A comment splits the alignment run, which keeps the note next to its value.
    if (note && body.length) body.push(blank);
    body.push(attr(name, localValue(local), note));
  }
  return block('locals', [], body);
}

export function versionsBlock(
  providers: readonly ProviderName[],
  extra: readonly BodyItem[] = [],
  requiredVersion = REQUIRED_TOFU_VERSION,
): Block {
  const required = providers.map((p) =>
    attr(p, object({ source: str(PROVIDERS[p].source), version: str(PROVIDERS[p].version) })),
  );
  return block(
    'terraform',
    [],
    [
      attr('required_version', requiredVersion),
      block('required_providers', [], required),
      ...extra,
    ],
  );
}

/** main.tf, variables.tf, outputs.tf, versions.tf and templates of a reusable module. */
export function renderModule(def: ModuleDefinition): RenderedFiles {
  const main: BodyItem[] = [];
  if (def.body.locals && Object.keys(def.body.locals).length)
    main.push(localsBlock(def.body.locals));
  main.push(...def.body.resources);
  const variables = Object.entries(def.variables).map(([name, spec]) =>
    variableBlock(name, spec, ref(`var.${name}`)),
  );
  const outputs = Object.entries(def.body.outputs).map(([name, spec]) => outputBlock(name, spec));
  return {
    hcl: new Map<string, File>([
      ['main.tf', { body: main }],
      ['variables.tf', { body: variables }],
      ['outputs.tf', { body: outputs }],
      [
        'versions.tf',
        {
          body: [
            {
              ...versionsBlock(def.providers),
              // The one .tf line that names the release: file headers carry no version.
              comment: [
                `Module ${def.name} ${def.package.version}, from ${def.package.name}; changes are in CHANGELOG.md.`,
              ],
            },
          ],
        },
      ],
    ]),
    templates: new Map(Object.entries(def.body.templates ?? {})),
  };
}

/** How an environment's `module` blocks name their source. */
export type ModuleSource = (def: ModuleDefinition) => string;

/** Local paths from `generated/environments/<env>/` to `generated/modules/<name>/`. */
export const localModuleSource: ModuleSource = (def) => `../../modules/${def.name}`;

export function moduleBlock(call: ModuleCall, source: string): Block {
  const body: BodyItem[] = [attr('source', source)];
  if (call.options.count) body.push(attr('count', call.options.count));
  if (call.args.size) body.push(blank);
  for (const [name, value] of call.args) {
    // One line per link written to this argument: why its address reaches the producer.
    const why = (call.options.links ?? []).filter((l) => l.arg === name).map((l) => l.reason);
    body.push(attr(name, value, why.length ? [...new Set(why)] : undefined));
  }
  if (call.options.dependsOn?.length) {
    body.push(
      blank,
      attr(
        'depends_on',
        call.options.dependsOn.map((d) => ref(`module.${d.name}`)),
      ),
    );
  }
  return block('module', [call.name], body, call.options.comment);
}

export interface EnvironmentRenderOptions {
  /** The `terraform_remote_state` data source that reads another environment's outputs (state.ts). */
  readonly remoteState: (remote: RemoteState) => Block;
  readonly moduleSource?: ModuleSource;
  /** Extra blocks inside `terraform { }` of versions.tf, e.g. the backend. */
  readonly terraformExtra?: readonly BodyItem[];
  /** `required_version` of the root module, when the extra blocks need a newer OpenTofu. */
  readonly requiredVersion?: string;
}

/** The root module of an environment: main.tf, variables.tf, outputs.tf, providers.tf, versions.tf, locals.tf. */
export function renderEnvironment(
  env: Environment,
  options: EnvironmentRenderOptions,
): RenderedFiles {
  const source = options.moduleSource ?? localModuleSource;
  const providers: BodyItem[] = env.providers.map((p) =>
    p === 'incus'
      ? block(
          'provider',
          ['incus'],
          [
            ...(env.provider.remote ? [attr('default_remote', env.provider.remote)] : []),
            ...env.imageRemotes.map(imageRemoteBlock),
          ],
          env.provider.remote
            ? `Talks to the "${env.provider.remote}" remote from the Incus client configuration.`
            : 'Talks to the default remote of the Incus client configuration (local unless set otherwise), or INCUS_REMOTE.',
        )
      : block('provider', [p], []),
  );
  return {
    hcl: new Map<string, File>([
      [
        'main.tf',
        {
          body: [
            ...env.remoteStates.map(options.remoteState),
            ...env.modules.map((m) => moduleBlock(m, source(m.definition))),
            ...env.modules.flatMap(movedBlocks),
            // A hand-made environment object (a .json estate) may have no imports at all.
            ...(env.imports ?? []).map(importBlock),
          ],
        },
      ],
      ['variables.tf', { body: env.variables.map(rootVariableBlock) }],
      [
        'outputs.tf',
        { body: Object.entries(env.outputs).map(([name, spec]) => outputBlock(name, spec)) },
      ],
      ['providers.tf', { body: providers }],
      [
        'versions.tf',
        { body: [versionsBlock(env.providers, options.terraformExtra, options.requiredVersion)] },
      ],
      ['locals.tf', { body: Object.keys(env.locals).length ? [localsBlock(env.locals)] : [] }],
    ]),
    templates: new Map(),
  };
}

/** An image server the environment's images name (`ghcr:…`); the client configuration need not know it. */
function imageRemoteBlock(remote: ImageRemote): Block {
  return block(
    'remote',
    [],
    [
      attr('name', remote.name),
      attr('address', remote.address),
      attr('protocol', remote.protocol),
      attr('public', remote.public),
    ],
    `Images named "${remote.name}:…" come from ${remote.address} (${remote.protocol === 'oci' ? 'an OCI registry' : 'a simplestreams server'}).`,
  );
}

/** An object made before Atlas, taken over by the module resource it names; the reason says why. */
function importBlock(adoption: Adoption): Block {
  return block(
    'import',
    [],
    [attr('to', adoptionAddress(adoption)), attr('id', str(adoption.id))],
    adoption.reason,
  );
}

/**
 * One `moved` block per earlier address of the call, each to the next: a chain that ends at its
 * name; then, for a call that gained `count`, from its name to its instance 0.
 */
function movedBlocks(call: ModuleCall): Block[] {
  const chain = [...(call.movedFrom ?? []), call.name];
  const renames = chain.slice(1).map((to, i) => {
    const from = chain[i]!;
    return block(
      'moved',
      [],
      [attr('from', ref(`module.${from}`)), attr('to', ref(`module.${to}`))],
      callName(from) === to
        ? `Module calls are named in snake_case: ${from}'s state moves to ${to}, and Incus names stay as they are.`
        : `${to} was ${from}: its state moves, and its instance and data volume keep their Incus names.`,
    );
  });
  // OpenTofu would otherwise destroy the uncounted objects and create them again at index 0.
  if (!call.options.uncountedBefore) return renames;
  return [
    ...renames,
    block(
      'moved',
      [],
      [attr('from', ref(`module.${call.name}`)), attr('to', ref(`module.${call.name}`, 0))],
      `${call.name} can be switched off now (count): its state so far is its instance 0.`,
    ),
  ];
}

/** A required string root variable: what the operator must fill in from terraform.tfvars.example. */
const fillIn = (v: EnvVariable) =>
  !('default' in v.spec) && typeLabel(v.spec.type.expr) === 'string';

/** The "<…>" form of terraform.tfvars.example's string placeholders. */
const placeholder = (text: string) => (/^<.*>$/.test(text) ? text : `<${text}>`);

/**
 * A root variable. One the operator fills in also refuses the "<…>" placeholder,
 * so a copied terraform.tfvars.example fails at plan until each value is replaced,
 * instead of deploying the placeholder as a password.
 */
function rootVariableBlock(v: EnvVariable): Block {
  if (!fillIn(v)) return variableBlock(v.name, v.spec, v.ref);
  const own = v.spec.validations;
  return variableBlock(
    v.name,
    {
      ...v.spec,
      validations: (self) => [
        ...(own?.(self) ?? []),
        {
          condition: not(call('can', [call('regex', [str('^<.*>$'), self])])),
          errorMessage: `Still the placeholder from terraform.tfvars.example: set the real value of ${v.name}.`,
        },
      ],
    },
    v.ref,
  );
}

/** terraform.tfvars.example: every variable without a default, with a placeholder value. */
export function tfvarsExample(env: Environment): File {
  const required = env.variables.filter((v) => !('default' in v.spec));
  return {
    // A blank line between entries keeps each comment with its own value.
    body: required.flatMap((v: EnvVariable, i) => [
      ...(i > 0 ? [blank] : []),
      attr(
        v.name,
        fillIn(v)
          ? placeholder(typeof v.example === 'string' ? v.example : v.name)
          : (v.example ?? `<${v.name}>`),
        [
          v.spec.description,
          ...(v.spec.sensitive
            ? [`Sensitive: keep the real value out of git (or set TF_VAR_${v.name}).`]
            : []),
        ],
      ),
    ]),
  };
}
