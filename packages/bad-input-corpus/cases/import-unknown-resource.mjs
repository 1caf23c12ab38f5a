// expect: lab.imports[0].resource: module "base" declares no resource "incus_network.production"
import { adopt } from '@atlas/core';
import { base, labEstate } from '../lab.mjs';

// The seeds' old address (module.base.incus_network.production) is not the base module's.
export default labEstate([], {
  imports: [adopt(base.call, 'incus_network.production', { id: 'eno1', reason: 'Made by hand.' })],
});
