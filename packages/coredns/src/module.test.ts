import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderModules, writeTree } from '@atlas/generator';
import { previewModule } from '@atlas/preview';
import {
  checkCloudInit,
  checkContent,
  hasChecker,
  summarizeModule,
  verifyTree,
} from '@atlas/verify';
import { afterAll, describe, expect, it } from 'vitest';
import { COREDNS_DEFAULTS, COREDNS_RELEASE, corednsModule } from './module.js';

/** Inputs with literal addresses, so the zone file is complete and checkable. */
const BASE_INPUTS = {
  profiles: ['container-base', 'production-network'],
  zone: 'accuser.dev',
  incus_dns_server: '10.10.0.1',
  // The apex TXT record makes this a complete zone; the Corefile tests also try split horizon.
  complete_zone: true,
  records: [
    { name: 'grafana', type: 'A', value: '10.20.0.5' },
    { name: 'mqtt', type: 'A', value: '10.10.0.7', ttl: 60 },
    { name: 'mqtt', type: 'AAAA', value: 'fd00:10:10::7' },
    { name: 'dashboards', type: 'CNAME', value: 'grafana' },
    { name: 'status', type: 'CNAME', value: 'grafana01.incus.' },
    { name: '@', type: 'TXT', value: 'v=spf1 -all "quoted" \\ backslash' },
    { name: '_acme-challenge', type: 'TXT', value: 'token' },
    { name: '*.apps', type: 'A', value: '10.10.0.8' },
  ],
};

const preview = (inputs: Record<string, unknown> = {}) =>
  previewModule(corednsModule, { ...BASE_INPUTS, ...inputs });

const fileOf = (inputs: Record<string, unknown>, path: string): string => {
  const p = preview(inputs);
  expect(p.validationErrors).toEqual([]);
  const file = p.files.get(path);
  if (!file) throw new Error(`cloud-init writes no ${path}`);
  return file.content;
};

/** Server blocks of a Corefile: `zone:port` → the plugin lines inside its braces. */
function serverBlocks(corefile: string): Map<string, string[]> {
  const blocks = new Map<string, string[]>();
  for (const match of corefile.matchAll(/^(\S+) \{\n((?:    .*\n)*)\}\n/gm))
    blocks.set(match[1]!, match[2]!.trim().split(/\n\s*/));
  return blocks;
}

describe('defaults', () => {
  const dflt = (name: string) =>
    (corednsModule.variables as Record<string, { default?: unknown }>)[name]?.default;

  it('sizes the instance as the seeds do: coredns01, 1 CPU, 128MB, 1GB root disk', () => {
    expect(COREDNS_DEFAULTS).toEqual({
      instanceName: 'coredns01',
      profileName: 'coredns',
      cpu: 1,
      memory: '128MB',
      rootDiskSize: '1GB',
    });
  });

  it('is stateless: no data volume or snapshot variables', () => {
    expect(Object.keys(corednsModule.variables)).not.toContain('enable_data_persistence');
    expect(Object.keys(corednsModule.variables)).not.toContain('snapshot_schedule');
  });

  it('installs the pinned release', () => {
    expect(dflt('coredns_version')).toBe(COREDNS_RELEASE.version);
    expect(dflt('coredns_sha256')).toBe(COREDNS_RELEASE.sha256);
  });

  it('gives the endpoints as the seeds name them', () => {
    expect(preview().outputs).toMatchObject({
      dns_address: 'coredns01.incus:53',
      health_url: 'http://coredns01.incus:8080/health',
      metrics_target: 'coredns01.incus:9153',
    });
  });
});

