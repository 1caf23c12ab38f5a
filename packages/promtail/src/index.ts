import { parseConfig, type ModuleCall } from '@atlas/core';
import { serviceArgs, serviceOptionsSchema, type MetricsSource } from '@atlas/incus-service';
import { z } from 'zod';
import { type Link } from '@atlas/core';
import { logShippingArgs, logShippingOptions } from '@atlas/incus-service';
import { PROMTAIL_DEFAULTS, PROMTAIL_HTTP, promtailModule } from './module.js';

export {
  CONFIG_FILE,
  POSITIONS_FILE,
  PROMTAIL_DEFAULTS,
  PROMTAIL_PORT,
  promtailModule,
} from './module.js';
export { goDuration } from '@atlas/core';
export { DEFAULT_JOURNAL_MAX_AGE, DEFAULT_LOG_FILES, SHIPPER_LABELS } from '@atlas/incus-service';

export const promtailConfigSchema = serviceOptionsSchema(PROMTAIL_DEFAULTS)
  .extend(logShippingOptions(PROMTAIL_HTTP))
  .strict();

export type PromtailConfig = z.input<typeof promtailConfigSchema>;

export type PromtailInstance = ModuleCall<
  typeof promtailModule.variables,
  typeof promtailModule.body.outputs
> &
  MetricsSource & { readonly service: 'promtail' };

/** A Promtail instance shipping to `config.loki`: validates `config` and returns the module call with typed outputs. */
export function promtail(config: PromtailConfig): PromtailInstance {
  const c = parseConfig(promtailConfigSchema, config, [
    config.name ?? PROMTAIL_DEFAULTS.instanceName,
  ]);
  const links: Link[] = [];
  const call = promtailModule.call(
    c.name,
    {
      ...serviceArgs(c, PROMTAIL_DEFAULTS),
      ...logShippingArgs(c, PROMTAIL_HTTP, links),
    },
    { links },
  );
  return Object.assign(call, {
    service: 'promtail' as const,
    metrics: { target: call.outputs.metrics_target },
  });
}
