// expect: base.networks.management.ipv6: expected an IPv6 address with prefix length
import { baseInfrastructure } from '@atlas/base';
import { estate, lab } from '../lab.mjs';

const base = baseInfrastructure({
  networks: { management: { ipv4: '10.20.0.1/24', ipv6: 'fd00:1:2:3:4:5:6:7:8/64' } },
});
export default estate([lab([base.call])]);
