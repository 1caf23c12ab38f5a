import {
  enableSwitchSchema,
  parseConfig,
  switchedBy,
  type EnvVariable,
  type Link,
  type ModuleCall,
  type Site,
} from '@atlas/core';
import { linkedValue, logSinkSchema } from '@atlas/incus-service';
import { z } from 'zod';
import { INCUS_LOKI_INPUTS, incusLokiModule, loggingName } from './module.js';

export {
  EVENT_TYPES,
  INCUS_LOGGING_DEFAULTS,
  INCUS_LOKI_DEFAULTS,
  INCUS_LOKI_INPUTS,
  LOG_LEVELS,
  commaListItems,
  eventTypes,
  incusLokiModule,
  logLevel,
  loggingName,
  lokiBaseUrl,
  retryCount,
  type EventType,
  type LogLevel,
} from './module.js';

const MODULE_CALL_NAME = /^[a-zA-Z_][a-zA-Z0-9_-]*$/;

const secretSchema = z.custom<EnvVariable<string>>(
  (v) => typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'env-variable',
  { message: "expected a secret such as secret('incus_loki_password', '…')" },
);

export const incusLokiConfigSchema = z
  .object({
    /** Module name in the environment. */
    name: z
      .string()
      .regex(MODULE_CALL_NAME, 'expected a module name of letters, digits, "_" and "-"')
      .default('incus_loki'),
    /** The Loki instance to ship to (the value `loki(…)` returns). */
    loki: logSinkSchema,
    /** The site whose Incus daemon ships (defineSite); the Loki's own environment when left out. */
    site: z
      .custom<Site>((v) => typeof v === 'object' && v !== null && (v as Site).kind === 'site', {
        message: 'expected a site (the value defineSite(…) returns)',
      })
      .optional(),
    /** Root switch (`enableSwitch(…)`) that turns the logging target off; without one it is always on. */
    enabledBy: enableSwitchSchema.optional(),
    /** The `<name>` of `logging.<name>.*`; defaults to the Loki instance's name (seeds: `loki01`). */
    loggingName: loggingName.schema.optional(),
    types: INCUS_LOKI_INPUTS.types.schema,
    level: INCUS_LOKI_INPUTS.logging_level.schema,
    /** Event fields to turn into Loki labels. */
    labels: INCUS_LOKI_INPUTS.labels.schema,
    lifecycleTypes: INCUS_LOKI_INPUTS.lifecycle_types.schema,
    lifecycleProjects: INCUS_LOKI_INPUTS.lifecycle_projects.schema,
    /** The `instance` label; Incus uses the server or cluster member name when unset. */
    instance: INCUS_LOKI_INPUTS.instance.schema,
    retry: INCUS_LOKI_INPUTS.retry.schema,
    /** PEM bundle that verifies Loki's certificate (https only). */
    caCert: z.string().min(1).optional(),
    /** Basic authentication; the password is a root-module secret, never a literal. */
    auth: z
      .object({ username: z.string().min(1), password: secretSchema })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.loggingName === undefined && !loggingName.schema.safeParse(c.loki.name).success)
      ctx.addIssue({
        code: 'custom',
        path: ['loggingName'],
        message: `Loki's name "${c.loki.name}" cannot name a logging target; set loggingName (letters, digits, "_" and "-")`,
      });
  });

export type IncusLokiConfig = z.input<typeof incusLokiConfigSchema>;

export type IncusLokiInstance = ModuleCall<
  typeof incusLokiModule.variables,
  typeof incusLokiModule.body.outputs
> & { readonly service: 'incus-loki' };

/** Incus logging to Loki: validates `config` and returns the module call with typed outputs. */
export function incusLoki(config: IncusLokiConfig): IncusLokiInstance {
  const c = parseConfig(incusLokiConfigSchema, config, [config.name ?? 'incus_loki']);
  const name = c.loggingName ?? c.loki.name;
  // The consumer is the Incus daemon on the host, not a container: no .incus name resolves there.
  const links: Link[] = [];
  const host = { name: 'Incus daemon', ...(c.site ? { site: c.site } : {}) };
  const call = incusLokiModule.call(
    c.name,
    {
      logging_name: INCUS_LOKI_INPUTS.logging_name.arg(name),
      loki_address: linkedValue(
        host,
        c.loki.logs.baseLink,
        c.loki.logs.baseUrl,
        'loki_address',
        links,
      ),
      types: INCUS_LOKI_INPUTS.types.arg(c.types),
      logging_level: INCUS_LOKI_INPUTS.logging_level.arg(c.level),
      lifecycle_types: INCUS_LOKI_INPUTS.lifecycle_types.arg(c.lifecycleTypes),
      lifecycle_projects: INCUS_LOKI_INPUTS.lifecycle_projects.arg(c.lifecycleProjects),
      labels: INCUS_LOKI_INPUTS.labels.arg(c.labels),
      instance: c.instance,
      retry: INCUS_LOKI_INPUTS.retry.arg(c.retry),
      ca_cert: c.caCert,
      username: c.auth?.username,
      password: c.auth?.password.ref,
    },
    {
      links,
      ...(c.enabledBy ? switchedBy(c.enabledBy) : {}),
      inputs: [...(c.enabledBy ? [c.enabledBy] : []), ...(c.auth ? [c.auth.password] : [])],
    },
  );
  return Object.assign(call, { service: 'incus-loki' as const });
}
