import type { Expr } from '@atlas/hcl';
import {
  defineSite,
  hostOf,
  type HostDeclaration,
  type NetworkMode,
  type Site,
  type StorageDeclaration,
} from '@atlas/core';

/** How an environment attaches its networks: the one field that switches bridge, physical and OVN (C5). */
export interface NetworkChoice {
  readonly mode: NetworkMode;
  /** physical: the LAN interface the production network attaches to. ovn: the uplink network. */
  readonly parent?: string;
  /** ovn: the uplink's ipv4.ovn.ranges, where load balancer VIPs must lie. */
  readonly uplinkOvnRanges?: readonly string[];
}

export const BRIDGE: NetworkChoice = { mode: 'bridge' };

/** The base module's settings for a choice; a mode that needs a parent gets the seeds' `eno1` by default. */
export function networkSettings(choice: NetworkChoice) {
  if (choice.mode === 'bridge') return { mode: choice.mode };
  if (choice.mode === 'physical') return { mode: choice.mode, parent: choice.parent ?? 'eno1' };
  return {
    mode: choice.mode,
    parent: choice.parent ?? 'uplink',
    // The seeds' LAN VIPs are 192.168.68.10 to .12.
    uplinkOvnRanges: [...(choice.uplinkOvnRanges ?? ['192.168.68.10-192.168.68.19'])],
  };
}

/**
 * Where an environment's hosts are on the LAN, and in OVN mode which LAN
 * addresses its uplink routes to it (for network forwards). Links between
 * environments are resolved from these addresses (issue 9).
 */
export function siteFor(
  environment: string,
  choice: NetworkChoice,
  hosts: readonly HostDeclaration[],
  forwardAddresses: readonly string[],
  storage?: StorageDeclaration,
): Site {
  const uplink = networkSettings(choice).parent;
  return defineSite({
    environment,
    hosts: [...hosts],
    ...(storage ? { storage } : {}),
    ...(choice.mode === 'ovn' && uplink
      ? { ovn: { network: uplink, vips: [...forwardAddresses] } }
      : {}),
  });
}

/**
 * Where a container on `network` reaches its own host's Incus API: a bridge's
 * gateway is the host itself; an OVN network's gateway is its virtual router,
 * so there the host is reached at its LAN address (the member `node` on a cluster).
 */
export function ownHost(
  site: Site,
  network: { readonly mode: NetworkMode },
  gateway: Expr,
  node?: string,
): Expr | string {
  if (network.mode !== 'ovn') return gateway;
  const host = hostOf(site, node);
  if (!host) throw new TypeError(`${site.environment}: name the member whose Incus API to use`);
  return host.lanAddress;
}
