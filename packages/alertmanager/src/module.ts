import {
  T,
  duration,
  input,
  nullable,
  output,
  packageInfo,
  variable,
  type Rule,
  type Validation,
} from '@atlas/core';
import { incusServiceModule } from '@atlas/incus-service';
import {
  binary,
  bool,
  call,
  cond,
  forList,
  forMap,
  get,
  heredoc,
  interp,
  literal,
  nil,
  num,
  object,
  ref,
  str,
  tpl,
  tuple,
  type Expr,
} from '@atlas/hcl';
import {
  emailAddress,
  goDuration,
  groupByLabel,
  httpUrl,
  labelName,
  matcher,
  receiverName,
  slackApiUrl,
  slackChannel,
  smarthost,
} from './rules.js';

export const ALERTMANAGER_PORT = 9093;

/** The seeds' sizing, volume and snapshot policy for Alertmanager. */
export const ALERTMANAGER_DEFAULTS = {
  instanceName: 'alertmanager01',
  profileName: 'alertmanager',
  cpu: 1,
  memory: '256MB',
  rootDiskSize: '1GB',
  dataVolume: {
    size: '1GB',
    mountPath: '/var/lib/alertmanager',
    snapshots: { schedule: '@daily', expiry: '7d' },
  },
  // Debian 13 (trixie) main, as `apt-cache policy prometheus-alertmanager` shows it.
  packageVersions: { 'prometheus-alertmanager': '0.28.1+ds-1' },
} as const;

/** The receiver the default route sends to: a null receiver until it is given configs. */
export const DEFAULT_RECEIVER = 'default';

/** Alertmanager's own timing defaults for the root route, and Atlas's grouping. */
export const ROUTE_DEFAULTS = {
  receiver: DEFAULT_RECEIVER,
  groupBy: ['alertname'],
  groupWait: '30s',
  groupInterval: '5m',
  repeatInterval: '4h',
} as const;

/** Alertmanager's defaults for whether resolved alerts are notified too. */
export const SEND_RESOLVED_DEFAULTS = { webhook: true, email: false, slack: false } as const;

export const RESOLVE_TIMEOUT_DEFAULT = '5m';
/** How long silences and the notification log are kept (Alertmanager's default). */
export const DATA_RETENTION_DEFAULT = '120h';

export interface InhibitRule {
  readonly sourceMatchers: readonly string[];
  readonly targetMatchers: readonly string[];
  readonly equal: readonly string[];
}

/**
 * Prometheus's standard rules pair a warning and a critical alert under two
 * names (HighMemoryUsage and CriticalMemoryUsage, DiskSpaceWarning and
 * DiskSpaceCritical), so each pair gets a rule naming both: while the
 * critical one fires for a container (or one of its mounts), its warning is
 * muted. Labels absent from both alerts count as equal, so the rules hold
 * with and without federation's `environment` label.
 */
export const DEFAULT_INHIBIT_RULES: readonly InhibitRule[] = [
  {
    sourceMatchers: ['alertname="CriticalMemoryUsage"'],
    targetMatchers: ['alertname="HighMemoryUsage"'],
    equal: ['environment', 'instance', 'name'],
  },
  {
    sourceMatchers: ['alertname="DiskSpaceCritical"'],
    targetMatchers: ['alertname="DiskSpaceWarning"'],
    equal: ['environment', 'instance', 'name', 'mountpoint'],
  },
];

export const inhibitRuleValue = (rule: InhibitRule) => ({
  source_matchers: [...rule.sourceMatchers],
  target_matchers: [...rule.targetMatchers],
  equal: [...rule.equal],
});

const CONFIG_FILE = '/etc/prometheus/alertmanager.yml';
const DATA = ALERTMANAGER_DEFAULTS.dataVolume.mountPath;
/** Secrets stay out of alertmanager.yml: it names these files, readable by root and the daemon's group. */
const SECRETS_DIR = '/etc/prometheus/alertmanager-secrets';
export const SMTP_PASSWORD_FILE = `${SECRETS_DIR}/smtp_auth_password`;
export const SLACK_API_URL_FILE = `${SECRETS_DIR}/slack_api_url`;

