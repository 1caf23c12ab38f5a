// expect: base.networks.management.ipv4: expected an IPv4 address with prefix length
import { baseInfrastructure } from '@atlas/base';
import { estate, lab } from '../lab.mjs';

const base = baseInfrastructure({ networks: { management: { ipv4: '10.20.0.256/24' } } });
export default estate([lab([base.call])]);
