import {
  instanceVariable,
  parseConfig,
  instanceSecret,
  type EnvVariable,
  type ModuleCall,
} from '@atlas/core';
import {
  exprSchema,
  serviceArgs,
  serviceOptionsSchema,
  type MetricsSource,
} from '@atlas/incus-service';
import { bool, object, str, tuple, type Expr } from '@atlas/hcl';
import { z } from 'zod';
import {
  ATLANTIS_DEFAULTS,
  ATLANTIS_IMAGE_REMOTE,
  ATLANTIS_INPUTS,
  ATLANTIS_METRICS_PATH,
  RESERVED_REMOTE_NAMES,
  atlantisModule,
} from './module.js';
import { pemCertificate, remoteAddress, remoteName } from './rules.js';

export {
  APPLY_REQUIREMENTS,
  ATLANTIS_DEFAULTS,
  ATLANTIS_IMAGE_REMOTE,
  ATLANTIS_INPUTS,
  ATLANTIS_METRICS_PATH,
  ATLANTIS_PORT,
  ATLANTIS_USER,
  INCUS_CONFIG_DIR,
  OPENTOFU_VERSION,
  RESERVED_REMOTE_NAMES,
  atlantisModule,
} from './module.js';

const incusRemoteSchema = z
  .object({
    /** The remote's name, as environments refer to it (e.g. `cluster01`). */
    name: remoteName.schema.refine(
      (name) => !(RESERVED_REMOTE_NAMES as readonly string[]).includes(name),
      `expected a name other than ${RESERVED_REMOTE_NAMES.join(', ')} (taken by the Incus client and the image servers)`,
    ),
    /** `https://host:8443`; an expression such as the gitops gateway of the base module also works. */
    address: z.union([remoteAddress.schema, exprSchema]),
    /**
     * PEM certificate of the server, pinned as `incus remote add` pins it; `'variable'` makes it a
     * root-module variable, `<instance>_<remote>_server_certificate`. Omitted: a CA the image
     * trusts must have signed it (Incus servers sign their own by default).
     */
    serverCertificate: z
      .union([pemCertificate.schema, z.literal('variable'), exprSchema])
      .optional(),
    /** The remote OpenTofu uses where an environment names none: exactly one. */
    default: z.boolean().default(false),
  })
  .strict();

export const atlantisConfigSchema = serviceOptionsSchema(ATLANTIS_DEFAULTS)
  .extend({
    image: ATLANTIS_INPUTS.image.schema,
    domain: ATLANTIS_INPUTS.domain.schema,
    repoAllowlist: ATLANTIS_INPUTS.repo_allowlist.schema,
    githubUser: ATLANTIS_INPUTS.github_user.schema,
    applyRequirements: ATLANTIS_INPUTS.apply_requirements.schema,
    /** OpenTofu release Atlantis runs; the environments need 1.10 or later. */
    opentofuVersion: ATLANTIS_INPUTS.opentofu_version.schema,
    incusRemotes: z.array(incusRemoteSchema).min(1, 'expected at least one Incus remote'),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.incusRemotes.filter((r) => r.default).length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['incusRemotes'],
        message: 'exactly one remote must have default: true',
      });
    }
    const names = new Set<string>();
    c.incusRemotes.forEach((r, i) => {
      if (names.has(r.name))
        ctx.addIssue({
          code: 'custom',
          path: ['incusRemotes', i, 'name'],
          message: `remote name "${r.name}" is used twice`,
        });
      names.add(r.name);
    });
  });

export type AtlantisConfig = z.input<typeof atlantisConfigSchema>;

/** The root-module variables an Atlantis instance needs; the operator supplies them in terraform.tfvars. */
export interface AtlantisInputs {
  readonly githubToken: EnvVariable<string>;
  readonly githubWebhookSecret: EnvVariable<string>;
  readonly incusClientCertificate: EnvVariable<string>;
  readonly incusClientKey: EnvVariable<string>;
}

export type AtlantisInstance = ModuleCall<
  typeof atlantisModule.variables,
  typeof atlantisModule.body.outputs
