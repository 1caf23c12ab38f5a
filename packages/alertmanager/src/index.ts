import {
  T,
  duration,
  instanceVariable,
  parseConfig,
  sameValue,
  unlessDefault,
  type EnvVariable,
  type ModuleCall,
} from '@atlas/core';
import {
  serviceArgs,
  serviceOptionsSchema,
  type AlertReceiver,
  type DatasourceSource,
  type MetricsSource,
  placement,
  reachable,
} from '@atlas/incus-service';
import { toExpr, tpl, type Expr } from '@atlas/hcl';
import { z } from 'zod';
import {
  ALERTMANAGER_DEFAULTS,
  ALERTMANAGER_INPUTS,
  DEFAULT_INHIBIT_RULES,
  ALERTMANAGER_PORT,
  DEFAULT_RECEIVER,
  ROUTE_DEFAULTS,
  SEND_RESOLVED_DEFAULTS,
  alertmanagerModule,
  inhibitRuleValue,
} from './module.js';
import {
  emailAddress,
  groupByLabel,
  httpUrl,
  labelName,
  matcher,
  receiverName,
  slackApiUrl,
  slackChannel,
  smarthost,
} from './rules.js';

export {
  ALERTMANAGER_DEFAULTS,
  ALERTMANAGER_INPUTS,
  ALERTMANAGER_PORT,
  DATA_RETENTION_DEFAULT,
  DEFAULT_INHIBIT_RULES,
  DEFAULT_RECEIVER,
  RESOLVE_TIMEOUT_DEFAULT,
  ROUTE_DEFAULTS,
  SEND_RESOLVED_DEFAULTS,
  SLACK_API_URL_FILE,
  SMTP_PASSWORD_FILE,
  alertmanagerModule,
  type InhibitRule,
} from './module.js';

const webhookConfigSchema = z
  .object({
    url: httpUrl.schema,
    sendResolved: z.boolean().default(SEND_RESOLVED_DEFAULTS.webhook),
  })
  .strict();

const emailConfigSchema = z
  .object({
    to: emailAddress.schema,
    /** Sender, smarthost and login fall back to `smtp`. */
    from: emailAddress.schema.optional(),
    smarthost: smarthost.schema.optional(),
    /** Log in as this user; the password is the instance's `<name>_smtp_password` variable. */
    authUsername: z.string().min(1).optional(),
    requireTls: z.boolean().optional(),
    sendResolved: z.boolean().default(SEND_RESOLVED_DEFAULTS.email),
  })
  .strict();

const slackConfigSchema = z
  .object({
    channel: slackChannel.schema,
    /** Go templates, e.g. `{{ .CommonLabels.alertname }}`; Alertmanager's defaults when unset. */
    title: z.string().min(1).optional(),
    text: z.string().min(1).optional(),
    sendResolved: z.boolean().default(SEND_RESOLVED_DEFAULTS.slack),
  })
  .strict();

const receiverSchema = z
  .object({
    name: receiverName.schema,
    webhookConfigs: z.array(webhookConfigSchema).default([]),
    emailConfigs: z.array(emailConfigSchema).default([]),
    slackConfigs: z.array(slackConfigSchema).default([]),
  })
  .strict();

const childRouteSchema = z
  .object({
    /** Alerts this route takes, e.g. `['severity="critical"']`; none matches every alert. */
    matchers: z.array(matcher.schema).default([]),
    /** Unset fields are inherited from the root route. */
    receiver: receiverName.schema.optional(),
    groupBy: z.array(groupByLabel.schema).optional(),
    groupWait: duration.schema.optional(),
    groupInterval: duration.schema.optional(),
    repeatInterval: duration.schema.optional(),
    /** Keep matching the following routes after this one. */
    continue: z.boolean().default(false),
  })
  .strict();

const routeSchema = z
  .object({
    receiver: receiverName.schema.default(ROUTE_DEFAULTS.receiver),
    groupBy: z.array(groupByLabel.schema).default([...ROUTE_DEFAULTS.groupBy]),
    groupWait: duration.schema.default(ROUTE_DEFAULTS.groupWait),
    groupInterval: duration.schema.default(ROUTE_DEFAULTS.groupInterval),
    repeatInterval: duration.schema.default(ROUTE_DEFAULTS.repeatInterval),
    routes: z.array(childRouteSchema).default([]),
  })
  .strict();

const inhibitRuleSchema = z
  .object({
    sourceMatchers: z.array(matcher.schema).min(1, 'expected at least one matcher'),
    targetMatchers: z.array(matcher.schema).min(1, 'expected at least one matcher'),
    equal: z.array(labelName.schema).default([]),
  })
  .strict();

