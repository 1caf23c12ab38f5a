import {
  instanceName,
  RENAMED_FROM,
  requirePlacedVolume,
  SERVICE_LINKS,
  storagePoolOf,
  type EnvVariable,
  type Link,
  type NetworkAttachment,
} from '@atlas/core';
import { isExpr, type Expr } from '@atlas/hcl';
import { z } from 'zod';
import { linkedValue, type Reachable } from './links.js';
import { DEBIAN_VERSION_PATTERN, standardInputs, type ServiceDefaults } from './service.js';

/** Any HCL expression, e.g. a typed reference to another module's output. */
export const exprSchema = z.custom<Expr>((v) => isExpr(v), {
  message: 'expected an HCL expression (a reference such as base.profilesFor("management"))',
});

/**
 * The options every service builder accepts, with the service's seeded
 * defaults: name, profiles, limits, and (for stateful services) the data
 * volume and its snapshot policy.
 */
export function serviceOptionsSchema(d: ServiceDefaults) {
  const std = standardInputs(d);
  const data = std.data
    ? z
        .object({
          enabled: std.data.enable_data_persistence.schema,
          name: std.data.data_volume_name.schema,
          size: std.data.data_volume_size.schema,
          snapshots: z
            .object({
              enabled: std.data.enable_snapshots.schema,
              schedule: std.data.snapshot_schedule.schema,
              expiry: std.data.snapshot_expiry.schema,
              pattern: std.data.snapshot_pattern.schema,
            })
            .strict()
            .prefault({}),
        })
        .strict()
        .prefault({})
    : z.undefined({ error: 'this service keeps no data, so it has no data volume' }).optional();
  const versions = d.packageVersions
    ? z
        .object(
          Object.fromEntries(
            Object.keys(d.packageVersions).map((name) => [
              name,
              z
                .string()
                .regex(
                  new RegExp(DEBIAN_VERSION_PATTERN),
                  'expected an exact Debian package version such as 2.53.3+ds1-2',
                )
                .optional(),
            ]),
          ),
        )
        .strict()
        .optional()
    : z.undefined({ error: 'this service installs no pinned packages' }).optional();
  return z.object({
    /**
     * Exact apt versions to install instead of the ones the package was tested with,
     * e.g. `{ prometheus: '2.53.3+ds1-3' }`.
     */
    packageVersions: versions,
    /** Module and instance name, e.g. `grafana01`. */
    name: std.instance_name.schema,
    /**
     * The name this service had before a rename. Its state moves to the new name (a `moved`
     * block) and its Incus instance and data volume keep their names, so nothing is rebuilt
     * and no data is lost; only the Atlas names (module, outputs, variables) change.
     */
    renamedFrom: instanceName.schema.optional(),
    profileName: std.profile_name.schema,
    /** The network to join: `base.attach('management')` (profiles, and the mode that decides how ports are published). */
    network: networkAttachmentSchema,
    image: std.image.schema,
    cpu: std.cpu_limit.schema,
    memory: std.memory_limit.schema,
    rootDiskSize: std.root_disk_size.schema,
    /** The pool for its disks; defaults to the site's (`storage`), else `local`. */
    storagePool: z.string().min(1).optional(),
    /** Cluster member to pin the instance to. */
    targetNode: std.target_node.schema,
    /** Upload this instance's systemd journal to a receiver (systemd-journal-upload), which ships it to Loki. */
    journalTo: z.lazy(() => journalReceiverSchema).optional(),
    data,
  });
}

export type ServiceOptions = z.output<ReturnType<typeof serviceOptionsSchema>>;

/** The standard arguments {@link serviceArgs} passes: spread them into a service module's call. */
export interface ServiceArgs {
  readonly instance_name: string;
  readonly profiles: readonly Expr[];
  readonly cpu_limit: number;
  readonly memory_limit: string;
  readonly profile_name?: string;
  readonly image?: string;
  readonly root_disk_size?: string;
  readonly storage_pool?: string;
  readonly target_node?: string;
  readonly package_versions?: Readonly<Record<string, string>>;
  readonly journal_upload_url?: Expr;
  readonly enable_data_persistence?: boolean;
  readonly data_volume_name?: string;
  readonly data_volume_size?: string;
  readonly enable_snapshots?: boolean;
  readonly snapshot_schedule?: string;
  readonly snapshot_expiry?: string;
  readonly snapshot_pattern?: string;
  readonly [RENAMED_FROM]?: string;
  readonly [SERVICE_LINKS]?: readonly Link[];
}

