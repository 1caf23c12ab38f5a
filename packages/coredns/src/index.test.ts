import {
  ConfigError,
  T,
  defineModule,
  defineSite,
  output,
  type NetworkAttachment,
  type NetworkMode,
} from '@atlas/core';
import { get, printExpr, ref, str } from '@atlas/hcl';
import { previewModuleCall } from '@atlas/preview';
import { checkContent, hasChecker } from '@atlas/verify';
import { describe, expect, it } from 'vitest';
import { corednsConfigSchema, coredns, type CorednsConfig } from './index.js';

const attach = (mode: NetworkMode): NetworkAttachment => ({
  kind: 'network-attachment',
  role: 'production',
  mode,
  profiles: [
    ref('module.base.container_base_profile'),
    get(ref('module.base.network_profiles'), str('production')),
  ],
  network: get(ref('module.base.networks'), str('production')),
});

/** A stand-in for any service module: all the zone needs from it is `ipv4_address`. */
const webModule = defineModule({
  name: 'web',
  package: { name: '@atlas/test-web', version: '0.0.0' },
  description: 'A service with an address.',
  providers: [],
  variables: {},
  build: () => ({
    resources: [],
    outputs: {
      ipv4_address: output({ description: 'Address.', value: str('10.20.0.5'), type: T.string }),
    },
  }),
});
const web01 = webModule.call('web01', {});

const minimal: CorednsConfig = {
  network: attach('bridge'),
  zone: 'accuser.dev',
  incusDns: '10.10.0.1',
  dnsListenAddress: '192.168.1.10',
};

const printedArgs = (config: CorednsConfig) =>
  Object.fromEntries([...coredns(config).args].map(([k, v]) => [k, printExpr(v)]));

