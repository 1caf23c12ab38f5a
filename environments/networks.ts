import type { NetworkMode } from '@atlas/core';

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
