import { z } from 'zod';
import { parseConfig } from './errors.js';
import { ipv4Address } from './rules.js';

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
}

export interface OvnUplink {
  /** The uplink network OVN networks use as their parent. */
  readonly network: string;
  /** LAN addresses the uplink routes to this environment (its ipv4.routes): listen addresses for forwards. */
  readonly vips: readonly string[];
}

export interface Site {
  readonly kind: 'site';
  /** The environment this site belongs to. */
  readonly environment: string;
  readonly hosts: readonly HostDeclaration[];
  readonly ovn?: OvnUplink;
}

const siteSchema = z
  .object({
    environment: z.string().regex(/^[a-z][a-z0-9-]*$/, 'expected an environment name'),
    hosts: z
      .array(z.object({ name: z.string().min(1), lanAddress: ipv4Address.schema }).strict())
      .min(1, 'expected at least one host'),
    ovn: z
      .object({
        network: z.string().min(1),
        vips: z.array(ipv4Address.schema).min(1, 'expected at least one routed address'),
      })
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

/** The host an instance runs on: its pinned member, or the only host; undefined when Incus chooses. */
export function hostOf(site: Site, targetNode: string | undefined): HostDeclaration | undefined {
  if (targetNode !== undefined) return site.hosts.find((h) => h.name === targetNode);
  return site.hosts.length === 1 ? site.hosts[0] : undefined;
}