> &
  MetricsSource & { readonly service: 'atlantis'; readonly inputs: AtlantisInputs };

/**
 * An Atlantis instance. Its GitHub token, webhook secret and Incus client key
 * become sensitive root-module variables named after the instance
 * (`atlantis01_github_token`, …), as does its Incus client certificate.
 */
export function atlantis(config: AtlantisConfig): AtlantisInstance {
  const c = parseConfig(atlantisConfigSchema, config, [
    config.name ?? ATLANTIS_DEFAULTS.instanceName,
  ]);
  const inputs: AtlantisInputs = {
    githubToken: instanceSecret(c.name, 'github_token', `GitHub token ${c.name} comments with.`),
    githubWebhookSecret: instanceSecret(
      c.name,
      'github_webhook_secret',
      `Secret of the GitHub webhook that calls ${c.name} (more than 24 characters).`,
    ),
    incusClientCertificate: instanceVariable<string>(
      c.name,
      'incus_client_certificate',
      {
        type: { expr: { t: 'string' } },
        description: `PEM client certificate ${c.name} uses for the Incus remotes; trust it on each server.`,
      },
      `<${c.name} Incus client certificate (PEM)>`,
    ),
    incusClientKey: instanceSecret(
      c.name,
      'incus_client_key',
      `PEM private key of the Incus client certificate of ${c.name}.`,
    ),
  };
  // Remotes whose certificate the operator supplies: one root-module variable each.
  const serverCertificates = new Map(
    c.incusRemotes
      .filter((r) => r.serverCertificate === 'variable')
      .map((r) => [
        r.name,
        instanceVariable<string>(
          c.name,
          `${r.name.replace(/-/g, '_')}_server_certificate`,
          {
            type: { expr: { t: 'string' } },
            description: `PEM certificate the ${r.name} Incus API presents, which ${c.name} pins (incus query ${r.name}:/1.0 | jq -r .environment.certificate).`,
          },
          `<${r.name} Incus server certificate (PEM)>`,
        ),
      ]),
  );
  const certificateOf = (r: (typeof c.incusRemotes)[number]): Expr | undefined =>
    r.serverCertificate === 'variable'
      ? serverCertificates.get(r.name)!.ref
      : typeof r.serverCertificate === 'string'
        ? str(r.serverCertificate)
        : r.serverCertificate;
  const remote = (r: (typeof c.incusRemotes)[number]): Expr => {
    const certificate = certificateOf(r);
    return object({
      name: str(r.name),
      address: typeof r.address === 'string' ? str(r.address) : r.address,
      ...(certificate === undefined ? {} : { server_certificate: certificate }),
      ...(r.default ? { default: bool(true) } : {}),
    });
  };
  const call = atlantisModule.call(
    c.name,
    {
      ...serviceArgs(c, ATLANTIS_DEFAULTS),
      domain: c.domain,
      repo_allowlist: c.repoAllowlist,
      github_user: c.githubUser,
      github_token: inputs.githubToken.ref,
      github_webhook_secret: inputs.githubWebhookSecret.ref,
      apply_requirements: ATLANTIS_INPUTS.apply_requirements.arg(c.applyRequirements),
      opentofu_version: ATLANTIS_INPUTS.opentofu_version.arg(c.opentofuVersion),
      incus_remotes: tuple(c.incusRemotes.map(remote)),
      incus_client_certificate: inputs.incusClientCertificate.ref,
      incus_client_key: inputs.incusClientKey.ref,
    },
    {
      inputs: [...Object.values(inputs), ...serverCertificates.values()],
      // The ghcr remote goes with the image it serves; any other remote is the operator's to set up.
      imageRemotes: c.image.startsWith(`${ATLANTIS_IMAGE_REMOTE.name}:`)
        ? [ATLANTIS_IMAGE_REMOTE]
        : [],
    },
  );
  return Object.assign(call, {
    service: 'atlantis' as const,
    inputs,
    metrics: { target: call.outputs.metrics_target, path: ATLANTIS_METRICS_PATH },
  });
}
