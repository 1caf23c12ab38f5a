import { parseConfig, port, type ModuleCall } from '@atlas/core';
import {
  placement,
  reachable,
  proxyDevicesFor,
  serviceArgs,
  serviceOptionsSchema,
  type DatasourceSource,
  type LogSink,
  type MetricsSource,
} from '@atlas/incus-service';
import { tpl, type Expr } from '@atlas/hcl';
import { z } from 'zod';
import { LOKI_DEFAULTS, LOKI_INPUTS, LOKI_PORT, lokiModule } from './module.js';

export {
  LOKI_DEFAULTS,
  LOKI_INPUTS,
  LOKI_PORT,
  MIN_DELETE_DELAY_HOURS,
  MIN_RETENTION_HOURS,
  lokiModule,
} from './module.js';

export const lokiConfigSchema = serviceOptionsSchema(LOKI_DEFAULTS)
  .extend({
    retention: z
      .object({
        period: LOKI_INPUTS.retention_period.schema,
        deleteDelay: LOKI_INPUTS.retention_delete_delay.schema,
      })
      .strict()
      .prefault({}),
    /** Publish the API on a host port through an Incus proxy device (bridge mode only). */
    externalAccess: z
      .object({ hostPort: port.schema.default(LOKI_PORT) })
      .strict()
      .optional(),
  })
  .strict();

export type LokiConfig = z.input<typeof lokiConfigSchema>;

export type LokiInstance = ModuleCall<typeof lokiModule.variables, typeof lokiModule.body.outputs> &
  MetricsSource &
  DatasourceSource &
  LogSink & { readonly service: 'loki' };

/** A Loki instance: validates `config` and returns the module call with typed outputs. */
export function loki(config: LokiConfig): LokiInstance {
  const c = parseConfig(lokiConfigSchema, config, [config.name ?? LOKI_DEFAULTS.instanceName]);
  const call = lokiModule.call(c.name, {
    ...serviceArgs(c, LOKI_DEFAULTS),
    retention_period: LOKI_INPUTS.retention_period.arg(c.retention.period),
    retention_delete_delay: LOKI_INPUTS.retention_delete_delay.arg(c.retention.deleteDelay),
    proxy_devices: c.externalAccess
      ? proxyDevicesFor(c.network, [
          { name: 'http', protocol: 'tcp', port: LOKI_PORT, hostPort: c.externalAccess.hostPort },
        ])
      : undefined,
  });
  const at = placement(c);
  const http = (local: Expr, path = '') =>
    reachable(at, LOKI_PORT, local, (hostPort) => tpl`http://${hostPort}${path}`);
  return Object.assign(call, {
    service: 'loki' as const,
    metrics: {
      target: call.outputs.metrics_target,
      link: reachable(at, LOKI_PORT, call.outputs.metrics_target),
    },
    datasource: {
      type: 'loki' as const,
      url: call.outputs.endpoint,
      link: http(call.outputs.endpoint),
    },
    logs: {
      pushUrl: call.outputs.push_url,
      baseUrl: call.outputs.endpoint,
      link: http(call.outputs.push_url, '/loki/api/v1/push'),
      baseLink: http(call.outputs.endpoint),
    },
  });
}
