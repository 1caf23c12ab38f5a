import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, type LogSink, type NetworkAttachment } from '@atlas/core';
import { defineEstate, renderEstate, writeTree } from '@atlas/generator';
import { printExpr, ref } from '@atlas/hcl';
import { previewModule, previewModuleCall } from '@atlas/preview';
import { hasChecker, runChecker, summarizeModule, verifyTree } from '@atlas/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROMTAIL_DEFAULTS, promtail, promtailConfigSchema, promtailModule } from './index.js';

const attach = (mode: NetworkAttachment['mode']): NetworkAttachment => ({
  kind: 'network-attachment',
  role: 'management',
  mode,
  profiles: [ref('module.base.container_profile'), ref('module.base.management_profile')],
  network: ref('module.base.networks.management'),
});
const network = attach('bridge');
const loki: LogSink = {
  name: 'loki01',
  logs: { pushUrl: ref('module.loki01.push_url'), baseUrl: ref('module.loki01.endpoint') },
};
const moduleInputs = {
  profiles: ['base', 'management'],
  loki_push_url: 'http://loki01.incus:3100/loki/api/v1/push',
};

const issuesOf = (config: unknown) => {
  try {
    promtail(config as never);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('the builder accepted the config');
};

describe('defaults', () => {
  it("are the operator's guide's promtail01: 1 CPU, 256MB, 1GB root disk, stateless", () => {
    expect(PROMTAIL_DEFAULTS).toEqual({
      instanceName: 'promtail01',
      profileName: 'promtail',
      cpu: 1,
      memory: '256MB',
      rootDiskSize: '1GB',
    });
  });

  it('are the same in the zod schema and in the module variables', () => {
    const c = promtailConfigSchema.parse({ network, loki });
    expect(c).toMatchObject({
      name: 'promtail01',
      cpu: 1,
      memory: '256MB',
      rootDiskSize: '1GB',
      labels: {},
      services: [],
      journalMaxAge: '12h',
      logFiles: ['/var/log/*.log'],
      httpPort: 9080,
    });
    expect(c.data).toBeUndefined();
    const v = previewModule(promtailModule, moduleInputs).variables;
    expect(v).toMatchObject({
      instance_name: 'promtail01',
      cpu_limit: 1,
      memory_limit: '256MB',
      root_disk_size: '1GB',
      labels: {},
      units: [],
      journal_max_age: '12h',
      log_files: ['/var/log/*.log'],
      http_port: 9080,
    });
    expect(Object.keys(promtailModule.variables)).not.toContain('enable_data_persistence');
  });
});

describe('validation', () => {
  // Each rule rejects the same value in the builder (zod) and in the generated validation block.
  const cases: Array<{
    rule: string;
    builder: Record<string, unknown>;
    path: Array<string | number>;
    message: RegExp;
    module: Record<string, unknown>;
    error: RegExp;
  }> = [
    {
      rule: 'label names are Loki label names',
      builder: { labels: { '1env': 'x' } },
      path: ['labels', '1env'],
      message: /label name of letters, digits and underscores/,
      module: { labels: { '1env': 'x' } },
      error: /^var\.labels: Label names must be letters, digits and underscores/,
    },
    {
      rule: 'the shipper owns job, unit, service, level, filename and __ names',
      builder: { labels: { service: 'x' } },
      path: ['labels', 'service'],
      message: /set by the shipper/,
      module: { labels: { __name__: 'x' } },
      error: /^var\.labels: Label names starting with "__" are reserved/,
    },
    {
      rule: 'journal max age is a Go duration',
      builder: { journalMaxAge: '2d' },
      path: ['journalMaxAge'],
      message: /no days/,
      module: { journal_max_age: '2d' },
      error: /^var\.journal_max_age: Must be a duration such as 12h/,
    },
    {
      rule: 'units are systemd unit names',
      builder: { services: ['my app'] },
      path: ['services', 0, 'unit'],
      message: /systemd unit name/,
      module: { units: [{ unit: 'my app.service', service: 'app' }] },
      error: /^var\.units: Each "unit" must be a systemd unit name/,
    },
    {
      rule: 'each unit is listed once',
      builder: { services: ['mosquitto', 'mosquitto.service'] },
      path: ['services', 1, 'unit'],
      message: /listed twice/,
      module: {
        units: [
          { unit: 'a.service', service: 'a' },
          { unit: 'a.service', service: 'b' },
        ],
      },
      error: /^var\.units: Each unit may be listed only once/,
    },
    {
      rule: 'service labels are not empty',
      builder: { services: [{ unit: 'a.service', service: '' }] },
      path: ['services', 0, 'service'],
      message: /non-empty service label/,
      module: { units: [{ unit: 'a.service', service: '' }] },
      error: /^var\.units: Each "service" label must be non-empty/,
    },
    {
      rule: 'log files are absolute',
      builder: { logFiles: ['var/log/*.log'] },
      path: ['logFiles', 0],
      message: /absolute path/,
      module: { log_files: ['var/log/*.log'] },
      error: /^var\.log_files: Each log file must be an absolute path/,
    },
    {
      rule: 'the HTTP port is a port',
      builder: { httpPort: 70000 },
      path: ['httpPort'],
      message: /port number/,
      module: { http_port: 70000 },
      error: /^var\.http_port: Must be a port number/,
    },
    {
      rule: 'memory is a size (C2)',
      builder: { memory: '512 MB' },
      path: ['memory'],
      message: /size such as 512MB/,
      module: { memory_limit: '512 MB' },
      error: /^var\.memory_limit: Must be a size/,
    },
  ];

  for (const c of cases) {
    it(c.rule, () => {
      expect(issuesOf({ network, loki, ...c.builder })).toEqual([
        { path: ['promtail01', ...c.path], message: expect.stringMatching(c.message) },
      ]);
      const errors = previewModule(promtailModule, {
        ...moduleInputs,
        ...c.module,
      }).validationErrors;
      expect(errors).toEqual([expect.stringMatching(c.error)]);
    });
  }

  it('takes a Loki instance or an expression, never a URL typed as a string', () => {
    expect(issuesOf({ network, loki: 'http://loki01.incus:3100/loki/api/v1/push' })).toEqual([
      { path: ['promtail01', 'loki'], message: expect.stringMatching(/expected a Loki instance/) },
    ]);
    expect(issuesOf({ network })).toEqual([
      { path: ['promtail01', 'loki'], message: expect.any(String) },
    ]);
  });

  it('checks the push URL when the module is used from HCL', () => {
    for (const bad of ['loki01.incus:3100/loki/api/v1/push', 'ftp://loki01/push', 'http://a b/'])
      expect(
        previewModule(promtailModule, { ...moduleInputs, loki_push_url: bad }).validationErrors,
      ).toEqual([expect.stringMatching(/^var\.loki_push_url: Must be an http:\/\/ or https:\/\//)]);
    expect(
      previewModule(promtailModule, {
        ...moduleInputs,
        loki_push_url: 'https://logs.example.com/push',
      }).validationErrors,
    ).toEqual([]);
  });
});

describe('the builder', () => {
  it("ships to the Loki instance's push URL and offers its own metrics", () => {
    const instance = promtail({ network, loki, labels: { environment: 'cluster01' } });
    expect(instance.service).toBe('promtail');
    expect(printExpr(instance.args.get('loki_push_url')!)).toBe('module.loki01.push_url');
    expect(printExpr(instance.metrics.target)).toBe('module.promtail01.metrics_target');
    expect([...instance.args.keys()]).toEqual([
      'instance_name',
      'profiles',
      'cpu_limit',
      'memory_limit',
      'loki_push_url',
      'labels',
    ]);
  });

  it('takes an expression for a push URL wired from elsewhere', () => {
    const instance = promtail({ network, loki: ref('var.iapetus_loki_push_url') });
    expect(printExpr(instance.args.get('loki_push_url')!)).toBe('var.iapetus_loki_push_url');
  });

  it('maps services to units and their service label', () => {
    const preview = previewModuleCall(
      promtail({
        network,
        loki,
        services: [
          'mosquitto',
          'coredns.service',
          'logrotate.timer',
          { unit: 'prometheus-node-exporter.service', service: 'node-exporter' },
        ],
        journalMaxAge: '1h',
        logFiles: [],
        httpPort: 9081,
      }),
    );
    expect(preview.validationErrors).toEqual([]);
    expect(preview.variables).toMatchObject({
      units: [
        { unit: 'mosquitto.service', service: 'mosquitto' },
        { unit: 'coredns.service', service: 'coredns' },
        { unit: 'logrotate.timer', service: 'logrotate.timer' },
        { unit: 'prometheus-node-exporter.service', service: 'node-exporter' },
      ],
      journal_max_age: '1h',
      log_files: [],
      http_port: 9081,
    });
  });
});

describe('the generated module', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atlas-promtail-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies: parses, is tofu-fmt exact, every reference and template variable resolves', async () => {
    const files = renderEstate(
      defineEstate({
        environments: [],
        modules: [promtailModule],
        repository: 'https://example.com/atlas.git',
      }),
    );
    const root = join(dir, 'generated');
    await writeTree(root, files);
    expect(await verifyTree(root)).toEqual([]);
    const summary = await summarizeModule(join(root, 'modules/promtail'));
    expect(summary.variables.loki_push_url).toEqual({ required: true, sensitive: false });
    expect(summary.variables.labels?.required).toBe(false);
    expect(summary.outputs).toEqual(
      expect.arrayContaining(['endpoint', 'metrics_target', 'loki_target', 'instance_name']),
    );
    expect(summary.resources).toEqual(['incus_instance.this', 'incus_profile.service']);
    expect(files.get('modules/promtail/README.md')).toContain('loki_push_url');
  });

  it('has outputs built from the instance name and the push URL', () => {
    const preview = previewModule(promtailModule, moduleInputs);
    expect(preview.outputs).toMatchObject({
      endpoint: 'http://promtail01.incus:9080',
      metrics_target: 'promtail01.incus:9080',
      loki_target: 'http://loki01.incus:3100/loki/api/v1/push',
    });
  });

  it('publishes no host ports in any network mode: Prometheus scrapes it on its network', () => {
    for (const mode of ['bridge', 'physical', 'ovn'] as const) {
      const preview = previewModuleCall(promtail({ network: attach(mode), loki }));
      const profile = preview.resources['incus_profile.service'];
      expect((profile?.device as Array<{ name: string }>).map((d) => d.name)).toEqual(['root']);
      expect(profile?.config).toMatchObject({
        'limits.cpu': '1',
        'limits.memory': '256MB',
        'limits.memory.enforce': 'hard',
      });
    }
  });
});

describe('first boot', () => {
  const preview = previewModule(promtailModule, moduleInputs);

  it("installs Promtail from Grafana's apt repository, lets it read logs, and starts it", () => {
    const userData = parse(preview.cloudInit!);
    const runcmd = userData.runcmd as string[];
    expect(runcmd).toEqual(
      expect.arrayContaining([
        expect.stringContaining('https://apt.grafana.com stable main'),
        expect.stringMatching(/apt-get install .* promtail$/),
        'usermod -a -G systemd-journal,adm promtail',
        'install -d -o promtail -m 0750 /var/lib/promtail',
        'systemctl enable promtail',
        'systemctl restart promtail',
      ]),
    );
    // The positions folder exists before the service restarts with it.
    expect(runcmd.indexOf('install -d -o promtail -m 0750 /var/lib/promtail')).toBeLessThan(
      runcmd.indexOf('systemctl restart promtail'),
    );
  });

  it.skipIf(!hasChecker('cloud-init'))('writes user-data that cloud-init accepts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-promtail-cloud-init-'));
    try {
      const file = join(dir, 'user-data.yaml');
      await writeFile(file, preview.cloudInit!);
      const result = runChecker('cloud-init', ['schema', '--config-file', file]);
      expect(result.stderr).toBe('');
      expect(result.status).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
