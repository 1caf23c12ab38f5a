import {
  ConfigError,
  ipv4Address,
  isModuleCall,
  parseConfig,
  port,
  unlessDefault,
  type ModuleCall,
  type Link,
  type NetworkAttachment,
  hostOf,
} from '@atlas/core';
import {
  proxyDevicesFor,
  serviceArgs,
  serviceOptionsSchema,
  type MetricsSource,
  placement,
  reachable,
  hostOnly,
  linkedValue,
  type Reachable,
} from '@atlas/incus-service';
import { isExpr, nil, num, object, str, toExpr, tuple, type Expr } from '@atlas/hcl';
import { z } from 'zod';
import {
  COREDNS_DEFAULTS,
  COREDNS_INPUTS,
  pattern,
  seconds,
  COREDNS_RELEASE,
  DNS_PORT,
  DOMAIN_NAME_PATTERN,
  IPV6_PATTERN,
  QUALIFIED_NAME_PATTERN,
  RECORD_NAME_PATTERN,
  RECORD_TYPES,
  SHA256_PATTERN,
  SOA_DEFAULTS,
  TXT_PATTERN,
  VERSION_PATTERN,
  corednsModule,
  type RecordType,
} from './module.js';

export {
  COREDNS_DEFAULTS,
  COREDNS_RELEASE,
  DEFAULT_TTL,
  DEFAULT_UPSTREAMS,
  DNS_PORT,
  HEALTH_PORT,
  METRICS_PORT,
  RECORD_TYPES,
  SOA_DEFAULTS,
  corednsModule,
  type RecordType,
} from './module.js';

/** Any module call with an `ipv4_address` output: every service built on incusServiceModule. */
export interface AddressSource {
  readonly kind: 'module-call';
  readonly name: string;
  readonly outputs: { readonly ipv4_address: Expr };
}

/** A record of the zone: an A record for a service's address, or a literal record. */
export type DnsRecord =
  | { readonly name: string; readonly target: AddressSource; readonly ttl?: number }
  | {
      readonly name: string;
      readonly type: RecordType;
      /** A string, or an expression such as another module's output. */
      readonly value: string | Expr;
      readonly ttl?: number;
    };

/** Where a record's target lives: the placed port of any capability it has (metrics, alerting, a datasource). */
function placedPort(target: AddressSource): Reachable | undefined {
  for (const capability of Object.values(target)) {
    const link = (capability as { link?: Reachable } | null)?.link;
    if (link?.kind === 'reachable') return link;
  }
  return undefined;
}

const siteOf = (network: NetworkAttachment) => (network.site ? { site: network.site } : {});

const addressSourceSchema = z.custom<AddressSource>(
  (v) => isModuleCall(v) && 'ipv4_address' in v.outputs,
  {
    message:
      'expected a service instance (the value a builder such as grafana(…) returns); its ipv4_address becomes the A record',
  },
);

const stringOrExpr = z.custom<string | Expr>((v) => typeof v === 'string' || isExpr(v), {
  message: 'expected a string or an HCL expression',
});

const qualifiedName = pattern(
  QUALIFIED_NAME_PATTERN,
  'expected a lower-case name of at least two labels, such as ns1.accuser.dev',
);

/** What a literal value of each type must look like: the same rules as the module's validation. */
const VALUE_RULES: Readonly<Record<RecordType, (value: string) => boolean>> = {
  A: (v) => ipv4Address.schema.safeParse(v).success,
  AAAA: (v) => new RegExp(IPV6_PATTERN).test(v),
  CNAME: (v) => new RegExp(DOMAIN_NAME_PATTERN).test(v),
  TXT: (v) => new RegExp(TXT_PATTERN).test(v),
};

const VALUE_EXPECTED: Readonly<Record<RecordType, string>> = {
  A: 'an A record needs an IPv4 address',
  AAAA: 'an AAAA record needs an IPv6 address',
  CNAME: 'a CNAME record needs a domain name (relative to the zone unless it ends with a dot)',
  TXT: 'a TXT record needs at most 255 printable ASCII characters',
};