const childRouteType = T.object({
  matchers: T.optional(T.list(T.string), []),
  receiver: T.optional(T.string),
  group_by: T.optional(T.list(T.string)),
  group_wait: T.optional(T.string),
  group_interval: T.optional(T.string),
  repeat_interval: T.optional(T.string),
  continue: T.optional(T.bool, false),
});

const routeType = T.object({
  receiver: T.string,
  group_by: T.optional(T.list(T.string), [...ROUTE_DEFAULTS.groupBy]),
  group_wait: T.optional(T.string, ROUTE_DEFAULTS.groupWait),
  group_interval: T.optional(T.string, ROUTE_DEFAULTS.groupInterval),
  repeat_interval: T.optional(T.string, ROUTE_DEFAULTS.repeatInterval),
  routes: T.optional(T.list(childRouteType), []),
});

const receiverType = T.object({
  name: T.string,
  webhook_configs: T.optional(
    T.list(
      T.object({
        url: T.string,
        send_resolved: T.optional(T.bool, SEND_RESOLVED_DEFAULTS.webhook),
      }),
    ),
    [],
  ),
  email_configs: T.optional(
    T.list(
      T.object({
        to: T.string,
        from: T.optional(T.string),
        smarthost: T.optional(T.string),
        auth_username: T.optional(T.string),
        require_tls: T.optional(T.bool),
        send_resolved: T.optional(T.bool, SEND_RESOLVED_DEFAULTS.email),
      }),
    ),
    [],
  ),
  slack_configs: T.optional(
    T.list(
      T.object({
        channel: T.string,
        title: T.optional(T.string),
        text: T.optional(T.string),
        send_resolved: T.optional(T.bool, SEND_RESOLVED_DEFAULTS.slack),
      }),
    ),
    [],
  ),
});

const inhibitRuleType = T.object({
  source_matchers: T.list(T.string),
  target_matchers: T.list(T.string),
  equal: T.optional(T.list(T.string), []),
});

const smtpType = T.object({
  smarthost: T.optional(T.string),
  from: T.optional(T.string),
  hello: T.optional(T.string),
  auth_username: T.optional(T.string),
  require_tls: T.optional(T.bool),
});

/** `alltrue([for x in items : <rule on x> if x != null])`: unset optional values pass. */
const everySet = (items: Expr, rule: Rule): Expr =>
  call('alltrue', [
    forList('x', items, rule.validation(ref('x')).condition, {
      cond: binary('!=', ref('x'), nil),
    }),
  ]);

/** `flatten([for item in list : item.<field> if item.<field> != null])`: one attribute's values across a list, nested lists flattened. */
const allOf = (list: Expr, field: string): Expr =>
  call('flatten', [
    forList('item', list, get(ref('item'), field), {
      cond: binary('!=', get(ref('item'), field), nil),
    }),
  ]);

/** `{ for k, v in obj : k => v if v != null }`: unset optional attributes are left out of the YAML. */
const withoutNulls = (obj: Expr): Expr =>
  forMap(['k', 'v'], obj, ref('k'), ref('v'), { cond: binary('!=', ref('v'), nil) });

const whenNotEmpty = (list: Expr, key: string, value: Expr): Expr =>
  cond(binary('==', call('length', [list]), num(0)), object({}), object({ [key]: value }));

/** Alertmanager's inputs that are builder options as they are, declared once: the option and the variable. */
export const ALERTMANAGER_INPUTS = {
  resolve_timeout: input(duration, {
    type: T.string,
    description:
      'How long an alert without an end time stays firing after it was last received (global.resolve_timeout).',
    default: RESOLVE_TIMEOUT_DEFAULT,
  }),
  data_retention: input(goDuration, {
    type: T.string,
    description:
      'How long silences and the notification log are kept (--data.retention), as a Go duration such as 120h.',
    default: DATA_RETENTION_DEFAULT,
  }),
  external_url: input(httpUrl, {
    type: T.string,
    description:
      'URL Alertmanager is reached at, used in links inside notifications (--web.external-url); null means its .incus address.',
    default: null,
  }),
};

