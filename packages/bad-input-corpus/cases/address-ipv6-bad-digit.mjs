// expect: base.networks.management.ipv6: expected an IPv6 address with prefix length
import { baseInfrastructure } from '@atlas/base';
import { estate, lab } from '../lab.mjs';

const base = baseInfrastructure({
  networks: { management: { ipv4: '10.20.0.1/24', ipv6: 'fd00::g/64' } },
});
export default estate([lab([base.call])]);