const recordSchema = z
  .object({
    /** Relative to the zone; `@` is the zone itself. */
    name: pattern(
      RECORD_NAME_PATTERN,
      'expected "@" or a lower-case name relative to the zone, such as "grafana", "*.apps" or "_acme-challenge"',
    ),
    /** The service whose address the A record holds (rendered as `module.<name>.ipv4_address`). */
    target: addressSourceSchema.optional(),
    type: z.enum(RECORD_TYPES).optional(),
    value: stringOrExpr.optional(),
    ttl: seconds(0).optional(),
  })
  .strict()
  .superRefine((rec, ctx) => {
    const issue = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message });
    if (rec.target) {
      if (rec.value !== undefined) issue('value', 'give either "target" or "value", not both');
      if (rec.type !== undefined && rec.type !== 'A') issue('type', 'a "target" makes an A record');
      return;
    }
    if (rec.type === undefined) issue('type', 'expected A, AAAA, CNAME or TXT (or a "target")');
    if (rec.value === undefined) issue('value', 'expected a "value" (or a "target")');
    else if (rec.type && typeof rec.value === 'string' && !VALUE_RULES[rec.type](rec.value))
      issue('value', VALUE_EXPECTED[rec.type]);
  });

const ipv4OrExpr = z.custom<string | Expr>(
  (v) => isExpr(v) || (typeof v === 'string' && ipv4Address.schema.safeParse(v).success),
  {
    message:
      "expected an IPv4 address such as 10.10.0.1, or an expression such as base.gateway('production')",
  },
);

