import { defineEnvironment, type NetworkAttachment } from '@atlas/core';
import { defineEstate, renderEstate, writeTree } from '@atlas/generator';
import { str } from '@atlas/hcl';
import { previewModule } from '@atlas/preview';
import { hasChecker, runChecker, summarizeModule, verifyTree } from '@atlas/verify';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  SLACK_API_URL_FILE,
  SMTP_PASSWORD_FILE,
  alertmanager,
  alertmanagerModule,
} from './index.js';

const PROFILES = ['base', 'management'];
const SLACK_URL = 'https://hooks.slack.com/services/T000/B000/XXXX';
const PASSWORD = 'correct "horse" battery\\staple';

/** Every kind of receiver, child routes and both secrets: the module's widest output. */
const full = {
  profiles: PROFILES,
  route: {
    receiver: 'ops',
    group_by: ['alertname', 'instance'],
    routes: [
      { matchers: ['severity="critical"'], receiver: 'pager', continue: true },
      { matchers: ['team=~"db|storage"', 'env!="dev"'], receiver: 'mail', group_wait: '1m' },
    ],
  },
  receivers: [
    { name: 'ops', webhook_configs: [{ url: 'http://hooks.example.com/alertmanager' }] },
    {
      name: 'pager',
      slack_configs: [
        { channel: '#pager', text: '{{ range .Alerts }}{{ .Annotations.summary }}{{ end }}' },
      ],
    },
    {
      name: 'mail',
      email_configs: [
        { to: 'db@example.com' },
        { to: 'storage@example.com', from: 'storage-alerts@example.com', require_tls: false },
      ],
    },
    { name: 'blackhole' },
  ],
  smtp: {
    smarthost: 'smtp.example.com:587',
    from: 'alertmanager@example.com',
    auth_username: 'am',
  },
  smtp_auth_password: PASSWORD,
  slack_api_url: SLACK_URL,
};

const fileOf = (preview: ReturnType<typeof previewModule>, path: string) => {
  const file = preview.files.get(path);
  if (!file) throw new Error(`no file ${path}; files: ${[...preview.files.keys()].join(', ')}`);
  return file.content;
};

describe('generated module', () => {
  // Profiles as plain names, so the environment needs no base module.
  const network: NetworkAttachment = {
    kind: 'network-attachment',
    role: 'management',
    mode: 'bridge',
    profiles: [str('container-base'), str('management')],
    network: str('management'),
  };
  const alertmanager01 = alertmanager({
    network,
    smtp: { smarthost: 'smtp.example.com:587', from: 'am@example.com', authUsername: 'am' },
    receivers: [
      {
        name: 'default',
        emailConfigs: [{ to: 'ops@example.com' }],
        slackConfigs: [{ channel: '#alerts' }],
      },
    ],
  });
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atlas-alertmanager-'));
    const estate = defineEstate({
      environments: [
        defineEnvironment({
          name: 'alerting',
          description: 'Alertmanager alone.',
          modules: [alertmanager01],
        }),
      ],
      repository: 'https://example.com/atlas.git',
    });
    await writeTree(join(dir, 'generated'), renderEstate(estate));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('passes every check of @atlas/verify, module and environment', async () => {
    expect(await verifyTree(dir)).toEqual([]);
  });

  it('declares the variables, outputs and resources, with the secrets sensitive', async () => {
    const summary = await summarizeModule(join(dir, 'generated/modules/alertmanager'));
    expect(summary.resources).toEqual([
      'incus_instance.this',
      'incus_network_forward.this',
      'incus_profile.service',
      'incus_storage_volume.data',
    ]);
    expect(summary.outputs).toEqual([
      'alerting_target',
      'ansible_vars',
      'data_volume_name',
      'endpoint',
      'instance_name',
      'ipv4_address',
      'metrics_target',
      'profile_name',
    ]);
    expect(summary.variables).toMatchObject({
      profiles: { required: true, sensitive: false },
      route: { required: false, sensitive: false },
      receivers: { required: false, sensitive: false },
      inhibit_rules: { required: false, sensitive: false },
      smtp: { required: false, sensitive: false },
      resolve_timeout: { required: false, sensitive: false },
      data_retention: { required: false, sensitive: false },
      external_url: { required: false, sensitive: false },
      smtp_auth_password: { required: false, sensitive: true },
      slack_api_url: { required: false, sensitive: true },
    });
    const readme = await readFile(join(dir, 'generated/modules/alertmanager/README.md'), 'utf8');
    expect(readme).toContain('[inhibit\\_rules](#input\\_inhibit\\_rules)');
    expect(readme).toContain('[alerting\\_target](#output\\_alerting\\_target)');
  });

  it('makes the environment ask for the secrets as required sensitive variables', async () => {
    const env = await summarizeModule(join(dir, 'generated/environments/alerting'));
    expect(env.variables).toEqual({
      alertmanager01_smtp_password: { required: true, sensitive: true },
      alertmanager01_slack_api_url: { required: true, sensitive: true },
    });
    expect(env.modules['alertmanager01']?.args).toContain('slack_api_url');
  });
});

