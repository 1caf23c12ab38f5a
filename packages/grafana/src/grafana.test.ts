import { testNetwork } from '@atlas/testing';
import { renderModules, writeTree } from '@atlas/generator';
import { ref } from '@atlas/hcl';
import { previewModule, previewModuleCall } from '@atlas/preview';
import { checkCloudInit, hasChecker, verifyTree } from '@atlas/verify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { grafana, grafanaConfigSchema, grafanaModule } from './index.js';

const network = testNetwork();
const source = (name: string, type: 'prometheus' | 'loki') => ({
  name,
  datasource: { type, url: ref(`module.${name}.endpoint`) },
});
const domain = 'grafana.example.com';

describe('grafana', () => {
  it('defaults to the seeds: 2 CPU, 1GB, 10GB at /var/lib/grafana, daily snapshots kept 7d', () => {
    const c = grafanaConfigSchema.parse({ network, domain });
    expect(c).toMatchObject({ name: 'grafana01', cpu: 2, memory: '1GB', adminUser: 'admin' });
    expect(c.data).toMatchObject({ size: '10GB', snapshots: { schedule: '@daily', expiry: '7d' } });
  });

  it("installs the pinned release from Grafana's apt repository, or the one the estate moves it to", () => {
    const runcmd = (config: Parameters<typeof grafana>[0]) =>
      (parse(previewModuleCall(grafana(config)).cloudInit!) as { runcmd: string[] }).runcmd;
    const install = /apt-get install .* grafana=(\S+)$/;
    expect(runcmd({ network, domain }).find((c) => install.test(c))).toMatch(/ grafana=12\.2\.1$/);
    const moved = runcmd({ network, domain, packageVersions: { grafana: '12.3.0' } });
    expect(moved.find((c) => install.test(c))).toMatch(/ grafana=12\.3\.0$/);
    expect(() => grafana({ network, domain, packageVersions: { grafana: 'latest' } })).toThrow(
      /packageVersions\.grafana: expected an exact Debian package version/,
    );
  });

  it('wires datasources from typed instances to their module outputs', () => {
    const g = grafana({
      network,
      domain,
      datasources: [
        { source: source('prometheus01', 'prometheus'), isDefault: true },
        { source: source('loki01', 'loki') },
      ],
    });
    const datasources = g.args.get('datasources')!;
    expect(JSON.stringify(datasources)).toContain('prometheus01');
    // The urls are other modules' outputs, so the provisioning file is known only at apply.
    const preview = previewModuleCall(g);
    const file = parse(
      preview.files.get('/etc/grafana/provisioning/datasources/atlas.yaml')!.content,
    );
    expect(file).toEqual({ apiVersion: 1, datasources: '(known after apply)' });
  });

  it("provisions known datasources, leaves out those with no address yet, and marks Alertmanager as Prometheus's", () => {
    const preview = previewModule(grafanaModule, {
      profiles: ['base'],
      domain,
      admin_password: 'a-long-password',
      datasources: [
        {
          name: 'Prometheus',
          type: 'prometheus',
          url: 'http://prometheus01.incus:9090',
          is_default: true,
        },
        { name: 'Alertmanager', type: 'alertmanager', url: 'http://192.168.71.11:9093' },
        { name: 'Not applied yet', type: 'loki', url: null },
      ],
    });
    const file = parse(
      preview.files.get('/etc/grafana/provisioning/datasources/atlas.yaml')!.content,
    );
    expect(file.datasources).toHaveLength(2);
    expect(file.datasources[0]).toMatchObject({
      name: 'Prometheus',
      type: 'prometheus',
      isDefault: true,
      access: 'proxy',
      url: 'http://prometheus01.incus:9090',
    });
    expect(file.datasources[0]).not.toHaveProperty('jsonData');
    expect(file.datasources[1]).toMatchObject({
      type: 'alertmanager',
      jsonData: { implementation: 'prometheus' },
    });
  });

  it('keeps the admin password in a sensitive root variable, not in any file', () => {
    const g = grafana({ network, domain });
    expect(g.adminPassword).toMatchObject({
      name: 'grafana01_admin_password',
      spec: { sensitive: true },
    });
    expect(g.options.inputs).toContain(g.adminPassword);
    const ini = previewModule(grafanaModule, {
      profiles: ['b'],
      domain,
      admin_password: 'correct horse battery',
    }).files.get('/etc/grafana/grafana.ini')!;
    expect(ini.content).toContain('admin_password = $__file{/etc/grafana/admin_password}');
  });

  it.each([
    [{ cpu: 65 }, 'cpu_limit', 65, 'whole number of CPUs'],
    [{ domain: 'Grafana Example' }, 'domain', 'Grafana Example', 'DNS name'],
  ])('rejects %j in zod and in the module', (bad, variable, value, message) => {
    expect(() => grafana({ network, domain, ...bad } as never)).toThrow(new RegExp(message));
    const preview = previewModule(grafanaModule, {
      profiles: ['b'],
      domain,
      admin_password: 'long enough secret',
      [variable]: value,
    });
    expect(preview.validationErrors.join('\n')).toMatch(
      new RegExp(`var\\.${variable}: .*${message}`),
    );
  });

  it('rejects two default datasources and a short admin password', () => {
    expect(() =>
      grafana({
        network,
        domain,
        datasources: [
          { source: source('a', 'prometheus'), isDefault: true },
          { source: source('b', 'loki'), isDefault: true },
        ],
      }),
    ).toThrow(/at most one datasource can be the default/);
    const preview = previewModule(grafanaModule, {
      profiles: ['b'],
      domain,
      admin_password: 'short',
    });
    expect(preview.validationErrors.join('\n')).toMatch(/at least 12 characters/);
  });

  it.skipIf(!hasChecker('cloud-init'))('the user-data passes cloud-init schema', () => {
    const result = checkCloudInit(
      previewModule(grafanaModule, {
        profiles: ['b'],
        domain,
        admin_password: 'long enough secret',
      }).cloudInit!,
    );
    expect(result.stdout + result.stderr).toContain('Valid cloud-config');
  });

  it('renders a valid, tofu-fmt exact module', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-grafana-'));
    try {
      await writeTree(join(dir, 'generated'), renderModules([grafanaModule]));
      expect(await verifyTree(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('grafana datasources, checked in the module too', () => {
  const inputs = { profiles: ['b'], domain, admin_password: 'long enough secret' };
  it.each([
    [
      [{ name: 'x', type: 'influxdb', url: 'http://x' }],
      'must be one of prometheus, loki, alertmanager',
    ],
    [
      [
        { name: 'x', type: 'loki', url: 'http://x' },
        { name: 'x', type: 'prometheus', url: 'http://y' },
      ],
      'names must be unique',
    ],
    [
      [
        { name: 'a', type: 'loki', url: 'http://x', is_default: true },
        { name: 'b', type: 'prometheus', url: 'http://y', is_default: true },
      ],
      'At most one datasource can be the default',
    ],
  ])('%j is rejected', (datasources, message) => {
    const preview = previewModule(grafanaModule, { ...inputs, datasources });
    expect(preview.validationErrors.join('\n')).toMatch(new RegExp(message, 'i'));
  });
});
