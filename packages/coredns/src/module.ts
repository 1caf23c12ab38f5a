import {
  T,
  input,
  ipv4Address,
  nullable,
  output,
  packageInfo,
  port,
  variable,
  type Validation,
} from '@atlas/core';
import { incusServiceModule } from '@atlas/incus-service';
import {
  binary,
  call,
  cond,
  forList,
  get,
  heredoc,
  interp,
  literal,
  nil,
  num,
  object,
  ref,
  str,
  toExpr,
  tpl,
  tuple,
  type Expr,
  type TemplatePart,
} from '@atlas/hcl';
import { z } from 'zod';

/** Port CoreDNS answers DNS queries on, over UDP and TCP. */
export const DNS_PORT = 53;
export const HEALTH_PORT = 8080;
export const METRICS_PORT = 9153;

/** The seeds' sizing for CoreDNS: stateless, so no data volume. */
export const COREDNS_DEFAULTS = {
  instanceName: 'coredns01',
  profileName: 'coredns',
  cpu: 1,
  memory: '128MB',
  rootDiskSize: '1GB',
} as const;

/** Forwarders for names outside the zone and `.incus`: Cloudflare and Google. */
export const DEFAULT_UPSTREAMS = ['1.1.1.1', '8.8.8.8'] as const;
/** CoreDNS's forward plugin accepts at most 15 upstreams. */
export const MAX_UPSTREAMS = 15;

export const DEFAULT_TTL = 300;

/** SOA timers in seconds: refresh 1h, retry 10m, expire 1w, negative caching 5m. */
export const SOA_DEFAULTS = { refresh: 3600, retry: 600, expire: 604800, minimum: 300 } as const;

/**
 * Debian (trixie included) ships no CoreDNS package, so the module installs
 * the upstream release tarball, pinned by version and SHA-256.
 */
export const COREDNS_RELEASE = {
  version: '1.11.1',
  sha256: 'f96cdee0934c5c12a28bb0fb080bed688fdd7bfdeae2f64984f02bdec2d65498',
} as const;

export const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'TXT'] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

/** Largest TTL and SOA timer DNS allows (RFC 2181: 2^31 - 1). */
export const MAX_SECONDS = 2147483647;

// Patterns shared by the zod schemas and the HCL validations (RE2 and JavaScript agree on them).
const HOST_LABEL = '[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?';
const LABEL = '[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?';
/** A lower-case domain of at least two labels, without the trailing dot: `accuser.dev`. */
export const ZONE_PATTERN = `^(${HOST_LABEL}\\.)+${HOST_LABEL}$`;
/** An owner name relative to the zone: `@` (the apex), `grafana`, `*.apps`, `_acme-challenge`. */
export const RECORD_NAME_PATTERN = `^(@|\\*|(\\*\\.)?${LABEL}(\\.${LABEL})*)$`;
/** A domain name, relative to the zone unless it ends with a dot. */
export const DOMAIN_NAME_PATTERN = `^(@|${LABEL}(\\.${LABEL})*\\.?)$`;
/** A fully qualified name of at least two labels, trailing dot optional: `ns1.accuser.dev`. */
export const QUALIFIED_NAME_PATTERN = `^(${LABEL}\\.)+${LABEL}\\.?$`;
/** Colon-separated hex groups, `::` compression allowed. */
export const IPV6_PATTERN = '^[0-9a-fA-F]{0,4}(:[0-9a-fA-F]{0,4}){2,7}$';
/** One character-string of a TXT record: printable ASCII, at most 255 characters. */
export const TXT_PATTERN = '^[ -~]{0,255}$';
export const VERSION_PATTERN = '^[0-9]+\\.[0-9]+\\.[0-9]+$';
export const SHA256_PATTERN = '^[0-9a-f]{64}$';

const COREFILE_PATH = '/etc/coredns/Corefile';
const ZONE_FILE_PATH = '/etc/coredns/zone.db';
const INSTALL_SCRIPT_PATH = '/usr/local/sbin/install-coredns';

const matches = (pattern: string, value: Expr): Expr =>
  call('can', [call('regex', [str(pattern), value])]);

