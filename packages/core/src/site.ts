import type { Expr } from '@atlas/hcl';
import { z } from 'zod';
import { ConfigError, parseConfig } from './errors.js';
import { ipv4Address } from './rules.js';

/** How an environment attaches its networks (C5): NAT bridge, the physical LAN, or an OVN overlay. */
export type NetworkMode = 'bridge' | 'physical' | 'ovn';

/** Joining one network: the profiles to apply, in order, and what kind of network it is. */
export interface NetworkAttachment {
  readonly kind: 'network-attachment';
  /** The network's role in the estate: production, management or gitops. */
  readonly role: string;
  readonly mode: NetworkMode;
  /** Base profile, then the network's profile. */
  readonly profiles: readonly Expr[];
  /** The Incus network's name (an output of the base module). */
  readonly network: Expr;
  /** OVN mode: the uplink's `ipv4.ovn.ranges` as the base declares them, where load balancer VIPs must lie. */
  readonly uplinkRanges?: readonly string[];
  /** Where the environment runs and how it is reached from outside (issue 9). */
  readonly site?: Site;
}

/**
 * Where an environment runs and how it is reached from outside (issue 9):
 * the LAN address of each Incus host (one for a standalone host, one per
 * member for a cluster) and, for OVN, the uplink and the addresses it routes
 * to this environment. Links between environments are resolved from this
 * data, never from names that only one host's DNS answers.
 */
export interface HostDeclaration {
  /** The Incus server or cluster member name (what `target_node` names). */
  readonly name: string;
  /** Its address on the LAN every environment can route to. */
  readonly lanAddress: string;
  /** Its LAN interface, when it differs from the one the base names (physical mode's macvlan parent). */
  readonly lanInterface?: string;
}

export interface OvnUplink {
  /** The uplink network OVN networks use as their parent. */
  readonly network: string;
  /** LAN addresses the uplink routes to this environment (its ipv4.routes): listen addresses for forwards. */
  readonly vips: readonly string[];
}

/** Storage drivers of Incus pools, and the ones whose pool every cluster member shares. */
export const STORAGE_DRIVERS = ['ceph', 'lvmcluster', 'zfs', 'btrfs', 'lvm', 'dir'] as const;
const SHARED_DRIVERS: readonly string[] = ['ceph', 'lvmcluster'];

/**
 * The pool an environment's instances and data volumes use unless they name another. Atlas
 * does not create it: it exists before the first apply (IncusOS's `local`, or a Ceph pool the
 * operator adds at cluster bring-up, see the README), like the cluster itself.
 */
export interface StorageDeclaration {
  readonly pool: string;
  /** ceph (and lvmcluster): one pool every member shares; the others hold each member's own disks. */
  readonly driver: (typeof STORAGE_DRIVERS)[number];
}

export interface Site {
  readonly kind: 'site';
  /** The environment this site belongs to. */
  readonly environment: string;
  readonly hosts: readonly HostDeclaration[];
  readonly ovn?: OvnUplink;
  readonly storage?: StorageDeclaration;
}

const siteSchema = z
  .object({
    environment: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected an environment name'),
    hosts: z
      .array(
        z
          .object({
            name: z.string().min(1),
            lanAddress: ipv4Address.schema,
            lanInterface: z.string().min(1).optional(),
          })
          .strict(),
      )
      .min(1, 'expected at least one host'),
    ovn: z
      .object({
        network: z.string().min(1),
        vips: z.array(ipv4Address.schema).min(1, 'expected at least one routed address'),
      })
      .strict()
      .optional(),
    storage: z
      .object({ pool: z.string().min(1), driver: z.enum(STORAGE_DRIVERS) })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    const seen = new Set<string>();
    s.hosts.forEach((h, i) => {
      if (seen.has(h.name))
        ctx.addIssue({
          code: 'custom',
          path: ['hosts', i, 'name'],
          message: `host "${h.name}" is listed twice`,
        });
      seen.add(h.name);
    });
  });

export type SiteSpec = z.input<typeof siteSchema>;

/** Declare where an environment's hosts are; throws a ConfigError naming each bad field. */
export function defineSite(spec: SiteSpec): Site {
  const s = parseConfig(siteSchema, spec, [spec.environment ?? 'site', 'site']);
  return { kind: 'site', ...s };
}

/** Whether the site is a cluster: more than one member, each with its own bridges and local pools. */
export function isCluster(site: Site | undefined): site is Site {
  return (site?.hosts.length ?? 0) > 1;
}

/** The host an instance runs on: its pinned member, or the only host; undefined when Incus chooses. */
export function hostOf(site: Site, targetNode: string | undefined): HostDeclaration | undefined {
  if (targetNode !== undefined) return site.hosts.find((h) => h.name === targetNode);
  return site.hosts.length === 1 ? site.hosts[0] : undefined;
}

/** The pool a service uses: the one it names, else its site's, else Incus's default `local`. */
export function storagePoolOf(site: Site | undefined, chosen: string | undefined): string {
  return chosen ?? site?.storage?.pool ?? 'local';
}

/**
 * A data volume on a pool of each member's own disks lives on one member, and its instance
 * must run there: on a cluster such an instance is pinned (its volume is created on that
 * member), else it is refused rather than placed by Atlas, which would pick failure domains
 * silently. A shared pool (Ceph) needs neither.
 */
export function requirePlacedVolume(
  site: Site | undefined,
  instance: string,
  pool: string,
  targetNode: string | undefined,
): void {
  if (!isCluster(site) || targetNode !== undefined) return;
  const declared = site.storage?.pool === pool ? site.storage : undefined;
  if (declared && SHARED_DRIVERS.includes(declared.driver)) return;
  throw new ConfigError([
    {
      path: [site.environment, instance, 'targetNode'],
      message: `${instance} keeps its data volume on "${pool}", ${declared ? `a ${declared.driver} pool` : 'a pool'} of each member's own disks, and ${site.environment} is a cluster: pin it with targetNode to one of ${site.hosts.map((h) => h.name).join(', ')} (its volume is created there), or keep its data on a shared pool (storagePool, or the site's storage, e.g. Ceph)`,
    },
  ]);
}
