import { enableSwitchSchema, parseConfig, switchedBy, type ModuleCall } from '@atlas/core';
import { exprSchema } from '@atlas/incus-service';
import { isExpr, tpl, type Expr } from '@atlas/hcl';
import { z } from 'zod';
import { INCUS_API_PORT, INCUS_METRICS_INPUTS, hostPort, incusMetricsModule } from './module.js';

export {
  INCUS_API_PORT,
  INCUS_METRICS_DEFAULTS,
  INCUS_METRICS_INPUTS,
  MIN_VALIDITY_HOURS,
  hostPort,
  incusMetricsModule,
  validityHours,
} from './module.js';

const MODULE_CALL_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;

export const incusMetricsConfigSchema = z
  .object({
    /** Module name in the environment. */
    name: z
      .string()
      .regex(MODULE_CALL_NAME, 'expected a module name of letters, digits, "_" and "-"')
      .default('incus_metrics'),
    /** `host:port` of the Incus API as Prometheus reaches it; see {@link incusApiAddress}. */
    address: z.union([hostPort.schema, exprSchema], {
      error:
        'expected host:port such as 10.20.0.1:8443, or an expression such as incusApiAddress(base.gateway("management"))',
    }),
    /** Root switch (`enableSwitch(…)`) that turns the certificate and Prometheus's Incus job off. */
    enabledBy: enableSwitchSchema.optional(),
    certificateName: INCUS_METRICS_INPUTS.certificate_name.schema,
    commonName: INCUS_METRICS_INPUTS.common_name.schema,
    validityHours: INCUS_METRICS_INPUTS.validity_hours.schema,
  })
  .strict();

export type IncusMetricsConfig = z.input<typeof incusMetricsConfigSchema>;

/** What Prometheus takes to scrape Incus: `prometheus({ incusMetrics: metrics.incusMetrics.prometheus })`. */
export interface IncusMetricsSource {
  readonly incusMetrics: {
    /** `module.<name>.prometheus`: `{ address, certificate, private_key }`, sensitive. */
    readonly prometheus: Expr;
  };
}

export type IncusMetricsInstance = ModuleCall<
  typeof incusMetricsModule.variables,
  typeof incusMetricsModule.body.outputs
> &
  IncusMetricsSource & { readonly service: 'incus-metrics' };

/** `<host>:8443`: the Incus API on `host`, e.g. `incusApiAddress(base.gateway('management'))`. */
export function incusApiAddress(host: Expr | string, port: number = INCUS_API_PORT): Expr | string {
  return isExpr(host) ? tpl`${host}:${port}` : `${host}:${port}`;
}

/** The Incus metrics certificate: validates `config` and returns the module call with typed outputs. */
export function incusMetrics(config: IncusMetricsConfig): IncusMetricsInstance {
  const c = parseConfig(incusMetricsConfigSchema, config, [config.name ?? 'incus_metrics']);
  const call = incusMetricsModule.call(
    c.name,
    {
      certificate_name: INCUS_METRICS_INPUTS.certificate_name.arg(c.certificateName),
      common_name: INCUS_METRICS_INPUTS.common_name.arg(c.commonName),
      validity_hours: INCUS_METRICS_INPUTS.validity_hours.arg(c.validityHours),
      metrics_address: c.address,
    },
    c.enabledBy ? switchedBy(c.enabledBy) : {},
  );
  return Object.assign(call, {
    service: 'incus-metrics' as const,
    incusMetrics: { prometheus: call.outputs.prometheus },
  });
}