export const corednsConfigSchema = serviceOptionsSchema(COREDNS_DEFAULTS)
  .extend({
    /** The internal zone, e.g. `accuser.dev`. */
    zone: COREDNS_INPUTS.zone.schema,
    records: z.array(recordSchema).default([]),
    /** The Incus resolver for `.incus`: `base.gateway('production')` or an address; null for none (physical network). */
    incusDns: ipv4OrExpr.nullable(),
    upstreams: COREDNS_INPUTS.upstream_servers.schema,
    healthPort: COREDNS_INPUTS.health_port.schema,
    metricsPort: COREDNS_INPUTS.metrics_port.schema,
    /** Host port DNS is published on in bridge mode. */
    dnsHostPort: port.schema.default(DNS_PORT),
    /**
     * Host address DNS is published on in bridge mode; default: the LAN address of the host
     * the instance runs on (its site's only host, or its `targetNode`). Never all addresses:
     * Incus's own DNS (dnsmasq) listens on port 53 of every bridge's gateway on that host.
     */
    dnsListenAddress: ipv4Address.schema.optional(),
    /**
     * Whether `records` are the whole zone: then every other name in it is NXDOMAIN, and "@" and
     * "*" records are allowed. Default (split horizon): only the names the records have are
     * answered here, and the rest of the zone is forwarded upstream like any other name.
     */
    completeZone: COREDNS_INPUTS.complete_zone.schema,
    defaultTtl: COREDNS_INPUTS.default_ttl.schema,
    soa: z
      .object({
        /** Primary name server; default `<name>.incus`. */
        mname: qualifiedName.optional(),
        /** Administrator mailbox in DNS form; default `hostmaster.<zone>`. */
        rname: qualifiedName.optional(),
        refresh: seconds(1).default(SOA_DEFAULTS.refresh),
        retry: seconds(1).default(SOA_DEFAULTS.retry),
        expire: seconds(1).default(SOA_DEFAULTS.expire),
        minimum: seconds(1).default(SOA_DEFAULTS.minimum),
      })
      .strict()
      .prefault({}),
    /** The CoreDNS release to install; version and checksum change together. */
    release: z
      .object({
        version: pattern(VERSION_PATTERN, 'expected a release version such as 1.11.1'),
        sha256: pattern(SHA256_PATTERN, 'expected 64 lower-case hexadecimal digits'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    if (c.healthPort === c.metricsPort)
      ctx.addIssue({
        code: 'custom',
        path: ['metricsPort'],
        message: 'the health and metrics endpoints need different ports',
      });
    for (const [key, value] of [
      ['healthPort', c.healthPort],
      ['metricsPort', c.metricsPort],
    ] as const) {
      if (value === DNS_PORT)
        ctx.addIssue({ code: 'custom', path: [key], message: `port ${DNS_PORT} is DNS itself` });
    }
    if (!c.completeZone)
      c.records.forEach((rec, i) => {
        if (rec.name === '@' || rec.name === '*')
          ctx.addIssue({
            code: 'custom',
            path: ['records', i, 'name'],
            message: `a "${rec.name}" record takes the whole zone: set completeZone: true (then names without records are NXDOMAIN)`,
          });
      });
    const typeOf = (rec: (typeof c.records)[number]) => (rec.target ? 'A' : rec.type);
    c.records.forEach((rec, i) => {
      if (typeOf(rec) !== 'CNAME') return;
      const message =
        rec.name === '@'
          ? 'the zone apex cannot have a CNAME record'
          : c.records.filter((o) => o.name === rec.name).length > 1
            ? `"${rec.name}" has a CNAME record, which must be the only record of its name`
            : undefined;
      if (message) ctx.addIssue({ code: 'custom', path: ['records', i, 'name'], message });
    });
  });

export type CorednsConfig = Omit<z.input<typeof corednsConfigSchema>, 'records'> & {
  readonly records?: readonly DnsRecord[];
};

export type CorednsInstance = ModuleCall<
  typeof corednsModule.variables,
  typeof corednsModule.body.outputs
> &
  MetricsSource & { readonly service: 'coredns' };

/**
 * The host address bridge mode publishes DNS on. A ConfigError when none is known: the
 * wildcard address would collide with Incus's dnsmasq on the host's bridges.
 */
function dnsListenAddress(c: z.output<typeof corednsConfigSchema>): string | undefined {
  if (c.network.mode !== 'bridge') return undefined;
  const address =
    c.dnsListenAddress ?? (c.network.site && hostOf(c.network.site, c.targetNode)?.lanAddress);
  if (address) return address;
  throw new ConfigError([
    {
      path: [c.name, 'dnsListenAddress'],
      message:
        "expected the host address to publish DNS on (or a site host via targetNode): port 53 on all of the host's addresses collides with Incus's own DNS on its bridges",
    },
  ]);
}

/**
 * A CoreDNS instance: validates `config` and returns the module call with
 * typed outputs. DNS (53, UDP and TCP) is published through proxy devices in
 * bridge mode; on a physical network the container answers on its own address.
 */
export function coredns(config: CorednsConfig): CorednsInstance {
  const c = parseConfig(corednsConfigSchema, config, [
    config.name ?? COREDNS_DEFAULTS.instanceName,
  ]);
  const soaArgs = Object.fromEntries(
    Object.entries(c.soa).filter(
      ([key, value]) =>
        unlessDefault(value, (SOA_DEFAULTS as Record<string, unknown>)[key]) !== undefined,
    ),
  );
  // The zone answers LAN clients: an A record names an address they reach, resolved like any link.
  const links: Link[] = [];
  const lanClients = { name: `${c.name} clients`, onLan: true, ...siteOf(c.network) };
  const recordValue = (target: AddressSource): Expr => {
    const link = placedPort(target);
    return link
      ? linkedValue(
          lanClients,
          hostOnly(link, target.outputs.ipv4_address),
          target.outputs.ipv4_address,
          'records',
          links,
        )
      : target.outputs.ipv4_address;
  };
  const listen = dnsListenAddress(c);
  const call = corednsModule.call(
    c.name,
    {
      ...serviceArgs(c, COREDNS_DEFAULTS),
      zone: c.zone,
      records: c.records.length
        ? tuple(
            // The schema has made sure a record without a target has a type and a value.
            c.records.map((rec) =>
              object({
                name: str(rec.name),
                type: str(rec.target ? 'A' : rec.type!),
                value: rec.target ? recordValue(rec.target) : toExpr(rec.value),
                ...(rec.ttl === undefined ? {} : { ttl: num(rec.ttl) }),
              }),
            ),
          )
        : undefined,
      incus_dns_server: c.incusDns === null ? nil : c.incusDns,
      complete_zone: COREDNS_INPUTS.complete_zone.arg(c.completeZone),
      upstream_servers: COREDNS_INPUTS.upstream_servers.arg(c.upstreams),
      health_port: COREDNS_INPUTS.health_port.arg(c.healthPort),
      metrics_port: COREDNS_INPUTS.metrics_port.arg(c.metricsPort),
      default_ttl: COREDNS_INPUTS.default_ttl.arg(c.defaultTtl),
      soa: Object.keys(soaArgs).length ? soaArgs : undefined,
      coredns_version: c.release && unlessDefault(c.release.version, COREDNS_RELEASE.version),
      coredns_sha256: c.release && unlessDefault(c.release.sha256, COREDNS_RELEASE.sha256),
      proxy_devices: proxyDevicesFor(
        c.network,
        (['udp', 'tcp'] as const).map((protocol) => ({
          name: 'dns',
          protocol,
          port: DNS_PORT,
          hostPort: c.dnsHostPort,
          ...(listen ? { hostAddress: listen } : {}),
        })),
      ),
    },
    { links },
  );
  return Object.assign(call, {
    service: 'coredns' as const,
    metrics: {
      target: call.outputs.metrics_target,
      link: reachable(placement(c), c.metricsPort, call.outputs.metrics_target),
    },
  });
}
