import { T, instanceVariable, parseConfig, type EnvVariable, type ModuleCall } from '@atlas/core';
import {
  serviceArgs,
  serviceOptionsSchema,
  type MetricsSource,
  placement,
  reachable,
} from '@atlas/incus-service';
import { binary, call, cond, num, str } from '@atlas/hcl';
import { z } from 'zod';
import { CLOUDFLARED_DEFAULTS, CLOUDFLARED_INPUTS, cloudflaredModule } from './module.js';

export {
  CLOUDFLARE_APT_REPOSITORY,
  CLOUDFLARED_DEFAULTS,
  CLOUDFLARED_METRICS_PORT,
  TUNNEL_TOKEN_PATTERN,
  cloudflaredModule,
} from './module.js';

export const cloudflaredConfigSchema = serviceOptionsSchema(CLOUDFLARED_DEFAULTS)
  .extend({ metricsPort: CLOUDFLARED_INPUTS.metrics_port.schema })
  .strict();

export type CloudflaredConfig = z.input<typeof cloudflaredConfigSchema>;

export type CloudflaredInstance = ModuleCall<
  typeof cloudflaredModule.variables,
  typeof cloudflaredModule.body.outputs
> &
  MetricsSource & { readonly service: 'cloudflared'; readonly tunnelToken: EnvVariable<string> };

/**
 * The Cloudflare Tunnel client. Its token becomes the sensitive root variable
 * `<name>_tunnel_token` (underscored), empty by default; the instance exists
 * only while that token is set, so every output reads null without it.
 */
export function cloudflared(config: CloudflaredConfig): CloudflaredInstance {
  const c = parseConfig(cloudflaredConfigSchema, config, [
    config.name ?? CLOUDFLARED_DEFAULTS.instanceName,
  ]);
  const token = instanceVariable<string>(
    c.name,
    'tunnel_token',
    {
      type: T.string,
      description: `Cloudflare Tunnel token for ${c.name}; leave it empty and ${c.name} is not created.`,
      default: '',
      sensitive: true,
      nullable: false,
    },
    `<${c.name} tunnel token, or empty>`,
  );
  const moduleCall = cloudflaredModule.call(
    c.name,
    {
      ...serviceArgs(c, CLOUDFLARED_DEFAULTS),
      tunnel_token: token.ref,
      metrics_port: CLOUDFLARED_INPUTS.metrics_port.arg(c.metricsPort),
    },
    {
      // count cannot depend on a sensitive value; whether the token is empty is all this
      // reveals, and the plan shows that anyway by creating the instance or not.
      count: cond(call('nonsensitive', [binary('!=', token.ref, str(''))]), num(1), num(0)),
      comment: `Created only when var.${token.name} is set.`,
      inputs: [token],
    },
  );
  return Object.assign(moduleCall, {
    service: 'cloudflared' as const,
    tunnelToken: token,
    metrics: {
      target: moduleCall.outputs.metrics_target,
      link: reachable(placement(c), c.metricsPort, moduleCall.outputs.metrics_target),
    },
  });
}
