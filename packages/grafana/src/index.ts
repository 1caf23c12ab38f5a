import {
  instanceVariable,
  parseConfig,
  type EnvVariable,
  type Link,
  type ModuleCall,
} from '@atlas/core';
import {
  datasourceSourceSchema,
  serviceArgs,
  serviceOptionsSchema,
  type MetricsSource,
  linkedValue,
  placement,
  reachable,
} from '@atlas/incus-service';
import { bool, object, str, tuple } from '@atlas/hcl';
import { z } from 'zod';
import { GRAFANA_DEFAULTS, GRAFANA_INPUTS, GRAFANA_PORT, grafanaModule } from './module.js';

export {
  DATASOURCE_TYPES,
  GRAFANA_DEFAULTS,
  GRAFANA_INPUTS,
  GRAFANA_PORT,
  grafanaModule,
} from './module.js';

const datasourceSchema = z
  .object({
    /** The Prometheus, Loki or Alertmanager instance to query: renders as its module's endpoint output. */
    source: datasourceSourceSchema,
    /** Display name; defaults to the instance name. */
    name: z.string().min(1).optional(),
    isDefault: z.boolean().default(false),
  })
  .strict();

export const grafanaConfigSchema = serviceOptionsSchema(GRAFANA_DEFAULTS)
  .extend({
    domain: GRAFANA_INPUTS.domain.schema,
    adminUser: GRAFANA_INPUTS.admin_user.schema,
    datasources: z.array(datasourceSchema).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.datasources.filter((d) => d.isDefault).length > 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['datasources'],
        message: 'at most one datasource can be the default',
      });
    }
    const names = new Set<string>();
    c.datasources.forEach((d, i) => {
      const name = d.name ?? d.source.name;
      if (names.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['datasources', i, 'name'],
          message: `datasource name "${name}" is used twice`,
        });
      names.add(name);
    });
  });

export type GrafanaConfig = z.input<typeof grafanaConfigSchema>;

export type GrafanaInstance = ModuleCall<
  typeof grafanaModule.variables,
  typeof grafanaModule.body.outputs
> &
  MetricsSource & { readonly service: 'grafana'; readonly adminPassword: EnvVariable<string> };

/**
 * A Grafana instance. Its admin password becomes a sensitive root-module
 * variable `<name>_admin_password` (underscored), supplied at plan time.
 */
export function grafana(config: GrafanaConfig): GrafanaInstance {
  const c = parseConfig(grafanaConfigSchema, config, [
    config.name ?? GRAFANA_DEFAULTS.instanceName,
  ]);
  const password = instanceVariable<string>(
    c.name,
    'admin_password',
    {
      type: { expr: { t: 'string' } },
      description: `Admin password of ${c.name} (at least 12 characters).`,
      sensitive: true,
    },
    `<${c.name} admin password>`,
  );
  const links: Link[] = [];
  const call = grafanaModule.call(
    c.name,
    {
      ...serviceArgs(c, GRAFANA_DEFAULTS),
      domain: c.domain,
      admin_user: GRAFANA_INPUTS.admin_user.arg(c.adminUser),
      admin_password: password.ref,
      datasources: c.datasources.length
        ? tuple(
            c.datasources.map((d) =>
              object({
                name: str(d.name ?? d.source.name),
                type: str(d.source.datasource.type),
                url: linkedValue(
                  c,
                  d.source.datasource.link,
                  d.source.datasource.url,
                  'datasources',
                  links,
                ),
                ...(d.isDefault ? { is_default: bool(true) } : {}),
              }),
            ),
          )
        : undefined,
    },
    { inputs: [password], links },
  );
  return Object.assign(call, {
    service: 'grafana' as const,
    adminPassword: password,
    metrics: {
      target: call.outputs.metrics_target,
      link: reachable(placement(c), GRAFANA_PORT, call.outputs.metrics_target),
    },
  });
}
