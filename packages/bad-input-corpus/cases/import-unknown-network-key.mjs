// expect: lab.imports[0].key: module "base" makes incus_network.this for "production", "management", not "lan"
import { adopt } from '@atlas/core';
import { base, labEstate } from '../lab.mjs';

// The base makes networks for its declared roles only: an import into another key adopts nothing.
export default labEstate([], {
  imports: [
    adopt(base.call, 'incus_network.this', {
      key: 'lan',
      id: 'eno1',
      reason: 'Made by hand before Atlas.',
    }),
  ],
});