/** S5: Alertmanager with typed routes, receivers (webhook, email, Slack), inhibition and silences storage. */
export const alertmanagerModule = incusServiceModule({
  name: 'alertmanager',
  package: packageInfo(import.meta.url),
  description:
    'Alertmanager in an Incus system container: routes, receivers (webhook, email, Slack) and inhibition rules from typed variables, secrets read from files outside the configuration, and silences and notification state on a persistent volume.',
  defaults: ALERTMANAGER_DEFAULTS,
  // Debian's package starts alertmanager at install, as this account, on the root-owned volume.
  dataOwner: { unit: 'prometheus-alertmanager', user: 'prometheus', group: 'prometheus' },
  // Published when another environment sends it alerts (issue 9).
  proxyDevices: true,
  variables: {
    route: variable({
      type: routeType,
      description:
        'The root route and its child routes (one level). Child routes select alerts with matchers such as severity="critical" and inherit what they leave unset. Every receiver named here must be one of var.receivers.',
      default: { receiver: DEFAULT_RECEIVER },
      validations: (self): Validation[] => {
        const children = get(self, 'routes');
        const timings = (route: Expr) => [
          get(route, 'group_wait'),
          get(route, 'group_interval'),
          get(route, 'repeat_interval'),
        ];
        return [
          {
            condition: everySet(
              call('concat', [
                tuple(timings(self)),
                call('flatten', [forList('r', children, tuple(timings(ref('r'))))]),
              ]),
              duration,
            ),
            errorMessage:
              'Each group_wait, group_interval and repeat_interval must be a duration such as 30s, 5m or 4h.',
            rejects: { receiver: 'default', group_wait: '30 seconds' },
          },
          {
            condition: everySet(allOf(children, 'matchers'), matcher),
            errorMessage: `Each child route matcher must be ${matcher.what}.`,
            rejects: { receiver: 'default', routes: [{ matchers: ['severity is critical'] }] },
          },
          {
            condition: everySet(
              call('concat', [get(self, 'group_by'), allOf(children, 'group_by')]),
              groupByLabel,
            ),
            errorMessage: `Each group_by entry must be ${groupByLabel.what}.`,
            rejects: { receiver: 'default', group_by: ['not a label'] },
          },
          {
            condition: everySet(
              call('concat', [
                tuple([get(self, 'receiver')]),
                forList('r', children, ref('r.receiver')),
              ]),
              receiverName,
            ),
            errorMessage: `Each route receiver must be ${receiverName.what}.`,
            rejects: { receiver: 'bad receiver!' },
          },
        ];
      },
    }),
    receivers: variable({
      type: T.list(receiverType),
      description:
        'Where notifications go. A receiver with no configs drops them. Email configs use the SMTP settings in var.smtp for what they leave unset; Slack configs post to var.slack_api_url.',
      default: [{ name: DEFAULT_RECEIVER }],
      validations: (self): Validation[] => {
        const field = (list: string, name: string) =>
          forList('c', allOf(self, list), ref(`c.${name}`));
        return [
          {
            condition: binary('>', call('length', [self]), num(0)),
            errorMessage: 'Define at least one receiver.',
            rejects: [],
          },
          {
            condition: everySet(forList('r', self, ref('r.name')), receiverName),
            errorMessage: `Each receiver name must be ${receiverName.what}.`,
            rejects: [{ name: 'default' }, { name: 'bad name!' }],
          },
          {
            condition: binary(
              '==',
              call('length', [call('distinct', [forList('r', self, ref('r.name'))])]),
              call('length', [self]),
            ),
            errorMessage: 'Receiver names must be unique.',
            rejects: [{ name: 'default' }, { name: 'default' }],
          },
          {
            condition: everySet(field('webhook_configs', 'url'), httpUrl),
            errorMessage: `Each webhook url must be ${httpUrl.what}.`,
            rejects: [{ name: 'default', webhook_configs: [{ url: 'not a url' }] }],
          },
          {
            condition: everySet(
              call('concat', [field('email_configs', 'to'), field('email_configs', 'from')]),
              emailAddress,
            ),
            errorMessage: `Each email "to" and "from" must be ${emailAddress.what}.`,
            rejects: [{ name: 'default', email_configs: [{ to: 'ops at example.com' }] }],
          },
          {
            condition: everySet(field('email_configs', 'smarthost'), smarthost),
            errorMessage: `Each email smarthost must be ${smarthost.what}.`,
            rejects: [
              {
                name: 'default',
                email_configs: [{ to: 'ops@example.com', smarthost: 'smtp.example.com' }],
              },
            ],
          },
          {
            condition: everySet(field('slack_configs', 'channel'), slackChannel),
            errorMessage: `Each Slack channel must be ${slackChannel.what}.`,
            rejects: [{ name: 'default', slack_configs: [{ channel: 'alerts channel' }] }],
          },
        ];
      },
    }),
    inhibit_rules: variable({
      type: T.list(inhibitRuleType),
      description:
        'Mute alerts matching target_matchers while an alert matching source_matchers fires with the same values of the "equal" labels. The default lets CriticalMemoryUsage mute HighMemoryUsage, and DiskSpaceCritical mute DiskSpaceWarning, for the same container.',
      default: DEFAULT_INHIBIT_RULES.map(inhibitRuleValue),
      validations: (self): Validation[] => [
        {
          condition: call('alltrue', [
            forList(
              'rule',
              self,
              binary(
                '&&',
                binary('>', call('length', [ref('rule.source_matchers')]), num(0)),
                binary('>', call('length', [ref('rule.target_matchers')]), num(0)),
              ),
            ),
          ]),
          errorMessage: 'Each inhibit rule needs at least one source and one target matcher.',
          rejects: [{ source_matchers: [], target_matchers: ['severity="warning"'] }],
        },
        {
          condition: everySet(
            call('concat', [allOf(self, 'source_matchers'), allOf(self, 'target_matchers')]),
            matcher,
          ),
          errorMessage: `Each inhibit rule matcher must be ${matcher.what}.`,
          rejects: [
            { source_matchers: ['severity is critical'], target_matchers: ['severity="warning"'] },
          ],
        },
        {
          condition: everySet(allOf(self, 'equal'), labelName),
          errorMessage: `Each "equal" entry must be ${labelName.what}.`,
          rejects: [
            {
              source_matchers: ['severity="critical"'],
              target_matchers: ['severity="warning"'],
              equal: ['not a label'],
            },
          ],
        },
      ],
    }),
    resolve_timeout: ALERTMANAGER_INPUTS.resolve_timeout.variable,
    smtp: variable({
      type: smtpType,
      description:
        'Global SMTP settings email configs fall back to: smarthost (host:port), from, hello, auth_username, require_tls. The password is var.smtp_auth_password.',
      default: {},
      nullable: false,
      validations: (self): Validation[] => [
        {
          condition: binary(
            '&&',
            nullable(smarthost).validation(get(self, 'smarthost')).condition,
            nullable(emailAddress).validation(get(self, 'from')).condition,
          ),
          errorMessage: `The smarthost must be ${smarthost.what}, and "from" ${emailAddress.what}.`,
          rejects: { smarthost: 'smtp.example.com', from: 'ops@example.com' },
        },
      ],
    }),
    smtp_auth_password: variable({
      type: T.string,
      description:
        'SMTP password for every email config that authenticates (has an auth_username of its own or from var.smtp). Written to a file only root and Alertmanager can read.',
      default: null,
      sensitive: true,
      validations: (self): Validation[] => [
        {
          condition: cond(
            binary('==', self, nil),
            bool(true),
            binary('>', call('length', [self]), num(0)),
          ),
          errorMessage: 'Must be null or a non-empty password.',
          rejects: '',
        },
      ],
    }),
    slack_api_url: variable({
      type: T.string,
      description:
        'Slack incoming-webhook URL every Slack config posts to; needed when a receiver has slack_configs. Written to a file only root and Alertmanager can read.',
      default: null,
      sensitive: true,
      rules: [nullable(slackApiUrl)],
    }),
    data_retention: ALERTMANAGER_INPUTS.data_retention.variable,
    external_url: ALERTMANAGER_INPUTS.external_url.variable,
  },
  build: (v) => {
    // Whether a config logs in is read from the usernames, not the password, so the config stays non-sensitive.
    const emailConfig = (c: string): Expr =>
      call('merge', [
        withoutNulls(ref(c)),
        cond(
          binary(
            '||',
            binary('!=', ref(`${c}.auth_username`), nil),
            binary('!=', get(v.smtp, 'auth_username'), nil),
          ),
          object({ auth_password_file: str(SMTP_PASSWORD_FILE) }),
          object({}),
        ),
      ]);
    const receiver = (r: string): Expr =>
      call('merge', [
        object({ name: ref(`${r}.name`) }),
        whenNotEmpty(ref(`${r}.webhook_configs`), 'webhook_configs', ref(`${r}.webhook_configs`)),
        whenNotEmpty(
          ref(`${r}.email_configs`),
          'email_configs',
          forList('c', ref(`${r}.email_configs`), emailConfig('c')),
        ),
        whenNotEmpty(
          ref(`${r}.slack_configs`),
          'slack_configs',
          forList(
            'c',
            ref(`${r}.slack_configs`),
            call('merge', [
              withoutNulls(ref('c')),
              object({ api_url_file: str(SLACK_API_URL_FILE) }),
            ]),
          ),
        ),
      ]);
    const config = object({
      // var.smtp's attribute names are Alertmanager's global smtp_* settings without the prefix.
      global: call('merge', [
        object({ resolve_timeout: v.resolve_timeout }),
        forMap(['k', 'v'], v.smtp, tpl`smtp_${ref('k')}`, ref('v'), {
          cond: binary('!=', ref('v'), nil),
        }),
      ]),
      route: call('merge', [
        v.route,
        object({
          routes: forList('r', get(v.route, 'routes'), withoutNulls(ref('r'))),
        }),
      ]),
      receivers: forList('r', v.receivers, receiver('r')),
      inhibit_rules: v.inhibit_rules,
    });
    const args = heredoc([
      literal(`ARGS="--config.file=${CONFIG_FILE} --storage.path=${DATA} --data.retention=`),
      interp(v.data_retention),
      literal(` --web.listen-address=:${ALERTMANAGER_PORT} --web.external-url=`),
      interp(ref('local.external_url')),
      literal(' --cluster.listen-address="\n'),
    ]);
    const hostPort = tpl`${ref('var.instance_name')}.incus:${ALERTMANAGER_PORT}`;
    return {
      locals: {
        external_url: call('coalesce', [
          v.external_url,
          tpl`http://${v.instance_name}.incus:${ALERTMANAGER_PORT}`,
        ]),
        alertmanager_config: {
          value: config,
          comment:
            'alertmanager.yml. Secrets are not in it: email and Slack configs name the files holding them.',
        },
        daemon_args: {
          value: args,
          comment:
            'Read by the Debian unit from /etc/default/prometheus-alertmanager. A single instance: clustering is off.',
        },
      },
      cloudInit: {
        config: {
          packages: ['prometheus-alertmanager'],
          writeFiles: [
            { path: CONFIG_FILE, content: ref('alertmanager_yml') },
            { path: '/etc/default/prometheus-alertmanager', content: ref('daemon_args') },
            {
              path: SMTP_PASSWORD_FILE,
              content: ref('smtp_auth_password'),
              owner: 'root:prometheus',
              permissions: '0640',
              defer: true,
              when: ref('smtp_auth_password_set'),
            },
            {
              path: SLACK_API_URL_FILE,
              content: ref('slack_api_url'),
              owner: 'root:prometheus',
              permissions: '0640',
              defer: true,
              when: ref('slack_api_url_set'),
            },
          ],
          runcmd: [
            // The unit's drop-in owns the data folder (created if the volume is disabled).
            'systemctl enable prometheus-alertmanager',
            'systemctl restart prometheus-alertmanager',
          ],
        },
        vars: {
          alertmanager_yml: call('yamlencode', [ref('local.alertmanager_config')]),
          daemon_args: ref('local.daemon_args'),
          smtp_auth_password_set: binary('!=', v.smtp_auth_password, nil),
          smtp_auth_password: v.smtp_auth_password,
          slack_api_url_set: binary('!=', v.slack_api_url, nil),
          slack_api_url: v.slack_api_url,
        },
      },
      outputs: {
        endpoint: output({
          description: 'HTTP endpoint of the Alertmanager API (and Grafana datasource URL).',
          value: tpl`http://${ref('var.instance_name')}.incus:${ALERTMANAGER_PORT}`,
          type: T.string,
        }),
        alerting_target: output({
          description: 'host:port Prometheus sends alerts to (alerting.alertmanagers).',
          value: hostPort,
          type: T.string,
        }),
        metrics_target: output({
          description: "host:port for Prometheus to scrape Alertmanager's own metrics.",
          value: hostPort,
          type: T.string,
        }),
      },
    };
  },
});