const wholeInRange = (value: Expr, min: number, max: number): Expr =>
  binary(
    '&&',
    binary('&&', binary('>=', value, num(min)), binary('<=', value, num(max))),
    binary('==', call('floor', [value]), value),
  );

const everyRecord = (records: Expr, test: Expr): Expr =>
  call('alltrue', [forList('r', records, test)]);

const r = (field: string) => ref(`r.${field}`);

/** Whether `r.value` suits `r.type`; unknown types pass here, the type check reports them. */
const valueSuitsType = (): Expr => {
  const byType: Array<[RecordType, Expr]> = [
    ['A', ipv4Address.validation(r('value')).condition],
    ['AAAA', matches(IPV6_PATTERN, r('value'))],
    ['CNAME', matches(DOMAIN_NAME_PATTERN, r('value'))],
    ['TXT', matches(TXT_PATTERN, r('value'))],
  ];
  return byType.reduceRight<Expr>(
    (otherwise, [type, test]) => cond(binary('==', r('type'), str(type)), test, otherwise),
    toExpr(true),
  );
};

/** `name.` for a name given with or without its trailing dot. */
const absolute = (name: Expr): Expr => tpl`${call('trimsuffix', [name, str('.')])}.`;

/** One line of template text: the items separated by spaces. */
const line = (...items: Array<string | Expr>): TemplatePart[] => [
  ...items.flatMap((item, i) => [
    ...(i ? [literal(' ')] : []),
    typeof item === 'string' ? literal(item) : interp(item),
  ]),
  literal('\n'),
];

/** Template text that is there only when `condition` holds, each directive on a line of its own. */
const section = (condition: Expr, parts: readonly TemplatePart[]): TemplatePart[] => [
  { kind: 'if', cond: condition, then: [literal('\n'), ...parts], stripRight: true },
  literal('\n'),
];

const recordType = T.object({
  name: T.string,
  type: T.string,
  value: T.string,
  ttl: T.optional(T.number),
});

const soaType = T.object({
  mname: T.optional(T.string),
  rname: T.optional(T.string),
  refresh: T.optional(T.number, SOA_DEFAULTS.refresh),
  retry: T.optional(T.number, SOA_DEFAULTS.retry),
  expire: T.optional(T.number, SOA_DEFAULTS.expire),
  minimum: T.optional(T.number, SOA_DEFAULTS.minimum),
});

const SYSTEMD_UNIT = `[Unit]
Description=CoreDNS split-horizon DNS server
Documentation=https://coredns.io/manual/toc/
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=/usr/local/bin/coredns -conf ${COREFILE_PATH}
ExecReload=/bin/kill -USR1 $MAINPID
DynamicUser=yes
AmbientCapabilities=CAP_NET_BIND_SERVICE
CapabilityBoundingSet=CAP_NET_BIND_SERVICE
NoNewPrivileges=yes
Restart=on-failure
RestartSec=5s

[Install]
WantedBy=multi-user.target
`;

/** Builder option as written, with a message naming the expectation. */
export const pattern = (source: string, message: string) =>
  z.string().regex(new RegExp(source), message);

/** Whole seconds from `min` to MAX_SECONDS. */
export const seconds = (min: number) =>
  z
    .number()
    .int(`expected whole seconds from ${min} to ${MAX_SECONDS}`)
    .min(min, `expected whole seconds from ${min} to ${MAX_SECONDS}`)
    .max(MAX_SECONDS, `expected whole seconds from ${min} to ${MAX_SECONDS}`);