/**
 * Module arguments for the standard variables. Name, profiles and limits are
 * always written (reviewers read sizes in the environment); everything else
 * only when it differs from the module default, to keep main.tf short.
 */
export function serviceArgs(o: ServiceOptions, d: ServiceDefaults): ServiceArgs {
  const std = standardInputs(d);
  const pool = storagePoolOf(o.network.site, o.storagePool);
  if (d.dataVolume && o.data?.enabled)
    requirePlacedVolume(o.network.site, o.name, pool, o.targetNode);
  const links: Link[] = [];
  const moved = Object.entries(o.packageVersions ?? {}).filter(
    (pin): pin is [string, string] =>
      pin[1] !== undefined && pin[1] !== d.packageVersions?.[pin[0]],
  );
  const s = o.data?.snapshots;
  const args: ServiceArgs = {
    instance_name: o.renamedFrom ?? o.name,
    profile_name: std.profile_name.arg(o.profileName),
    image: std.image.arg(o.image),
    profiles: o.network.profiles,
    cpu_limit: o.cpu,
    memory_limit: o.memory,
    root_disk_size: std.root_disk_size.arg(o.rootDiskSize),
    storage_pool: std.storage_pool.arg(pool),
    target_node: o.targetNode,
    package_versions: moved.length ? Object.fromEntries(moved) : undefined,
    journal_upload_url: o.journalTo
      ? linkedValue(
          o,
          o.journalTo.journals.link,
          o.journalTo.journals.url,
          'journal_upload_url',
          links,
        )
      : undefined,
    ...(o.data && std.data
      ? {
          enable_data_persistence: std.data.enable_data_persistence.arg(o.data.enabled),
          data_volume_name: o.data.name,
          data_volume_size: std.data.data_volume_size.arg(o.data.size),
          enable_snapshots: std.data.enable_snapshots.arg(s?.enabled),
          snapshot_schedule: std.data.snapshot_schedule.arg(s?.schedule),
          snapshot_expiry: std.data.snapshot_expiry.arg(s?.expiry),
          snapshot_pattern: std.data.snapshot_pattern.arg(s?.pattern),
        }
      : {}),
    ...(o.renamedFrom === undefined ? {} : { [RENAMED_FROM]: o.renamedFrom }),
    ...(links.length ? { [SERVICE_LINKS]: links } : {}),
  };
  // Left out, not undefined: a module without a data volume or journal upload has no such variable.
  const present: Partial<Record<keyof ServiceArgs, unknown>> = {};
  for (const key of Reflect.ownKeys(args) as (keyof ServiceArgs)[])
    if (args[key] !== undefined) present[key] = args[key];
  return present as ServiceArgs;
}

export const networkAttachmentSchema = z.custom<NetworkAttachment>(
  (v) =>
    typeof v === 'object' && v !== null && (v as { kind?: unknown }).kind === 'network-attachment',
  { message: "expected a network attachment such as base.attach('management')" },
);

/** A port a service offers outside its container. */
export interface ServicePort {
  readonly name: string;
  readonly protocol: 'tcp' | 'udp';
  readonly port: number;
  /** Host port in bridge mode; defaults to `port`. */
  readonly hostPort?: number;
  /** Host address to listen on in bridge mode; defaults to all of them (0.0.0.0). */
  readonly hostAddress?: string;
}

/**
 * The `proxy_devices` argument for publishing `ports` on the host: only in
 * bridge mode. On a physical network the container has a LAN address of its
 * own, and in OVN mode a load balancer publishes it instead.
 */
export function proxyDevicesFor(
  network: NetworkAttachment,
  ports: readonly ServicePort[],
): Record<string, { listen: string; connect: string }> | undefined {
  if (network.mode !== 'bridge' || ports.length === 0) return undefined;
  return Object.fromEntries(
    ports.map((p) => [
      `${p.name}-${p.protocol}`,
      {
        listen: `${p.protocol}:${p.hostAddress ?? '0.0.0.0'}:${p.hostPort ?? p.port}`,
        connect: `${p.protocol}:127.0.0.1:${p.port}`,
      },
    ]),
  );
}

/** Something Prometheus can scrape: `host:port` plus how to ask. */
export interface MetricsSource {
  readonly name: string;
  readonly metrics: {
    /** `module.grafana01.metrics_target`, rendering `grafana01.incus:3000`. */
    readonly target: Expr;
    readonly path?: string;
    readonly scheme?: 'http' | 'https';
    /** Where the target lives, so each consumer can pick an address it reaches. */
    readonly link?: Reachable;
  };
}