describe('validation blocks', () => {
  const record = (r: Record<string, unknown>) => ({ records: [r] });

  it('accept the sample inputs, and null for the Incus resolver', () => {
    expect(preview().validationErrors).toEqual([]);
    expect(preview({ incus_dns_server: null }).validationErrors).toEqual([]);
  });

  it.each([
    ['zone', { zone: 'Accuser.dev' }, 'Must be a lower-case domain of at least two labels'],
    ['zone', { zone: 'dev' }, 'Must be a lower-case domain of at least two labels'],
    ['zone', { zone: 'accuser.dev.' }, 'without the trailing dot'],
    ['records', record({ name: 'mail', type: 'MX', value: 'x' }), 'must be A, AAAA, CNAME or TXT'],
    ['records', record({ name: 'Grafana', type: 'A', value: '10.0.0.1' }), 'Each record "name"'],
    ['records', record({ name: 'a b', type: 'A', value: '10.0.0.1' }), 'Each record "name"'],
    ['records', record({ name: 'x', type: 'A', value: '10.0.0.300' }), 'an IPv4 address for A'],
    ['records', record({ name: 'x', type: 'AAAA', value: '10.0.0.1' }), 'IPv6 address for AAAA'],
    ['records', record({ name: 'x', type: 'CNAME', value: 'not valid!' }), 'domain name for CNAME'],
    ['records', record({ name: 'x', type: 'TXT', value: 'a'.repeat(256) }), 'printable ASCII'],
    ['records', record({ name: 'x', type: 'TXT', value: 'two\nlines' }), 'printable ASCII'],
    ['records', record({ name: 'x', type: 'A', value: '10.0.0.1', ttl: -1 }), 'Each record "ttl"'],
    ['records', record({ name: 'x', type: 'A', value: '10.0.0.1', ttl: 1.5 }), 'Each record "ttl"'],
    ['records', record({ name: '@', type: 'CNAME', value: 'grafana' }), 'A CNAME record must be'],
    [
      'records',
      {
        records: [
          { name: 'www', type: 'A', value: '10.0.0.1' },
          { name: 'www', type: 'CNAME', value: 'grafana' },
        ],
      },
      'A CNAME record must be the only record of its name',
    ],
    ['incus_dns_server', { incus_dns_server: '10.10.0' }, 'Must be an IPv4 address'],
    ['upstream_servers', { upstream_servers: [] }, 'from 1 to 15 upstream resolvers'],
    ['upstream_servers', { upstream_servers: ['dns.google'] }, 'must be an IPv4 address'],
    ['health_port', { health_port: 0 }, 'Must be a port number'],
    ['metrics_port', { metrics_port: 70000 }, 'Must be a port number'],
    ['default_ttl', { default_ttl: -5 }, 'Must be whole seconds'],
    ['soa', { soa: { mname: 'NS1!' } }, 'SOA "mname" and "rname"'],
    ['soa', { soa: { rname: 'hostmaster' } }, 'names of at least two labels'],
    ['soa', { soa: { refresh: 0 } }, 'SOA "refresh", "retry", "expire" and "minimum"'],
    ['coredns_version', { coredns_version: 'v1.11' }, 'release version'],
    ['coredns_sha256', { coredns_sha256: 'ABC' }, '64 lower-case hexadecimal digits'],
  ])('reject a bad %s (%j)', (name, inputs, message) => {
    const errors = preview(inputs).validationErrors;
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`var.${name}: `);
    expect(errors[0]).toContain(message);
  });
});

describe('the zone file', () => {
  const zoneFile = (inputs: Record<string, unknown> = {}) => fileOf(inputs, '/etc/coredns/zone.db');

  it('has the SOA and NS records, then one line per record with its TTL', () => {
    const lines = zoneFile().split('\n');
    expect(lines.slice(1, 5)).toEqual([
      '$ORIGIN accuser.dev.',
      '$TTL 300',
      expect.stringMatching(
        /^@ IN SOA coredns01\.incus\. hostmaster\.accuser\.dev\. \d+ 3600 600 604800 300$/,
      ),
      '@ IN NS coredns01.incus.',
    ]);
    expect(lines).toContain('grafana 300 IN A 10.20.0.5');
    expect(lines).toContain('mqtt 60 IN A 10.10.0.7');
    expect(lines).toContain('status 300 IN CNAME grafana01.incus.');
    expect(lines).toContain('@ 300 IN TXT "v=spf1 -all \\"quoted\\" \\\\ backslash"');
  });

  it('has a serial below 2^32 that stays put for the same records and changes with them', () => {
    const serial = (inputs: Record<string, unknown> = {}) =>
      preview(inputs).outputs.zone_serial as number;
    const first = serial();
    expect(Number.isInteger(first)).toBe(true);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(2 ** 32);
    expect(serial()).toBe(first);
    expect(serial({ records: BASE_INPUTS.records.slice(1) })).not.toBe(first);
    expect(serial({ default_ttl: 600 })).not.toBe(first);
    expect(zoneFile()).toContain(` ${first} 3600 600 604800 300\n`);
  });

  it.skipIf(!hasChecker('named-checkzone'))('is accepted by named-checkzone', () => {
    for (const inputs of [{}, { records: [] }, { soa: { mname: 'ns1.example.net' } }]) {
      const result = checkContent('named-checkzone', zoneFile(inputs), (f) => ['accuser.dev', f]);
      expect(result.stderr + result.stdout).toMatch(/OK/);
      expect(result.status).toBe(0);
    }
  });
});

