import { testNetwork } from '@atlas/testing';
import { ConfigError } from '@atlas/core';
import {
  alertReceiverSchema,
  datasourceSourceSchema,
  metricsSourceSchema,
} from '@atlas/incus-service';
import { printExpr } from '@atlas/hcl';
import { previewModule } from '@atlas/preview';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  ALERTMANAGER_DEFAULTS,
  alertmanager,
  alertmanagerConfigSchema,
  alertmanagerModule,
  type AlertmanagerConfig,
} from './index.js';

const network = testNetwork();

/** The issues a builder call is rejected with, as `path: message`. */
function rejection(config: Partial<AlertmanagerConfig>): string[] {
  try {
    alertmanager({ network, ...config });
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected the config to be rejected');
}

const args = (config: Partial<AlertmanagerConfig>) =>
  Object.fromEntries(
    [...alertmanager({ network, ...config }).args].map(([k, v]) => [k, printExpr(v)]),
  );

describe('defaults from the seeds', () => {
  it('fills the zod options with the seeded sizing, volume, snapshots and routing', () => {
    const c = alertmanagerConfigSchema.parse({ network });
    expect(c).toMatchObject({
      name: 'alertmanager01',
      profileName: 'alertmanager',
      cpu: 1,
      memory: '256MB',
      rootDiskSize: '1GB',
      data: {
        enabled: true,
        size: '1GB',
        snapshots: { enabled: false, schedule: '@daily', expiry: '7d' },
      },
      route: {
        receiver: 'default',
        groupBy: ['alertname'],
        groupWait: '30s',
        groupInterval: '5m',
        repeatInterval: '4h',
        routes: [],
      },
      receivers: [{ name: 'default', webhookConfigs: [], emailConfigs: [], slackConfigs: [] }],
      inhibitRules: [
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
      ],
      smtp: {},
      resolveTimeout: '5m',
      dataRetention: '120h',
    });
  });

  it('gives the module, used on its own, the same route, receivers and inhibitions', () => {
    const { variables } = previewModule(alertmanagerModule, { profiles: ['base', 'management'] });
    expect(variables).toMatchObject({
      route: {
        receiver: 'default',
        group_by: ['alertname'],
        group_wait: '30s',
        group_interval: '5m',
        repeat_interval: '4h',
        routes: [],
      },
      receivers: [{ name: 'default', webhook_configs: [], email_configs: [], slack_configs: [] }],
      inhibit_rules: [
        {
          source_matchers: ['alertname="CriticalMemoryUsage"'],
          target_matchers: ['alertname="HighMemoryUsage"'],
          equal: ['environment', 'instance', 'name'],
        },
        {
          source_matchers: ['alertname="DiskSpaceCritical"'],
          target_matchers: ['alertname="DiskSpaceWarning"'],
          equal: ['environment', 'instance', 'name', 'mountpoint'],
        },
      ],
      smtp_auth_password: null,
      slack_api_url: null,
    });
    expect(ALERTMANAGER_DEFAULTS.dataVolume.mountPath).toBe('/var/lib/alertmanager');
  });

  it('writes only the name, profiles and limits when everything else is default', () => {
    expect(args({})).toEqual({
      instance_name: '"alertmanager01"',
      profiles: '[module.base.container_base_profile, module.base.network_profiles.management]',
      cpu_limit: '1',
      memory_limit: '"256MB"',
    });
  });
});

describe('validation: the builder and the module reject the same values', () => {
  const hclErrors = (inputs: Record<string, unknown>) =>
    previewModule(alertmanagerModule, { profiles: ['base', 'management'], ...inputs })
      .validationErrors;

  const cases: Array<{
    what: string;
    config: Partial<AlertmanagerConfig>;
    issue: string;
    inputs: Record<string, unknown>;
    error: string;
  }> = [
    {
      what: 'a CPU count out of range',
      config: { cpu: 0 },
      issue: 'alertmanager01.cpu: expected a whole number of CPUs from 1 to 64',
      inputs: { cpu_limit: 0 },
      error: 'var.cpu_limit: Must be a whole number of CPUs from 1 to 64.',
    },
    {
      what: 'a memory size with a space',
      config: { memory: '256 MB' },
      issue: 'alertmanager01.memory: expected a size such as 512MB or 2GiB',
      inputs: { memory_limit: '256 MB' },
      error: 'var.memory_limit: Must be a size such as 512MB or 2GiB',
    },
    {
      what: 'an unquoted matcher value',
      config: { route: { routes: [{ matchers: ['severity=critical'] }] } },
      issue:
        'alertmanager01.route.routes[0].matchers[0]: expected a matcher such as severity="critical"',
      inputs: { route: { receiver: 'default', routes: [{ matchers: ['severity=critical'] }] } },
      error: 'var.route: Each child route matcher must be a matcher such as severity="critical"',
    },
    {
      what: 'a group_by entry that is not a label name',
      config: { route: { groupBy: ['alert-name'] } },
      issue: 'alertmanager01.route.groupBy[0]: expected a label name such as alertname',
      inputs: { route: { receiver: 'default', group_by: ['alert-name'] } },
      error: 'var.route: Each group_by entry must be a label name such as alertname',
    },
    {
      what: 'a child route timing that is not a duration',
      config: { route: { routes: [{ groupWait: '30 seconds' }] } },
      issue: 'alertmanager01.route.routes[0].groupWait: expected a duration such as 15s',
      inputs: { route: { receiver: 'default', routes: [{ group_wait: '30 seconds' }] } },
      error: 'var.route: Each group_wait, group_interval and repeat_interval must be a duration',
    },
    {
      what: 'a receiver name with a space',
      config: { receivers: [{ name: 'on call' }], route: { receiver: 'on call' } },
      issue: 'alertmanager01.receivers[0].name: expected a name of letters, digits',
      inputs: { receivers: [{ name: 'on call' }] },
      error: 'var.receivers: Each receiver name must be a name of letters, digits',
    },
    {
      what: 'two receivers with one name',
      config: { receivers: [{ name: 'default' }, { name: 'default' }] },
      issue: 'alertmanager01.receivers[1].name: receiver name "default" is used twice',
      inputs: { receivers: [{ name: 'default' }, { name: 'default' }] },
      error: 'var.receivers: Receiver names must be unique.',
    },
    {
      what: 'no receivers',
      config: { receivers: [] },
      issue: 'alertmanager01.receivers: expected at least one receiver',
      inputs: { receivers: [] },
      error: 'var.receivers: Define at least one receiver.',
    },
    {
      what: 'a webhook URL that is not http(s)',
      config: { receivers: [{ name: 'default', webhookConfigs: [{ url: 'ftp://x/y' }] }] },
      issue:
        'alertmanager01.receivers[0].webhookConfigs[0].url: expected an http:// or https:// URL',
      inputs: { receivers: [{ name: 'default', webhook_configs: [{ url: 'ftp://x/y' }] }] },
      error: 'var.receivers: Each webhook url must be an http:// or https:// URL',
    },
    {
      what: 'an email recipient that is not an address',
      config: {
        smtp: { smarthost: 'smtp.example.com:587', from: 'am@example.com' },
        receivers: [{ name: 'default', emailConfigs: [{ to: 'ops' }] }],
      },
      issue: 'alertmanager01.receivers[0].emailConfigs[0].to: expected an email address',
      inputs: { receivers: [{ name: 'default', email_configs: [{ to: 'ops' }] }] },
      error: 'var.receivers: Each email "to" and "from" must be an email address',
    },
    {
      what: 'an email smarthost without a port',
      config: {
        receivers: [
          {
            name: 'default',
            emailConfigs: [
              { to: 'ops@example.com', from: 'am@example.com', smarthost: 'smtp.example.com' },
            ],
          },
        ],
      },
      issue: 'alertmanager01.receivers[0].emailConfigs[0].smarthost: expected host:port',
      inputs: {
        receivers: [
          { name: 'default', email_configs: [{ to: 'ops@example.com', smarthost: 'smtp' }] },
        ],
      },
      error: 'var.receivers: Each email smarthost must be host:port',
    },
    {
      what: 'a Slack channel with a space',
      config: { receivers: [{ name: 'default', slackConfigs: [{ channel: '#on call' }] }] },
      issue: 'alertmanager01.receivers[0].slackConfigs[0].channel: expected a Slack channel',
      inputs: { receivers: [{ name: 'default', slack_configs: [{ channel: '#on call' }] }] },
      error: 'var.receivers: Each Slack channel must be a Slack channel',
    },
    {
      what: 'an inhibit rule without a source matcher',
      config: { inhibitRules: [{ sourceMatchers: [], targetMatchers: ['severity="info"'] }] },
      issue: 'alertmanager01.inhibitRules[0].sourceMatchers: expected at least one matcher',
      inputs: { inhibit_rules: [{ source_matchers: [], target_matchers: ['severity="info"'] }] },
      error:
        'var.inhibit_rules: Each inhibit rule needs at least one source and one target matcher.',
    },
    {
      what: 'an inhibit rule matcher with an unknown operator',
      config: {
        inhibitRules: [{ sourceMatchers: ['severity=="critical"'], targetMatchers: ['a="b"'] }],
      },
      issue: 'alertmanager01.inhibitRules[0].sourceMatchers[0]: expected a matcher',
      inputs: {
        inhibit_rules: [{ source_matchers: ['severity=="critical"'], target_matchers: ['a="b"'] }],
      },
      error: 'var.inhibit_rules: Each inhibit rule matcher must be a matcher',
    },
    {
      what: 'an "equal" entry that is not a label name',
      config: {
        inhibitRules: [
          { sourceMatchers: ['a="b"'], targetMatchers: ['c="d"'], equal: ['instance name'] },
        ],
      },
      issue: 'alertmanager01.inhibitRules[0].equal[0]: expected a label name',
      inputs: {
        inhibit_rules: [
          { source_matchers: ['a="b"'], target_matchers: ['c="d"'], equal: ['instance name'] },
        ],
      },
      error: 'var.inhibit_rules: Each "equal" entry must be a label name',
    },
    {
      what: 'a resolve timeout in words',
      config: { resolveTimeout: '5 minutes' },
      issue: 'alertmanager01.resolveTimeout: expected a duration',
      inputs: { resolve_timeout: '5 minutes' },
      error: 'var.resolve_timeout: Must be a duration',
    },
    {
      what: 'a data retention in days, which Go durations do not have',
      config: { dataRetention: '5d' },
      issue: 'alertmanager01.dataRetention: expected a duration such as 12h, 90m or 1h30m',
      inputs: { data_retention: '5d' },
      error: 'var.data_retention: Must be a duration such as 12h, 90m or 1h30m',
    },
    {
      what: 'an external URL without a scheme',
      config: { externalUrl: 'alerts.example.com' },
      issue: 'alertmanager01.externalUrl: expected an http:// or https:// URL',
      inputs: { external_url: 'alerts.example.com' },
      error:
        'var.external_url: Must be an http:// or https:// URL without spaces or quotes, or null.',
    },
    {
      what: 'a global smarthost without a port',
      config: { smtp: { smarthost: 'smtp.example.com' } },
      issue: 'alertmanager01.smtp.smarthost: expected host:port',
      inputs: { smtp: { smarthost: 'smtp.example.com' } },
      error: 'var.smtp: The smarthost must be host:port',
    },
  ];

  for (const c of cases) {
    it(`rejects ${c.what}`, () => {
      expect(rejection(c.config).join('\n')).toContain(c.issue);
      const errors = hclErrors(c.inputs);
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(c.error);
    });
  }

  it('rejects secrets the module cannot use (module-only inputs: the builder makes them variables)', () => {
    expect(hclErrors({ slack_api_url: 'http://hooks.slack.com/x' })).toEqual([
      'var.slack_api_url: Must be an https:// URL (the Slack incoming webhook), or null.',
    ]);
    expect(hclErrors({ smtp_auth_password: '' })).toEqual([
      'var.smtp_auth_password: Must be null or a non-empty password.',
    ]);
  });

  it('checks in TypeScript what one variable cannot see: receivers named by routes, email sender and smarthost', () => {
    expect(rejection({ route: { receiver: 'ops', routes: [{ receiver: 'pager' }] } })).toEqual([
      'alertmanager01.route.receiver: no receiver is named "ops" (receivers: default)',
      'alertmanager01.route.routes[0].receiver: no receiver is named "pager" (receivers: default)',
    ]);
    expect(
      rejection({ receivers: [{ name: 'default', emailConfigs: [{ to: 'ops@example.com' }] }] }),
    ).toEqual([
      'alertmanager01.receivers[0].emailConfigs[0].from: expected "from" here or in smtp.from',
      'alertmanager01.receivers[0].emailConfigs[0].smarthost: expected "smarthost" here or in smtp.smarthost',
    ]);
  });

  it('rejects unknown options', () => {
    expect(rejection({ routes: [] } as never).join('\n')).toContain('routes');
  });
});

describe('secrets', () => {
  const smtp = { smarthost: 'smtp.example.com:587', from: 'alertmanager@example.com' };

  it('declares none when no receiver logs in to SMTP or posts to Slack', () => {
    const am = alertmanager({
      network,
      smtp,
      receivers: [{ name: 'default', emailConfigs: [{ to: 'ops@example.com' }] }],
    });
    expect(am.secrets).toEqual({});
    expect(am.options.inputs).toEqual([]);
    expect(am.args.has('smtp_auth_password')).toBe(false);
  });

  it('passes the SMTP password and Slack URL as sensitive root-module variables, never as values', () => {
    const am = alertmanager({
      name: 'alert-manager02',
      network,
      smtp: { ...smtp, authUsername: 'alertmanager' },
      receivers: [
        {
          name: 'default',
          emailConfigs: [{ to: 'ops@example.com' }],
          slackConfigs: [{ channel: '#alerts' }],
        },
      ],
    });
    expect(am.options.inputs?.map((v) => [v.name, v.spec.sensitive])).toEqual([
      ['alert_manager02_smtp_password', true],
      ['alert_manager02_slack_api_url', true],
    ]);
    expect(am.secrets.smtpPassword?.name).toBe('alert_manager02_smtp_password');
    expect(printExpr(am.args.get('smtp_auth_password')!)).toBe('var.alert_manager02_smtp_password');
    expect(printExpr(am.args.get('slack_api_url')!)).toBe('var.alert_manager02_slack_api_url');
    // The root variable checks the Slack URL with the module's own rule.
    expect(am.secrets.slackApiUrl?.spec.rules?.[0]?.schema.safeParse('http://x').success).toBe(
      false,
    );
  });

  it('asks for the SMTP password when only an email config logs in', () => {
    const am = alertmanager({
      network,
      smtp,
      receivers: [
        { name: 'default', emailConfigs: [{ to: 'ops@example.com', authUsername: 'ops' }] },
      ],
    });
    expect(am.options.inputs?.map((v) => v.name)).toEqual(['alertmanager01_smtp_password']);
  });
});

describe('the module call', () => {
  const config: AlertmanagerConfig = {
    network,
    route: {
      receiver: 'ops',
      groupBy: ['alertname', 'instance'],
      routes: [
        { matchers: ['severity="critical"'], receiver: 'pager', continue: true },
        { matchers: ['team=~"db|storage"'], receiver: 'mail', repeatInterval: '12h' },
      ],
    },
    receivers: [
      { name: 'ops', webhookConfigs: [{ url: 'http://hooks.example.com/alertmanager' }] },
      {
        name: 'pager',
        slackConfigs: [{ channel: '#pager', title: '{{ .CommonLabels.alertname }}' }],
      },
      { name: 'mail', emailConfigs: [{ to: 'db@example.com', sendResolved: true }] },
    ],
    smtp: {
      smarthost: 'smtp.example.com:587',
      from: 'alertmanager@example.com',
      authUsername: 'am',
    },
    dataRetention: '240h',
    externalUrl: 'https://alerts.example.com',
  };

  it('exposes the alerting target, metrics target and datasource as module outputs', () => {
    const am = alertmanager(config);
    expect(am.service).toBe('alertmanager');
    expect(printExpr(am.alerting.target)).toBe('module.alertmanager01.alerting_target');
    expect(printExpr(am.metrics.target)).toBe('module.alertmanager01.metrics_target');
    expect(am.datasource.type).toBe('alertmanager');
    expect(printExpr(am.datasource.url)).toBe('module.alertmanager01.endpoint');
    expect(alertReceiverSchema.safeParse(am).success).toBe(true);
    expect(metricsSourceSchema.safeParse(am).success).toBe(true);
    expect(datasourceSourceSchema.safeParse(am).success).toBe(true);
  });

  it('renders the typed routes and receivers into alertmanager.yml', () => {
    // The secrets are root variables, known only at apply; give them values so the user-data is complete.
    const call = alertmanager(config);
    const preview = previewModule(call.definition, {
      ...Object.fromEntries(call.args),
      smtp_auth_password: 'an SMTP password',
      slack_api_url: 'https://hooks.slack.com/services/T0/B0/XYZ',
    });
    expect(preview.validationErrors).toEqual([]);
    const yml = parse(preview.files.get('/etc/prometheus/alertmanager.yml')!.content);
    expect(yml).toEqual({
      global: {
        resolve_timeout: '5m',
        smtp_smarthost: 'smtp.example.com:587',
        smtp_from: 'alertmanager@example.com',
        smtp_auth_username: 'am',
      },
      route: {
        receiver: 'ops',
        group_by: ['alertname', 'instance'],
        group_wait: '30s',
        group_interval: '5m',
        repeat_interval: '4h',
        routes: [
          { matchers: ['severity="critical"'], receiver: 'pager', continue: true },
          {
            matchers: ['team=~"db|storage"'],
            receiver: 'mail',
            repeat_interval: '12h',
            continue: false,
          },
        ],
      },
      receivers: [
        {
          name: 'ops',
          webhook_configs: [{ url: 'http://hooks.example.com/alertmanager', send_resolved: true }],
        },
        {
          name: 'pager',
          slack_configs: [
            {
              channel: '#pager',
              title: '{{ .CommonLabels.alertname }}',
              send_resolved: false,
              api_url_file: '/etc/prometheus/alertmanager-secrets/slack_api_url',
            },
          ],
        },
        {
          name: 'mail',
          email_configs: [
            {
              to: 'db@example.com',
              send_resolved: true,
              auth_password_file: '/etc/prometheus/alertmanager-secrets/smtp_auth_password',
            },
          ],
        },
      ],
      inhibit_rules: [
        {
          source_matchers: ['alertname="CriticalMemoryUsage"'],
          target_matchers: ['alertname="HighMemoryUsage"'],
          equal: ['environment', 'instance', 'name'],
        },
        {
          source_matchers: ['alertname="DiskSpaceCritical"'],
          target_matchers: ['alertname="DiskSpaceWarning"'],
          equal: ['environment', 'instance', 'name', 'mountpoint'],
        },
      ],
    });
    expect(preview.files.get('/etc/default/prometheus-alertmanager')?.content).toBe(
      'ARGS="--config.file=/etc/prometheus/alertmanager.yml --storage.path=/var/lib/alertmanager --data.retention=240h --web.listen-address=:9093 --web.external-url=https://alerts.example.com --cluster.listen-address="\n',
    );
  });
});