const smtpSchema = z
  .object({
    smarthost: smarthost.schema.optional(),
    from: emailAddress.schema.optional(),
    hello: z.string().min(1).optional(),
    authUsername: z.string().min(1).optional(),
    requireTls: z.boolean().optional(),
  })
  .strict();

export const alertmanagerConfigSchema = serviceOptionsSchema(ALERTMANAGER_DEFAULTS)
  .extend({
    route: routeSchema.prefault({}),
    receivers: z
      .array(receiverSchema)
      .min(1, 'expected at least one receiver')
      .prefault([{ name: DEFAULT_RECEIVER }]),
    inhibitRules: z.array(inhibitRuleSchema).prefault(() =>
      DEFAULT_INHIBIT_RULES.map((r) => ({
        sourceMatchers: [...r.sourceMatchers],
        targetMatchers: [...r.targetMatchers],
        equal: [...r.equal],
      })),
    ),
    smtp: smtpSchema.prefault({}),
    resolveTimeout: ALERTMANAGER_INPUTS.resolve_timeout.schema,
    /** How long silences and the notification log are kept. */
    dataRetention: ALERTMANAGER_INPUTS.data_retention.schema,
    /** URL used in links inside notifications; the instance's .incus address when unset. */
    externalUrl: ALERTMANAGER_INPUTS.external_url.schema,
  })
  .strict()
  .superRefine((c, ctx) => {
    const names = new Set<string>();
    c.receivers.forEach((r, i) => {
      if (names.has(r.name))
        ctx.addIssue({
          code: 'custom',
          path: ['receivers', i, 'name'],
          message: `receiver name "${r.name}" is used twice`,
        });
      names.add(r.name);
    });
    const undefinedReceiver = (name: string | undefined, path: (string | number)[]) => {
      if (name !== undefined && !names.has(name))
        ctx.addIssue({
          code: 'custom',
          path,
          message: `no receiver is named "${name}" (receivers: ${[...names].join(', ')})`,
        });
    };
    undefinedReceiver(c.route.receiver, ['route', 'receiver']);
    c.route.routes.forEach((r, i) =>
      undefinedReceiver(r.receiver, ['route', 'routes', i, 'receiver']),
    );
    c.receivers.forEach((r, i) =>
      r.emailConfigs.forEach((e, j) => {
        for (const field of ['from', 'smarthost'] as const) {
          if (e[field] === undefined && c.smtp[field] === undefined)
            ctx.addIssue({
              code: 'custom',
              path: ['receivers', i, 'emailConfigs', j, field],
              message: `expected "${field}" here or in smtp.${field}`,
            });
        }
      }),
    );
  });

export type AlertmanagerConfig = z.input<typeof alertmanagerConfigSchema>;
type Parsed = z.output<typeof alertmanagerConfigSchema>;

export interface AlertmanagerSecrets {
  /** `<name>_smtp_password`: present when an email config logs in to the SMTP server. */
  readonly smtpPassword?: EnvVariable<string>;
  /** `<name>_slack_api_url`: present when a receiver posts to Slack. */
  readonly slackApiUrl?: EnvVariable<string>;
}

export type AlertmanagerInstance = ModuleCall<
  typeof alertmanagerModule.variables,
  typeof alertmanagerModule.body.outputs
> &
  AlertReceiver &
  MetricsSource &
  DatasourceSource & { readonly service: 'alertmanager'; readonly secrets: AlertmanagerSecrets };

/** Leaves out unset fields, so the module's optional() defaults apply. */
function defined<T extends Record<string, unknown>>(fields: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined),
  ) as Partial<T>;
}

/** The module's default as it is, or the value in HCL. */
const unlessDefaultHcl = (value: unknown, dflt: unknown): Expr | undefined =>
  sameValue(value, dflt) ? undefined : toExpr(value);

function routeValue(r: Parsed['route']) {
  return defined({
    receiver: r.receiver,
    group_by: unlessDefault(r.groupBy, ROUTE_DEFAULTS.groupBy),
    group_wait: unlessDefault(r.groupWait, ROUTE_DEFAULTS.groupWait),
    group_interval: unlessDefault(r.groupInterval, ROUTE_DEFAULTS.groupInterval),
    repeat_interval: unlessDefault(r.repeatInterval, ROUTE_DEFAULTS.repeatInterval),
    routes: r.routes.length
      ? r.routes.map((child) =>
          defined({
            matchers: child.matchers,
            receiver: child.receiver,
            group_by: child.groupBy,
            group_wait: child.groupWait,
            group_interval: child.groupInterval,
            repeat_interval: child.repeatInterval,
            continue: child.continue || undefined,
          }),
        )
      : undefined,
  });
}