/** Something Grafana can query. */
export interface DatasourceSource {
  readonly name: string;
  readonly datasource: {
    readonly type: 'prometheus' | 'loki' | 'alertmanager';
    readonly url: Expr;
    readonly link?: Reachable;
  };
}

const hasCapability = (key: string) => (v: unknown) =>
  typeof v === 'object' &&
  v !== null &&
  key in v &&
  typeof (v as { name?: unknown }).name === 'string';

export const metricsSourceSchema = z.custom<MetricsSource>(hasCapability('metrics'), {
  message:
    'expected a service that exposes metrics (the value a service builder such as grafana(…) returns)',
});

export const datasourceSourceSchema = z.custom<DatasourceSource>(hasCapability('datasource'), {
  message:
    'expected a Prometheus, Loki or Alertmanager instance (the value prometheus(…) or loki(…) returns)',
});

/** Somewhere logs can be pushed (Loki). */
export interface LogSink {
  readonly name: string;
  readonly logs: {
    /** Full push URL (`…/loki/api/v1/push`), for Alloy and Promtail. */
    readonly pushUrl: Expr;
    /** Base URL (`http://loki01.incus:3100`), for clients that add the path themselves (Incus). */
    readonly baseUrl: Expr;
    /** Where the push URL's Loki lives, and the URL at another address. */
    readonly link?: Reachable;
    /** The same for the base URL. */
    readonly baseLink?: Reachable;
  };
}

export const logSinkSchema = z.custom<LogSink>(hasCapability('logs'), {
  message: 'expected a Loki instance (the value loki(…) returns)',
});

/** Somewhere instances upload their systemd journal to (an Alloy running systemd-journal-remote). */
export interface JournalReceiver {
  readonly name: string;
  readonly journals: {
    /** systemd-journal-upload's URL= on the receiver's own network (`http://alloy01.incus:19532`). */
    readonly url: Expr;
    readonly link?: Reachable;
  };
}

export const journalReceiverSchema = z.custom<JournalReceiver>(hasCapability('journals'), {
  message: 'expected a journal receiver (the value alloy(…) returns)',
});

/** Somewhere Prometheus sends alerts (Alertmanager). */
export interface AlertReceiver {
  readonly name: string;
  readonly alerting: { readonly target: Expr; readonly link?: Reachable };
}

export const alertReceiverSchema = z.custom<AlertReceiver>(hasCapability('alerting'), {
  message: 'expected an Alertmanager instance (the value alertmanager(…) returns)',
});

/** An ACME certificate authority services take their TLS certificates from (step-ca). */
export interface CertificateAuthority {
  readonly name: string;
  readonly acme: {
    /** `module.<ca>.acme_directory_url` */
    readonly directoryUrl: Expr;
    /** `module.<ca>.ca_url`, where clients download the root certificate. */
    readonly caUrl: Expr;
    readonly directoryLink?: Reachable;
    readonly caLink?: Reachable;
  };
  /**
   * Root-module variable holding the root certificate's fingerprint. Clients
   * pin it to trust the CA; it exists only once the CA has run, so the
   * operator copies it from the CA's `fingerprint_command` output.
   */
  readonly rootFingerprint: EnvVariable<string>;
  /**
   * A JWK provisioner clients sign certificate requests with: it works from
   * any network or environment, as the CA never has to reach the client.
   * Its password is a sensitive root variable both environments supply.
   */
  readonly provisioner?: { readonly name: string; readonly password: EnvVariable<string> };
}

export const certificateAuthoritySchema = z.custom<CertificateAuthority>(
  (v) =>
    hasCapability('acme')(v) &&
    isExpr((v as { acme?: { directoryUrl?: unknown } }).acme?.directoryUrl) &&
    isExpr((v as { acme?: { caUrl?: unknown } }).acme?.caUrl) &&
    (v as { rootFingerprint?: { kind?: unknown } }).rootFingerprint?.kind === 'env-variable',
  { message: 'expected a certificate authority (the value stepCa(…) returns)' },
);

/** A service that takes TCP or UDP connections, which an OVN load balancer can front. */
export interface TcpService {
  readonly name: string;
  readonly ports: readonly ServicePort[];
  /** The instance's IPv4 address (a module output). */
  readonly address: Expr;
}
