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
import {
  ALLOY_DEFAULTS,
  ENVIRONMENT_FILE,
  alloy,
  alloyConfigSchema,
  alloyModule,
} from './index.js';

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
    alloy(config as never);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('the builder accepted the config');
};

describe('defaults', () => {
  it("take Promtail's slot on cluster01, with room for Alloy's larger binary", () => {
    expect(ALLOY_DEFAULTS).toEqual({
      instanceName: 'alloy01',
      profileName: 'alloy',
      cpu: 1,
      memory: '512MB',
      rootDiskSize: '2GB',
    });
  });

  it('are the same in the zod schema and in the module variables', () => {
    const c = alloyConfigSchema.parse({ network, loki });
    expect(c).toMatchObject({
      name: 'alloy01',
      cpu: 1,
      memory: '512MB',
      rootDiskSize: '2GB',
      labels: {},
      services: [],
      journalMaxAge: '12h',
      logFiles: ['/var/log/*.log'],
      httpPort: 12345,
    });
    expect(c.data).toBeUndefined();
    const v = previewModule(alloyModule, moduleInputs).variables;
    expect(v).toMatchObject({
      instance_name: 'alloy01',
      cpu_limit: 1,
      memory_limit: '512MB',
      root_disk_size: '2GB',
      labels: {},
      units: [],
      journal_max_age: '12h',
      log_files: ['/var/log/*.log'],
      http_port: 12345,
    });
    expect(Object.keys(alloyModule.variables)).not.toContain('enable_data_persistence');
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
        { path: ['alloy01', ...c.path], message: expect.stringMatching(c.message) },
      ]);
      const errors = previewModule(alloyModule, { ...moduleInputs, ...c.module }).validationErrors;
      expect(errors).toEqual([expect.stringMatching(c.error)]);
    });
  }

  it('takes a Loki instance or an expression, never a URL typed as a string', () => {
    expect(issuesOf({ network, loki: 'http://loki01.incus:3100/loki/api/v1/push' })).toEqual([
      { path: ['alloy01', 'loki'], message: expect.stringMatching(/expected a Loki instance/) },
    ]);
    expect(issuesOf({ network })).toEqual([
      { path: ['alloy01', 'loki'], message: expect.any(String) },
    ]);
  });

  it('checks the push URL when the module is used from HCL', () => {
    for (const bad of ['loki01.incus:3100/loki/api/v1/push', 'ftp://loki01/push', 'http://a b/'])
      expect(
        previewModule(alloyModule, { ...moduleInputs, loki_push_url: bad }).validationErrors,
      ).toEqual([expect.stringMatching(/^var\.loki_push_url: Must be an http:\/\/ or https:\/\//)]);
    expect(
      previewModule(alloyModule, {
        ...moduleInputs,
        loki_push_url: 'https://logs.example.com/push',
      }).validationErrors,
    ).toEqual([]);
  });
});

describe('the builder', () => {
  it("ships to the Loki instance's push URL and offers its own metrics", () => {
    const instance = alloy({ network, loki, labels: { environment: 'cluster01' } });
    expect(instance.service).toBe('alloy');
    expect(printExpr(instance.args.get('loki_push_url')!)).toBe('module.loki01.push_url');
    expect(printExpr(instance.metrics.target)).toBe('module.alloy01.metrics_target');
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
    const instance = alloy({ network, loki: ref('var.iapetus_loki_push_url') });
    expect(printExpr(instance.args.get('loki_push_url')!)).toBe('var.iapetus_loki_push_url');
  });

  it('maps services to units and their service label', () => {
    const preview = previewModuleCall(
      alloy({
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
        httpPort: 12346,
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
      http_port: 12346,
    });
  });
});

describe('the generated module', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atlas-alloy-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('verifies: parses, is tofu-fmt exact, every reference and template variable resolves', async () => {
    const files = renderEstate(
      defineEstate({
        environments: [],
        modules: [alloyModule],
        repository: 'https://example.com/atlas.git',
      }),
    );
    const root = join(dir, 'generated');
    await writeTree(root, files);
    expect(await verifyTree(root)).toEqual([]);
    const summary = await summarizeModule(join(root, 'modules/alloy'));
    expect(summary.variables.loki_push_url).toEqual({ required: true, sensitive: false });
    expect(summary.variables.labels?.required).toBe(false);
    expect(summary.outputs).toEqual(
      expect.arrayContaining(['endpoint', 'metrics_target', 'loki_target', 'instance_name']),
    );
    expect(summary.resources).toEqual(['incus_instance.this', 'incus_profile.service']);
    expect(files.get('modules/alloy/README.md')).toContain('loki_push_url');
  });

  it('has outputs built from the instance name and the push URL', () => {
    const preview = previewModule(alloyModule, moduleInputs);
    expect(preview.outputs).toMatchObject({
      endpoint: 'http://alloy01.incus:12345',
      metrics_target: 'alloy01.incus:12345',
      loki_target: 'http://loki01.incus:3100/loki/api/v1/push',
    });
  });

  it('publishes no host ports in any network mode: Prometheus scrapes it on its network', () => {
    for (const mode of ['bridge', 'physical', 'ovn'] as const) {
      const preview = previewModuleCall(alloy({ network: attach(mode), loki }));
      const profile = preview.resources['incus_profile.service'];
      expect((profile?.device as Array<{ name: string }>).map((d) => d.name)).toEqual(['root']);
      expect(profile?.config).toMatchObject({
        'limits.cpu': '1',
        'limits.memory': '512MB',
        'limits.memory.enforce': 'hard',
      });
    }
  });
});

describe('first boot', () => {
  const preview = previewModule(alloyModule, { ...moduleInputs, http_port: 12346 });

  it("installs Alloy from Grafana's apt repository and starts it", () => {
    const userData = parse(preview.cloudInit!);
    expect(userData.runcmd).toEqual(
      expect.arrayContaining([
        expect.stringContaining('https://apt.grafana.com stable main'),
        expect.stringMatching(/apt-get install .* alloy$/),
        'systemctl enable alloy',
        'systemctl restart alloy',
      ]),
    );
  });

  it(`sets the listen address in ${ENVIRONMENT_FILE}`, () => {
    expect(preview.files.get(ENVIRONMENT_FILE)?.content).toBe(
      [
        'CONFIG_FILE="/etc/alloy/config.alloy"',
        'CUSTOM_ARGS="--server.http.listen-addr=0.0.0.0:12346 --disable-reporting"',
        'RESTART_ON_UPGRADE=true',
        '',
      ].join('\n'),
    );
  });

  it.skipIf(!hasChecker('shellcheck'))(
    `writes a ${ENVIRONMENT_FILE} the package's scripts can source`,
    () => {
      // Variables are read by the sourcing script and systemd, so "unused" (SC2034) does not apply.
      const result = runChecker('shellcheck', ['--shell=sh', '--exclude=SC2034', '-'], {
        input: preview.files.get(ENVIRONMENT_FILE)!.content,
      });
      expect(result.stdout + result.stderr).toBe('');
      expect(result.status).toBe(0);
    },
  );

  it.skipIf(!hasChecker('cloud-init'))('writes user-data that cloud-init accepts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-alloy-cloud-init-'));
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
