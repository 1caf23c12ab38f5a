// expect: ovn-central01.hostAddress: expected an IPv4 address
import { ovnCentral } from '@atlas/ovn-central';
import { labEstate, management } from '../lab.mjs';

export default labEstate([
  ovnCentral({ name: 'ovn-central01', network: management, hostAddress: '192.168.71.300' }),
]);