/** The `path: message` lines of the ConfigError the builder throws. */
const errorsOf = (config: unknown): string[] => {
  try {
    coredns(config as CorednsConfig);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  return [];
};

describe('coredns()', () => {
  it('fills in the seeded defaults', () => {
    const c = corednsConfigSchema.parse(minimal);
    expect(c).toMatchObject({
      name: 'coredns01',
      profileName: 'coredns',
      cpu: 1,
      memory: '128MB',
      rootDiskSize: '1GB',
      records: [],
      upstreams: ['1.1.1.1', '8.8.8.8'],
      healthPort: 8080,
      metricsPort: 9153,
      dnsHostPort: 53,
      defaultTtl: 300,
      soa: { refresh: 3600, retry: 600, expire: 604800, minimum: 300 },
    });
    expect(c.data).toBeUndefined();
  });

  it('writes only what differs from the module defaults, plus the port 53 proxy devices in bridge mode', () => {
    expect(printedArgs(minimal)).toEqual({
      instance_name: '"coredns01"',
      profiles: '[module.base.container_base_profile, module.base.network_profiles["production"]]',
      cpu_limit: '1',
      memory_limit: '"128MB"',
      zone: '"accuser.dev"',
      incus_dns_server: '"10.10.0.1"',
      proxy_devices: [
        '{',
        '  dns-udp = { listen = "udp:192.168.1.10:53", connect = "udp:127.0.0.1:53" }',
        '  dns-tcp = { listen = "tcp:192.168.1.10:53", connect = "tcp:127.0.0.1:53" }',
        '}',
      ].join('\n'),
    });
  });

  it('renders a record for a service as its ipv4_address output, and takes the resolver as an expression', () => {
    const args = printedArgs({
      ...minimal,
      incusDns: get(ref('module.base.gateways'), str('production')),
      records: [
        { name: 'grafana', target: web01 },
        { name: 'dashboards', type: 'CNAME', value: 'grafana', ttl: 60 },
      ],
    });
    expect(args.incus_dns_server).toBe('module.base.gateways["production"]');
    expect(args.records).toBe(
      [
        '[',
        // One layout per list: the four-field record puts each record's fields on lines of their own.
        '  {',
        '    name  = "grafana"',
        '    type  = "A"',
        '    value = module.web01.ipv4_address',
        '  },',
        '  {',
        '    name  = "dashboards"',
        '    type  = "CNAME"',
        '    value = "grafana"',
        '    ttl   = 60',
        '  },',
        ']',
      ].join('\n'),
    );
  });

  it('passes null when there is no Incus resolver, and changed settings as they are', () => {
    const args = printedArgs({
      ...minimal,
      incusDns: null,
      upstreams: ['9.9.9.9'],
      healthPort: 8181,
      defaultTtl: 600,
      soa: { rname: 'ops.accuser.dev', retry: 900 },
      release: { version: '1.12.0', sha256: 'a'.repeat(64) },
    });
    expect(args).toMatchObject({
      incus_dns_server: 'null',
      upstream_servers: '["9.9.9.9"]',
      health_port: '8181',
      default_ttl: '600',
      soa: '{ rname = "ops.accuser.dev", retry = 900 }',
      coredns_version: '"1.12.0"',
      coredns_sha256: `"${'a'.repeat(64)}"`,
    });
    expect(args).not.toHaveProperty('metrics_port');
  });

  it('offers its metrics to Prometheus', () => {
    const instance = coredns(minimal);
    expect(instance.service).toBe('coredns');
    expect(printExpr(instance.metrics.target)).toBe('module.coredns01.metrics_target');
  });

  describe('publishing DNS', () => {
    const proxies = (config: CorednsConfig) =>
      (
        previewModuleCall(coredns(config)).resources['incus_profile.service']!.device as Array<{
          name: string;
          type: string;
          properties: unknown;
        }>
      ).filter((d) => d.type === 'proxy');

    it('uses proxy devices for UDP and TCP in bridge mode', () => {
      expect(proxies(minimal)).toEqual([
        {
          name: 'dns-tcp',
          type: 'proxy',
          properties: { listen: 'tcp:192.168.1.10:53', connect: 'tcp:127.0.0.1:53' },
        },
        {
          name: 'dns-udp',
          type: 'proxy',
          properties: { listen: 'udp:192.168.1.10:53', connect: 'udp:127.0.0.1:53' },
        },
      ]);
      expect(proxies({ ...minimal, dnsHostPort: 5353 })[1]!.properties).toEqual({
        listen: 'udp:192.168.1.10:5353',
        connect: 'udp:127.0.0.1:53',
      });
    });

    it("publishes on the host's LAN address, never on all its addresses where Incus's DNS listens", () => {
      const { dnsListenAddress: _, ...unplaced } = minimal;
      expect(errorsOf(unplaced)).toEqual([
        "coredns01.dnsListenAddress: expected the host address to publish DNS on (or a site host via targetNode): port 53 on all of the host's addresses collides with Incus's own DNS on its bridges",
      ]);
      const site = defineSite({
        environment: 'cluster01',
        hosts: [
          { name: 'node1', lanAddress: '192.168.71.5' },
          { name: 'node2', lanAddress: '192.168.71.6' },
        ],
      });
      const onSite = { ...unplaced, network: { ...attach('bridge'), site } };
      expect(errorsOf(onSite)).toHaveLength(1);
      const listens = proxies({ ...onSite, targetNode: 'node2' }).map(
        (d) => (d.properties as { listen: string }).listen,
      );
      expect(listens).toEqual(['tcp:192.168.71.6:53', 'udp:192.168.71.6:53']);
    });

    it('uses none on a physical network, where the container answers on its own address', () => {
      expect(proxies({ ...minimal, network: attach('physical'), incusDns: null })).toEqual([]);
    });
  });

  it.skipIf(!hasChecker('named-checkzone'))(
    'renders a zone named-checkzone accepts from literal records',
    () => {
      const preview = previewModuleCall(
        coredns({
          ...minimal,
          records: [
            { name: 'grafana', type: 'A', value: '10.20.0.5' },
            { name: 'www', type: 'CNAME', value: 'grafana' },
          ],
        }),
      );
      expect(preview.validationErrors).toEqual([]);
      const zone = preview.files.get('/etc/coredns/zone.db')!.content;
      const result = checkContent('named-checkzone', zone, (f) => ['accuser.dev', f]);
      expect(result.status).toBe(0);
    },
  );

  describe('rejects', () => {
    it.each<[string, Record<string, unknown>, string]>([
      [
        'a zone with a trailing dot',
        { zone: 'accuser.dev.' },
        'coredns01.zone: expected a lower-case domain',
      ],
      [
        'a one-label zone',
        { zone: 'dev' },
        'coredns01.zone: expected a lower-case domain of at least two labels',
      ],
      [
        'a missing resolver',
        { incusDns: undefined },
        'coredns01.incusDns: expected an IPv4 address such as 10.10.0.1',
      ],
      [
        'a bad resolver',
        { incusDns: '10.10.0.256' },
        'coredns01.incusDns: expected an IPv4 address',
      ],
      [
        'no upstreams',
        { upstreams: [] },
        'coredns01.upstreams: expected at least one upstream resolver',
      ],
      [
        'an upstream name',
        { upstreams: ['dns.google'] },
        'coredns01.upstreams[0]: expected an IPv4 address',
      ],
      [
        'the same port twice',
        { healthPort: 9153 },
        'coredns01.metricsPort: the health and metrics endpoints need different ports',
      ],
      ['a health port of 53', { healthPort: 53 }, 'coredns01.healthPort: port 53 is DNS itself'],
      [
        'a bad SOA mailbox',
        { soa: { rname: 'ops@accuser.dev' } },
        'coredns01.soa.rname: expected a lower-case name of at least two labels',
      ],
      [
        'a zero SOA timer',
        { soa: { expire: 0 } },
        'coredns01.soa.expire: expected whole seconds from 1',
      ],
      [
        'a bad release version',
        { release: { version: 'v1.12', sha256: 'a'.repeat(64) } },
        'coredns01.release.version: expected a release version',
      ],
      [
        'a bad checksum',
        { release: { version: '1.12.0', sha256: 'abc' } },
        'coredns01.release.sha256: expected 64',
      ],
      ['a data volume', { data: { enabled: true } }, 'coredns01.data: this service keeps no data'],
      ['an unknown option', { zones: ['x.dev'] }, 'coredns01.zones: Unrecognized key: "zones"'],
    ])('%s', (_, change, message) => {
      const errors = errorsOf({ ...minimal, ...change });
      expect(errors).toHaveLength(1);
      expect(errors[0]).toContain(message);
    });

    it.each<[string, Record<string, unknown>, string]>([
      [
        'a record name',
        { name: 'Grafana', type: 'A', value: '10.0.0.1' },
        'records[0].name: expected "@" or a lower-case name',
      ],
      [
        'an A value',
        { name: 'x', type: 'A', value: '10.0.0.300' },
        'records[0].value: an A record needs an IPv4 address',
      ],
      [
        'an AAAA value',
        { name: 'x', type: 'AAAA', value: '10.0.0.1' },
        'records[0].value: an AAAA record needs an IPv6 address',
      ],
      [
        'a CNAME value',
        { name: 'x', type: 'CNAME', value: 'bad name' },
        'records[0].value: a CNAME record needs a domain name',
      ],
      [
        'a TXT value',
        { name: 'x', type: 'TXT', value: 'é' },
        'records[0].value: a TXT record needs at most 255 printable ASCII characters',
      ],
      [
        'a type',
        { name: 'x', type: 'MX', value: 'mail' },
        'records[0].type: Invalid option: expected one of "A"|"AAAA"|"CNAME"|"TXT"',
      ],
      [
        'a record with neither type nor target',
        { name: 'x', value: '10.0.0.1' },
        'records[0].type: expected A, AAAA, CNAME or TXT (or a "target")',
      ],
      [
        'a target with a value',
        { name: 'x', target: web01, value: '10.0.0.1' },
        'records[0].value: give either "target" or "value", not both',
      ],
      [
        'a target that is not a service',
        { name: 'x', target: 'web01' },
        'records[0].target: expected a service instance',
      ],
      [
        'a TTL',
        { name: 'x', type: 'A', value: '10.0.0.1', ttl: -1 },
        'records[0].ttl: expected whole seconds from 0',
      ],
      [
        'a CNAME at the apex',
        { name: '@', type: 'CNAME', value: 'grafana' },
        'records[0].name: the zone apex cannot have a CNAME record',
      ],
    ])('%s', (_, rec, message) => {
      const errors = errorsOf({ ...minimal, completeZone: true, records: [rec] });
      expect(errors.find((e) => e.startsWith('coredns01.records[0].'))).toMatch(
        new RegExp(`^coredns01\\.${message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
      );
    });

    it('an apex or catch-all record without completeZone, which would take the whole zone', () => {
      for (const name of ['@', '*'])
        expect(
          errorsOf({ ...minimal, records: [{ name, type: 'TXT', value: 'v=spf1 -all' }] }),
        ).toEqual([
          `coredns01.records[0].name: a "${name}" record takes the whole zone: set completeZone: true (then names without records are NXDOMAIN)`,
        ]);
    });

    it('a CNAME that shares its name with another record', () => {
      expect(
        errorsOf({
          ...minimal,
          records: [
            { name: 'www', target: web01 },
            { name: 'www', type: 'CNAME', value: 'grafana' },
          ],
        }),
      ).toEqual([
        'coredns01.records[1].name: "www" has a CNAME record, which must be the only record of its name',
      ]);
    });
  });
});