describe('resources and files', () => {
  it('gives the profile a root disk and the data volume, and publishes no ports until a link needs it', () => {
    const preview = previewModule(alertmanagerModule, {
      profiles: PROFILES,
      enable_snapshots: true,
    });
    const profile = preview.resources['incus_profile.service']!;
    expect(profile.config).toEqual({
      'limits.cpu': '1',
      'limits.memory': '256MB',
      'limits.memory.enforce': 'hard',
    });
    expect(profile.device).toEqual([
      { name: 'root', type: 'disk', properties: { path: '/', pool: 'local', size: '1GB' } },
      {
        name: 'data',
        type: 'disk',
        properties: { source: 'alertmanager01-data', pool: 'local', path: '/var/lib/alertmanager' },
      },
    ]);
    expect(preview.resources['incus_storage_volume.data[0]']?.config).toEqual({
      size: '1GB',
      'snapshots.schedule': '@daily',
      'snapshots.expiry': '7d',
      'snapshots.pattern': "auto-{{ creation_date|date:'2006-01-02_15-04-05' }}",
    });
    expect(preview.resources['incus_instance.this']?.profiles).toEqual([
      ...PROFILES,
      'alertmanager',
    ]);
    expect(alertmanagerModule.variables.proxy_devices).toMatchObject({ default: {} });
    expect(alertmanagerModule.variables.network_forward).toMatchObject({ default: null });
  });

  it('pins the Debian 13 package and hands the data folder to the daemon before every start, volume or not', () => {
    const preview = previewModule(alertmanagerModule, {
      profiles: PROFILES,
      enable_data_persistence: false,
    });
    expect(preview.resources['incus_profile.service']?.device).toHaveLength(1);
    expect(preview.resources).not.toHaveProperty('incus_storage_volume.data[0]');
    const userData = parse(preview.cloudInit!) as {
      packages: string[];
      write_files: Array<{ path: string; content: string; defer?: boolean }>;
      runcmd: string[];
    };
    expect(userData.packages).toEqual(['prometheus-alertmanager=0.28.1+ds-1']);
    // Written before the install (not deferred): Debian's postinst starts the unit at once.
    const dropIn = userData.write_files.find(
      (f) =>
        f.path === '/etc/systemd/system/prometheus-alertmanager.service.d/atlas-data-owner.conf',
    );
    expect(dropIn?.defer).toBeUndefined();
    expect(dropIn?.content).toContain('RequiresMountsFor=/var/lib/alertmanager\n');
    expect(dropIn?.content).toContain(
      'ExecStartPre=+/usr/bin/install -d -o prometheus -g prometheus /var/lib/alertmanager\n',
    );
    expect(dropIn?.content).toContain(
      'ExecStartPre=+/usr/bin/chown -R prometheus:prometheus /var/lib/alertmanager\n',
    );
    expect(userData.runcmd).toEqual([
      'systemctl enable prometheus-alertmanager',
      'systemctl restart prometheus-alertmanager',
    ]);
  });

  it('routes to a null receiver and lets each standard critical alert mute its warning by default', () => {
    const preview = previewModule(alertmanagerModule, { profiles: PROFILES });
    expect(parse(fileOf(preview, '/etc/prometheus/alertmanager.yml'))).toEqual({
      global: { resolve_timeout: '5m' },
      route: {
        receiver: 'default',
        group_by: ['alertname'],
        group_wait: '30s',
        group_interval: '5m',
        repeat_interval: '4h',
        routes: [],
      },
      receivers: [{ name: 'default' }],
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
    expect([...preview.files.keys()]).toEqual([
      '/etc/systemd/system/prometheus-alertmanager.service.d/atlas-data-owner.conf',
      '/etc/prometheus/alertmanager.yml',
      '/etc/default/prometheus-alertmanager',
    ]);
  });

  it('keeps secrets out of alertmanager.yml and writes them to files only root and the daemon read', () => {
    const preview = previewModule(alertmanagerModule, full);
    expect(preview.validationErrors).toEqual([]);
    const yml = fileOf(preview, '/etc/prometheus/alertmanager.yml');
    expect(yml).not.toContain(SLACK_URL);
    expect(yml).not.toContain('battery');
    const config = parse(yml);
    expect(config.receivers[1].slack_configs[0].api_url_file).toBe(SLACK_API_URL_FILE);
    // Both email configs log in: the username comes from var.smtp.
    expect(
      config.receivers[2].email_configs.map(
        (c: { auth_password_file: string }) => c.auth_password_file,
      ),
    ).toEqual([SMTP_PASSWORD_FILE, SMTP_PASSWORD_FILE]);
    expect(config.receivers[3]).toEqual({ name: 'blackhole' });

    const written = parse(preview.cloudInit!).write_files as Array<Record<string, unknown>>;
    const secretFiles = written.filter(
      (f) => f.path === SMTP_PASSWORD_FILE || f.path === SLACK_API_URL_FILE,
    );
    expect(secretFiles).toEqual([
      {
        path: SMTP_PASSWORD_FILE,
        owner: 'root:prometheus',
        permissions: '0640',
        defer: true,
        content: PASSWORD,
      },
      {
        path: SLACK_API_URL_FILE,
        owner: 'root:prometheus',
        permissions: '0640',
        defer: true,
        content: SLACK_URL,
      },
    ]);
  });
});

describe('real programs accept the rendered files', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atlas-alertmanager-check-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  /** alertmanager.yml with the secret files it names written to the temp folder and pointed at there. */
  async function writeConfig(name: string, inputs: Record<string, unknown>): Promise<string> {
    const preview = previewModule(alertmanagerModule, inputs);
    expect(preview.validationErrors).toEqual([]);
    let yml = fileOf(preview, '/etc/prometheus/alertmanager.yml');
    for (const secret of [SMTP_PASSWORD_FILE, SLACK_API_URL_FILE]) {
      const local = join(dir, `${name}-${secret.split('/').pop()}`);
      await writeFile(local, preview.files.get(secret)?.content ?? '');
      yml = yml.replaceAll(secret, local);
    }
    const path = join(dir, `${name}.yml`);
    await writeFile(path, yml);
    return path;
  }

  it.skipIf(!hasChecker('amtool'))('amtool check-config accepts alertmanager.yml', async () => {
    for (const [name, inputs] of Object.entries({ defaults: { profiles: PROFILES }, full })) {
      const result = runChecker('amtool', ['check-config', await writeConfig(name, inputs)]);
      expect(result.stderr + result.stdout).toContain('SUCCESS');
      expect(result.status).toBe(0);
    }
  });

  it.skipIf(!hasChecker('amtool'))(
    'amtool rejects a route to a receiver that does not exist (why the builder checks it)',
    async () => {
      const path = await writeConfig('undefined-receiver', {
        profiles: PROFILES,
        route: { receiver: 'nobody' },
      });
      const result = runChecker('amtool', ['check-config', path]);
      expect(result.status).not.toBe(0);
      expect(result.stderr + result.stdout).toContain('undefined receiver "nobody"');
    },
  );

  it.skipIf(!hasChecker('cloud-init'))('cloud-init schema accepts the user-data', async () => {
    for (const [name, inputs] of Object.entries({ defaults: { profiles: PROFILES }, full })) {
      const path = join(dir, `${name}.user-data`);
      await writeFile(path, previewModule(alertmanagerModule, inputs).cloudInit!);
      const result = runChecker('cloud-init', ['schema', '--config-file', path]);
      expect(result.stderr + result.stdout).toContain('Valid cloud-config');
      expect(result.status).toBe(0);
    }
  });
});