function receiverValue(r: Parsed['receivers'][number]) {
  return defined({
    name: r.name,
    webhook_configs: r.webhookConfigs.length
      ? r.webhookConfigs.map((w) =>
          defined({
            url: w.url,
            send_resolved: unlessDefault(w.sendResolved, SEND_RESOLVED_DEFAULTS.webhook),
          }),
        )
      : undefined,
    email_configs: r.emailConfigs.length
      ? r.emailConfigs.map((e) =>
          defined({
            to: e.to,
            from: e.from,
            smarthost: e.smarthost,
            auth_username: e.authUsername,
            require_tls: e.requireTls,
            send_resolved: unlessDefault(e.sendResolved, SEND_RESOLVED_DEFAULTS.email),
          }),
        )
      : undefined,
    slack_configs: r.slackConfigs.length
      ? r.slackConfigs.map((s) =>
          defined({
            channel: s.channel,
            title: s.title,
            text: s.text,
            send_resolved: unlessDefault(s.sendResolved, SEND_RESOLVED_DEFAULTS.slack),
          }),
        )
      : undefined,
  });
}

function secretsFor(c: Parsed): AlertmanagerSecrets {
  const emails = c.receivers.flatMap((r) => r.emailConfigs);
  const logsIn = emails.some(
    (e) => e.authUsername !== undefined || c.smtp.authUsername !== undefined,
  );
  const postsToSlack = c.receivers.some((r) => r.slackConfigs.length > 0);
  return defined({
    smtpPassword: logsIn
      ? instanceVariable<string>(
          c.name,
          'smtp_password',
          {
            type: T.string,
            description: `SMTP password ${c.name} logs in with to send email notifications.`,
            sensitive: true,
          },
          `<${c.name} SMTP password>`,
        )
      : undefined,
    slackApiUrl: postsToSlack
      ? instanceVariable<string>(
          c.name,
          'slack_api_url',
          {
            type: T.string,
            description: `Slack incoming-webhook URL ${c.name} posts notifications to.`,
            sensitive: true,
            rules: [slackApiUrl],
          },
          `<${c.name} Slack webhook URL>`,
        )
      : undefined,
  });
}

/**
 * An Alertmanager instance. Secrets become sensitive root-module variables,
 * `<name>_smtp_password` and `<name>_slack_api_url` (underscored), declared
 * only when an email config logs in or a receiver posts to Slack.
 */
export function alertmanager(config: AlertmanagerConfig): AlertmanagerInstance {
  const c = parseConfig(alertmanagerConfigSchema, config, [
    config.name ?? ALERTMANAGER_DEFAULTS.instanceName,
  ]);
  const secrets = secretsFor(c);
  const route = routeValue(c.route);
  const receivers = c.receivers.map(receiverValue);
  const inhibitRules = c.inhibitRules.map(inhibitRuleValue);
  const smtp = defined({
    smarthost: c.smtp.smarthost,
    from: c.smtp.from,
    hello: c.smtp.hello,
    auth_username: c.smtp.authUsername,
    require_tls: c.smtp.requireTls,
  });
  const call = alertmanagerModule.call(
    c.name,
    {
      ...serviceArgs(c, ALERTMANAGER_DEFAULTS),
      route: unlessDefaultHcl(route, { receiver: DEFAULT_RECEIVER }),
      receivers: unlessDefaultHcl(receivers, [{ name: DEFAULT_RECEIVER }]),
      inhibit_rules: unlessDefaultHcl(inhibitRules, DEFAULT_INHIBIT_RULES.map(inhibitRuleValue)),
      resolve_timeout: ALERTMANAGER_INPUTS.resolve_timeout.arg(c.resolveTimeout),
      smtp: Object.keys(smtp).length ? toExpr(smtp) : undefined,
      smtp_auth_password: secrets.smtpPassword?.ref,
      slack_api_url: secrets.slackApiUrl?.ref,
      data_retention: ALERTMANAGER_INPUTS.data_retention.arg(c.dataRetention),
      external_url: c.externalUrl,
    },
    { inputs: [secrets.smtpPassword, secrets.slackApiUrl].filter((v) => v !== undefined) },
  );
  const at = placement(c);
  return Object.assign(call, {
    service: 'alertmanager' as const,
    secrets,
    alerting: {
      target: call.outputs.alerting_target,
      link: reachable(at, ALERTMANAGER_PORT, call.outputs.alerting_target),
    },
    metrics: {
      target: call.outputs.metrics_target,
      link: reachable(at, ALERTMANAGER_PORT, call.outputs.metrics_target),
    },
    datasource: {
      type: 'alertmanager' as const,
      url: call.outputs.endpoint,
      link: reachable(
        at,
        ALERTMANAGER_PORT,
        call.outputs.endpoint,
        (hostPort) => tpl`http://${hostPort}`,
      ),
    },
  });
}
