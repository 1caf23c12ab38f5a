import type { NetworkMode } from '@atlas/core';

/** How an environment attaches its networks: the one field that switches bridge, physical and OVN (C5). */
export interface NetworkChoice {
  readonly mode: NetworkMode;
  /** physical: the LAN interface the production network attaches to. ovn: the uplink network. */
  readonly parent?: string;
}

export const BRIDGE: NetworkChoice = { mode: 'bridge' };

/** The base module's settings for a choice; a mode that needs a parent gets the seeds' `eno1` by default. */
export function networkSettings(choice: NetworkChoice) {
  if (choice.mode === 'bridge') return { mode: choice.mode };
  return {
    mode: choice.mode,
    parent: choice.parent ?? (choice.mode === 'ovn' ? 'uplink' : 'eno1'),
  };
}