/** CoreDNS's inputs that are builder options as they are, declared once: the option and the variable. */
export const COREDNS_INPUTS = {
  zone: input(
    pattern(
      ZONE_PATTERN,
      'expected a lower-case domain of at least two labels without the trailing dot, such as accuser.dev',
    ),
    {
      type: T.string,
      description:
        'Internal zone CoreDNS answers for authoritatively, without the trailing dot (e.g. accuser.dev).',
      validations: (self): Validation[] => [
        {
          condition: matches(ZONE_PATTERN, self),
          errorMessage:
            'Must be a lower-case domain of at least two labels without the trailing dot, such as accuser.dev.',
          rejects: 'accuser.dev.',
        },
      ],
      example: 'accuser.dev',
    },
  ),
  complete_zone: input(z.boolean(), {
    type: T.bool,
    description:
      'Whether the records are the whole zone: true answers NXDOMAIN for every other name in it (and allows "@" and "*" records); false (split horizon) answers only the names the records have and forwards the rest of the zone upstream, so public names keep resolving.',
    default: false,
    nullable: false,
  }),
  upstream_servers: input(
    z
      .array(ipv4Address.schema)
      .min(1, 'expected at least one upstream resolver')
      .max(MAX_UPSTREAMS, `expected at most ${MAX_UPSTREAMS} upstream resolvers`),
    {
      type: T.list(T.string),
      description: 'IPv4 addresses of the resolvers every other name is forwarded to.',
      default: [...DEFAULT_UPSTREAMS],
      nullable: false,
      validations: (self): Validation[] => [
        {
          condition: binary(
            '&&',
            binary('>=', call('length', [self]), num(1)),
            binary('<=', call('length', [self]), num(MAX_UPSTREAMS)),
          ),
          errorMessage: `Must list from 1 to ${MAX_UPSTREAMS} upstream resolvers.`,
          rejects: [],
        },
        {
          condition: call('alltrue', [
            forList('server', self, ipv4Address.validation(ref('server')).condition),
          ]),
          errorMessage: 'Each upstream resolver must be an IPv4 address such as 1.1.1.1.',
          rejects: ['dns.google'],
        },
      ],
    },
  ),
  health_port: input(port, {
    type: T.number,
    description: 'Port of the health endpoint (http://<instance>.incus:<port>/health).',
    default: HEALTH_PORT,
  }),
  metrics_port: input(port, {
    type: T.number,
    description: 'Port of the Prometheus metrics endpoint (/metrics).',
    default: METRICS_PORT,
  }),
  default_ttl: input(seconds(0), {
    type: T.number,
    description: 'TTL in seconds of records that set none ($TTL of the zone).',
    default: DEFAULT_TTL,
    validations: (self): Validation[] => [
      {
        condition: wholeInRange(self, 0, MAX_SECONDS),
        errorMessage: `Must be whole seconds from 0 to ${MAX_SECONDS}.`,
        rejects: -1,
      },
    ],
  }),
};