describe('the Corefile', () => {
  const corefile = (inputs: Record<string, unknown> = {}) =>
    serverBlocks(fileOf(inputs, '/etc/coredns/Corefile'));

  it('serves a complete zone from its file, .incus from Incus and the rest from the upstreams', () => {
    const blocks = corefile();
    expect([...blocks.keys()]).toEqual(['accuser.dev:53', 'incus:53', '.:53']);
    expect(blocks.get('accuser.dev:53')).toEqual([
      'file /etc/coredns/zone.db accuser.dev',
      'prometheus :9153',
      'errors',
      'log',
    ]);
    expect(blocks.get('incus:53')).toEqual([
      'forward . 10.10.0.1',
      'cache 30',
      'prometheus :9153',
      'errors',
      'log',
    ]);
    expect(blocks.get('.:53')).toEqual([
      'forward . 1.1.1.1 8.8.8.8',
      'cache 300',
      'health :8080',
      'prometheus :9153',
      'errors',
      'log',
    ]);
  });

  it('in split horizon (the default) answers only the names it has, so the rest of the zone falls through upstream', () => {
    const split = BASE_INPUTS.records.filter((r) => r.name !== '@');
    const text = fileOf({ complete_zone: false, records: split }, '/etc/coredns/Corefile');
    const names = [
      'grafana.accuser.dev:53',
      'mqtt.accuser.dev:53',
      'dashboards.accuser.dev:53',
      'status.accuser.dev:53',
      '_acme-challenge.accuser.dev:53',
      'apps.accuser.dev:53',
    ];
    // One server block for all of them (CoreDNS picks the longest matching name), none for the zone.
    expect(text.split('\n')[0]).toBe(`${names.join(' ')} {`);
    expect(text).not.toMatch(/^accuser\.dev:53/m);
    const blocks = [...serverBlocks(text.replace(/^.* \{$/m, 'names {')).entries()];
    expect(blocks[0]).toEqual([
      'names',
      ['file /etc/coredns/zone.db accuser.dev', 'prometheus :9153', 'errors', 'log'],
    ]);
    expect(blocks.map(([key]) => key).slice(1)).toEqual(['incus:53', '.:53']);
    // With no records there is nothing to answer from the file: every name goes upstream.
    expect([...corefile({ complete_zone: false, records: [] }).keys()]).toEqual([
      'incus:53',
      '.:53',
    ]);
  });

  it('refuses apex and catch-all records in split horizon: they would take the whole zone', () => {
    for (const name of ['@', '*']) {
      const p = preview({
        complete_zone: false,
        records: [{ name, type: 'TXT', value: 'v=spf1 -all' }],
      });
      expect(p.validationErrors.join('\n')).toMatch(/need complete_zone = true/);
    }
  });

  it('uses the configured ports and upstreams, and drops .incus without a resolver', () => {
    const blocks = corefile({
      incus_dns_server: null,
      health_port: 8181,
      metrics_port: 9253,
      upstream_servers: ['9.9.9.9'],
    });
    expect([...blocks.keys()]).toEqual(['accuser.dev:53', '.:53']);
    expect(blocks.get('.:53')).toEqual(
      expect.arrayContaining(['forward . 9.9.9.9', 'health :8181', 'prometheus :9253']),
    );
    expect(blocks.get('accuser.dev:53')).toContain('prometheus :9253');
  });
});

describe('first boot', () => {
  it('installs the pinned release only after checking its SHA-256, then starts the unit', () => {
    const p = preview();
    const script = p.files.get('/usr/local/sbin/install-coredns')!;
    expect(script.permissions).toBe('0755');
    expect(script.content).toContain(`sha256=${COREDNS_RELEASE.sha256}\n`);
    const lines = script.content.split('\n');
    const check = lines.findIndex((l) => l.includes('sha256sum -c'));
    expect(check).toBeGreaterThan(lines.findIndex((l) => l.startsWith('curl ')));
    expect(check).toBeLessThan(lines.findIndex((l) => l.startsWith('tar ')));
    expect(script.content).toMatch(/^set -eu$/m);
    const unit = p.files.get('/etc/systemd/system/coredns.service')!.content;
    expect(unit).toContain('ExecStart=/usr/local/bin/coredns -conf /etc/coredns/Corefile\n');
    expect(unit).toContain('AmbientCapabilities=CAP_NET_BIND_SERVICE\n');
    expect(p.cloudInit).toMatch(
      /runcmd:\n {2}- \/usr\/local\/sbin\/install-coredns\n {2}- systemctl daemon-reload\n {2}- systemctl enable coredns\n {2}- systemctl restart coredns\n/,
    );
  });

  it.skipIf(!hasChecker('shellcheck'))('has an install script shellcheck accepts', () => {
    const script = fileOf({}, '/usr/local/sbin/install-coredns');
    const result = checkContent('shellcheck', script, (f) => [f]);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(!hasChecker('cloud-init'))('has user-data cloud-init schema accepts', () => {
    for (const inputs of [{}, { incus_dns_server: null, records: [] }]) {
      const userData = preview(inputs).cloudInit!;
      const result = checkCloudInit(userData);
      expect(result.stderr).not.toMatch(/error/i);
      expect(result.status).toBe(0);
    }
  });
});

describe('the generated module', () => {
  const root = mkdtempSync(join(tmpdir(), 'atlas-coredns-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('passes verifyTree and declares what the package documents', async () => {
    await writeTree(join(root, 'generated'), renderModules([corednsModule]));
    expect(await verifyTree(root)).toEqual([]);
    const summary = await summarizeModule(join(root, 'generated/modules/coredns'));
    expect(summary.variables.zone).toEqual({ required: true, sensitive: false });
    expect(summary.variables.incus_dns_server).toEqual({ required: true, sensitive: false });
    expect(summary.variables.records).toEqual({ required: false, sensitive: false });
    expect(summary.resources).toEqual([
      'incus_instance.this',
      'incus_network_forward.this',
      'incus_profile.service',
    ]);
    expect(summary.outputs).toEqual([
      'ansible_vars',
      'dns_address',
      'health_url',
      'instance_name',
      'ipv4_address',
      'metrics_target',
      'profile_name',
      'zone_serial',
    ]);
  });

  it('publishes port 53 over UDP and TCP only through the proxy devices it is given', () => {
    const devices = (inputs: Record<string, unknown>) =>
      (
        preview(inputs).resources['incus_profile.service']!.device as Array<{ type: string }>
      ).filter((d) => d.type === 'proxy');
    expect(devices({})).toEqual([]);
    const proxy = {
      'dns-tcp': { listen: 'tcp:0.0.0.0:53', connect: 'tcp:127.0.0.1:53' },
      'dns-udp': { listen: 'udp:0.0.0.0:53', connect: 'udp:127.0.0.1:53' },
    };
    expect(devices({ proxy_devices: proxy })).toEqual([
      { name: 'dns-tcp', type: 'proxy', properties: proxy['dns-tcp'] },
      { name: 'dns-udp', type: 'proxy', properties: proxy['dns-udp'] },
    ]);
  });
});
