import { parseConfig, type ModuleCall } from '@atlas/core';
import {
  serviceArgs,
  serviceOptionsSchema,
  type MetricsSource,
  type JournalReceiver,
  placement,
  reachable,
} from '@atlas/incus-service';
import { z } from 'zod';
import { type Link } from '@atlas/core';
import { logShippingArgs, logShippingOptions } from '@atlas/incus-service';
import { tpl } from '@atlas/hcl';
import { ALLOY_DEFAULTS, ALLOY_HTTP, JOURNAL_REMOTE_PORT, alloyModule } from './module.js';

export {
  ALLOY_DEFAULTS,
  ALLOY_PORT,
  CONFIG_FILE,
  ENVIRONMENT_FILE,
  JOURNAL_REMOTE_PORT,
  REMOTE_JOURNALS,
  alloyModule,
} from './module.js';
export { goDuration } from '@atlas/core';
export { DEFAULT_JOURNAL_MAX_AGE, DEFAULT_LOG_FILES, SHIPPER_LABELS } from '@atlas/incus-service';

export const alloyConfigSchema = serviceOptionsSchema(ALLOY_DEFAULTS)
  .extend(logShippingOptions(ALLOY_HTTP))
  .strict();

export type AlloyConfig = z.input<typeof alloyConfigSchema>;

export type AlloyInstance = ModuleCall<
  typeof alloyModule.variables,
  typeof alloyModule.body.outputs
> &
  MetricsSource &
  JournalReceiver & { readonly service: 'alloy' };

/** An Alloy instance shipping to `config.loki`: validates `config` and returns the module call with typed outputs. */
export function alloy(config: AlloyConfig): AlloyInstance {
  const c = parseConfig(alloyConfigSchema, config, [config.name ?? ALLOY_DEFAULTS.instanceName]);
  const links: Link[] = [];
  const call = alloyModule.call(
    c.name,
    {
      ...serviceArgs(c, ALLOY_DEFAULTS),
      ...logShippingArgs(c, ALLOY_HTTP, links),
    },
    { links },
  );
  const at = placement(c);
  return Object.assign(call, {
    service: 'alloy' as const,
    metrics: {
      target: call.outputs.metrics_target,
      link: reachable(at, c.httpPort, call.outputs.metrics_target),
    },
    journals: {
      url: call.outputs.journal_upload_url,
      link: reachable(
        at,
        JOURNAL_REMOTE_PORT,
        call.outputs.journal_upload_url,
        (hostPort) => tpl`http://${hostPort}`,
      ),
    },
  });
}