/** S9: CoreDNS, authoritative for an internal zone, forwarding `.incus` to Incus and the rest upstream. */
export const corednsModule = incusServiceModule({
  name: 'coredns',
  package: packageInfo(import.meta.url),
  description:
    "CoreDNS in an Incus system container: split-horizon DNS authoritative for an internal zone built from other modules' addresses, `.incus` forwarded to the Incus resolver, everything else to upstream resolvers; DNS on port 53 over UDP and TCP, published through proxy devices in bridge mode.",
  defaults: COREDNS_DEFAULTS,
  proxyDevices: true,
  variables: {
    zone: COREDNS_INPUTS.zone.variable,
    records: variable({
      type: T.list(recordType),
      description:
        'Records of the zone. "name" is relative to the zone ("@" for the zone itself); "type" is A, AAAA, CNAME or TXT; "value" is the address, the target name (relative unless it ends with a dot) or the text; "ttl" in seconds, null for default_ttl.',
      default: [],
      nullable: false,
      validations: (self): Validation[] => [
        {
          condition: everyRecord(self, call('contains', [toExpr([...RECORD_TYPES]), r('type')])),
          errorMessage: 'Each record "type" must be A, AAAA, CNAME or TXT.',
          rejects: [{ name: 'www', type: 'MX', value: 'mail.accuser.dev.' }],
        },
        {
          condition: everyRecord(self, matches(RECORD_NAME_PATTERN, r('name'))),
          errorMessage:
            'Each record "name" must be "@" or a lower-case name relative to the zone, such as "grafana", "*.apps" or "_acme-challenge".',
          rejects: [{ name: 'Grafana', type: 'A', value: '10.10.0.20' }],
        },
        {
          condition: everyRecord(self, valueSuitsType()),
          errorMessage:
            'Each record "value" must suit its type: an IPv4 address for A, an IPv6 address for AAAA, a domain name for CNAME, at most 255 printable ASCII characters for TXT.',
          rejects: [{ name: 'grafana', type: 'A', value: 'grafana.accuser.dev' }],
        },
        {
          condition: everyRecord(
            self,
            cond(binary('==', r('ttl'), nil), toExpr(true), wholeInRange(r('ttl'), 0, MAX_SECONDS)),
          ),
          errorMessage: `Each record "ttl" must be null or whole seconds from 0 to ${MAX_SECONDS}.`,
          rejects: [{ name: 'grafana', type: 'A', value: '10.10.0.20', ttl: -1 }],
        },
        {
          // A block for the apex or "*" would take every name in the zone, as a complete zone does.
          condition: binary(
            '||',
            ref('var.complete_zone'),
            everyRecord(
              self,
              binary('&&', binary('!=', r('name'), str('@')), binary('!=', r('name'), str('*'))),
            ),
          ),
          errorMessage:
            'Records for the zone apex ("@") or for every name ("*") need complete_zone = true: answering them makes CoreDNS authoritative for the whole zone.',
          rejects: [{ name: '@', type: 'TXT', value: 'v=spf1 -all' }],
        },
        {
          // A CNAME owns its name alone (RFC 1034), so neither the apex nor a name with other records can have one.
          condition: everyRecord(
            self,
            binary(
              '||',
              binary('!=', r('type'), str('CNAME')),
              binary(
                '&&',
                binary('!=', r('name'), str('@')),
                binary(
                  '==',
                  call('length', [
                    forList('o', self, ref('o.name'), {
                      cond: binary('==', ref('o.name'), r('name')),
                    }),
                  ]),
                  num(1),
                ),
              ),
            ),
          ),
          errorMessage:
            'A CNAME record must be the only record of its name, and the zone apex ("@") cannot have one.',
          rejects: [
            { name: 'www', type: 'CNAME', value: 'grafana' },
            { name: 'www', type: 'A', value: '10.10.0.20' },
          ],
        },
      ],
      example: tuple([
        object({
          name: str('grafana'),
          type: str('A'),
          value: str('10.10.0.20'),
        }),
        object({ name: str('dashboards'), type: str('CNAME'), value: str('grafana') }),
      ]),
    }),
    complete_zone: COREDNS_INPUTS.complete_zone.variable,
    incus_dns_server: variable({
      type: T.string,
      description:
        "IPv4 address of the Incus DNS resolver that answers for .incus (the gateway of the instance's bridge network, e.g. 10.10.0.1); null when there is none (a physical network).",
      rules: [nullable(ipv4Address)],
      example: '10.10.0.1',
    }),
    upstream_servers: COREDNS_INPUTS.upstream_servers.variable,
    health_port: COREDNS_INPUTS.health_port.variable,
    metrics_port: COREDNS_INPUTS.metrics_port.variable,
    default_ttl: COREDNS_INPUTS.default_ttl.variable,
    soa: variable({
      type: soaType,
      description:
        'SOA record. "mname": primary name server, also the NS record (default "<instance_name>.incus"); "rname": administrator mailbox in DNS form (default "hostmaster.<zone>", meaning hostmaster@<zone>); "refresh", "retry", "expire" and "minimum" (negative caching) in seconds.',
      default: {},
      nullable: false,
      validations: (self): Validation[] => [
        {
          condition: call('alltrue', [
            forList(
              'name',
              tuple([get(self, 'mname'), get(self, 'rname')]),
              cond(
                binary('==', ref('name'), nil),
                toExpr(true),
                matches(QUALIFIED_NAME_PATTERN, ref('name')),
              ),
            ),
          ]),
          errorMessage:
            'SOA "mname" and "rname" must be null or lower-case names of at least two labels, such as ns1.accuser.dev.',
          rejects: { mname: 'NS1' },
        },
        {
          condition: call('alltrue', [
            forList(
              'seconds',
              tuple((['refresh', 'retry', 'expire', 'minimum'] as const).map((k) => get(self, k))),
              wholeInRange(ref('seconds'), 1, MAX_SECONDS),
            ),
          ]),
          errorMessage: `SOA "refresh", "retry", "expire" and "minimum" must be whole seconds from 1 to ${MAX_SECONDS}.`,
          rejects: { refresh: 0 },
        },
      ],
    }),
    coredns_version: variable({
      type: T.string,
      description:
        'CoreDNS release to install from GitHub (Debian has no package); change coredns_sha256 with it.',
      default: COREDNS_RELEASE.version,
      validations: (self): Validation[] => [
        {
          condition: matches(VERSION_PATTERN, self),
          errorMessage: 'Must be a release version such as 1.11.1.',
          rejects: 'v1.11.1',
        },
      ],
    }),
    coredns_sha256: variable({
      type: T.string,
      description:
        'SHA-256 of coredns_<version>_linux_amd64.tgz; the download is checked against it before anything is installed.',
      default: COREDNS_RELEASE.sha256,
      validations: (self): Validation[] => [
        {
          condition: matches(SHA256_PATTERN, self),
          errorMessage: 'Must be 64 lower-case hexadecimal digits.',
          rejects: 'ABC123',
        },
      ],
    }),
  },
  build: (v) => {
    const instance = ref('var.instance_name');
    const soa = (field: string) => ref(`local.soa.${field}`);
    const prometheus = [literal('    prometheus :'), interp(v.metrics_port), literal('\n')];
    const corefile = heredoc([
      ...section(binary('>', call('length', [ref('local.authoritative_names')]), num(0)), [
        interp(call('join', [str(' '), ref('local.authoritative_names')])),
        literal(` {\n    file ${ZONE_FILE_PATH} `),
        interp(v.zone),
        literal('\n'),
        ...prometheus,
        literal('    errors\n    log\n}\n'),
      ]),
      ...section(binary('!=', v.incus_dns_server, nil), [
        literal(`incus:${DNS_PORT} {\n    forward . `),
        interp(v.incus_dns_server),
        literal('\n    cache 30\n'),
        ...prometheus,
        literal('    errors\n    log\n}\n'),
      ]),
      literal(`.:${DNS_PORT} {\n    forward . `),
      interp(call('join', [str(' '), v.upstream_servers])),
      literal('\n    cache 300\n    health :'),
      interp(v.health_port),
      literal('\n'),
      ...prometheus,
      literal('    errors\n    log\n}\n'),
    ]);
    const zoneFile = heredoc([
      literal('; Written by OpenTofu (Atlas coredns module); changes made here are overwritten.\n'),
      literal('$ORIGIN '),
      interp(v.zone),
      literal('.\n'),
      ...line('$TTL', v.default_ttl),
      ...line(
        '@ IN SOA',
        soa('mname'),
        soa('rname'),
        ref('local.zone_serial'),
        soa('refresh'),
        soa('retry'),
        soa('expire'),
        soa('minimum'),
      ),
      ...line('@ IN NS', soa('mname')),
      {
        kind: 'for',
        value: 'r',
        collection: ref('local.zone_records'),
        body: [literal('\n'), ...line(r('name'), r('ttl'), 'IN', r('type'), r('data'))],
        stripRight: true,
      },
      literal('\n'),
    ]);
    const installScript = heredoc([
      literal(
        '#!/bin/sh\n# Installs the pinned CoreDNS release, refusing a download whose SHA-256 does not match.\nset -eu\nversion=',
      ),
      interp(v.coredns_version),
      literal('\nsha256='),
      interp(v.coredns_sha256),
      literal(
        [
          '',
          'tarball="coredns_${version}_linux_amd64.tgz"',
          'work=$(mktemp -d)',
          'trap \'rm -rf "$work"\' EXIT',
          'curl -fsSL -o "$work/$tarball" "https://github.com/coredns/coredns/releases/download/v$version/$tarball"',
          'echo "$sha256  $work/$tarball" | sha256sum -c -',
          'tar -xzf "$work/$tarball" -C "$work" coredns',
          'install -m 0755 "$work/coredns" /usr/local/bin/coredns',
          '',
        ].join('\n'),
      ),
    ]);
    return {
      locals: {
        soa: {
          value: object({
            mname: absolute(call('coalesce', [get(v.soa, 'mname'), tpl`${v.instance_name}.incus`])),
            rname: absolute(call('coalesce', [get(v.soa, 'rname'), tpl`hostmaster.${v.zone}`])),
            refresh: get(v.soa, 'refresh'),
            retry: get(v.soa, 'retry'),
            expire: get(v.soa, 'expire'),
            minimum: get(v.soa, 'minimum'),
          }),
          comment:
            'The name server is the instance itself, by its Incus DNS name: outside the zone, so it needs no address record in it.',
        },
        zone_records: {
          value: forList(
            'r',
            v.records,
            object({
              name: r('name'),
              ttl: call('coalesce', [r('ttl'), v.default_ttl]),
              type: r('type'),
              // TXT text is a quoted character-string in which `"` and `\` are escaped.
              data: cond(
                binary('==', r('type'), str('TXT')),
                tpl`"${call('replace', [
                  call('replace', [r('value'), str('\\'), str('\\\\')]),
                  str('"'),
                  str('\\"'),
                ])}"`,
                r('value'),
              ),
            }),
          ),
        },
        zone_serial: {
          value: call('parseint', [
            call('substr', [
              call('sha256', [
                call('jsonencode', [
                  tuple([v.zone, v.default_ttl, ref('local.soa'), ref('local.zone_records')]),
                ]),
              ]),
              num(0),
              num(8),
            ]),
            num(16),
          ]),
          comment: [
            'SOA serial: the first 8 hex digits (32 bits, so below 2^32 as a serial must be) of a hash of',
            'everything else in the zone. The same records give the same serial and any change gives a new',
            'one, which is what makes CoreDNS reload the file; no secondaries transfer the zone, so it need',
            'not increase.',
          ].join('\n'),
        },
        authoritative_names: {
          value: cond(
            v.complete_zone,
            tuple([tpl`${v.zone}:${DNS_PORT}`]),
            call('distinct', [
              forList(
                'r',
                v.records,
                tpl`${call('trimprefix', [r('name'), str('*.')])}.${v.zone}:${DNS_PORT}`,
              ),
            ]),
          ),
          comment: [
            'Server block keys for the names CoreDNS answers from the zone file. A query goes to the block',
            'of its longest matching name and the file plugin answers NXDOMAIN for names it lacks, so in',
            'split horizon only the names the records have get a key ("*.apps" covers apps): every other',
            'name in the zone falls through to the catch-all block and the upstream resolvers.',
          ].join('\n'),
        },
        zone_file: { value: zoneFile, comment: 'Zone file served by the CoreDNS file plugin.' },
        corefile: {
          value: corefile,
          comment:
            "One server block per kind of name: the zone's names from its file, .incus from Incus, the rest upstream.",
        },
        install_coredns: { value: installScript },
      },
      cloudInit: {
        config: {
          packages: ['curl', 'ca-certificates'],
          writeFiles: [
            { path: COREFILE_PATH, content: ref('corefile') },
            { path: ZONE_FILE_PATH, content: ref('zone_file') },
            { path: '/etc/systemd/system/coredns.service', content: SYSTEMD_UNIT },
            { path: INSTALL_SCRIPT_PATH, content: ref('install_coredns'), permissions: '0755' },
          ],
          runcmd: [
            INSTALL_SCRIPT_PATH,
            'systemctl daemon-reload',
            'systemctl enable coredns',
            'systemctl restart coredns',
          ],
        },
        vars: {
          corefile: ref('local.corefile'),
          zone_file: ref('local.zone_file'),
          install_coredns: ref('local.install_coredns'),
        },
      },
      outputs: {
        dns_address: output({
          description: 'host:port of the DNS service inside Incus (UDP and TCP).',
          value: tpl`${instance}.incus:${DNS_PORT}`,
          type: T.string,
        }),
        health_url: output({
          description: 'URL of the health endpoint.',
          value: tpl`http://${instance}.incus:${v.health_port}/health`,
          type: T.string,
        }),
        metrics_target: output({
          description: 'host:port for Prometheus to scrape CoreDNS metrics.',
          value: tpl`${instance}.incus:${v.metrics_port}`,
          type: T.string,
        }),
        zone_serial: output({
          description: 'SOA serial of the zone: changes exactly when the zone content does.',
          value: ref('local.zone_serial'),
          type: T.number,
        }),
      },
    };
  },
});
