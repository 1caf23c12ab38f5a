import type { NetworkAttachment } from '@atlas/core';
import { ref } from '@atlas/hcl';

/** What `base.attach(role)` returns, for tests that need no base module. */
export function testNetwork(
  mode: NetworkAttachment['mode'] = 'bridge',
  role = 'management',
): NetworkAttachment {
  return {
    kind: 'network-attachment',
    role,
    mode,
    profiles: [
      ref('module.base.container_base_profile'),
      ref(`module.base.network_profiles.${role}`),
    ],
    network: ref(`module.base.networks.${role}`),
  };
}
