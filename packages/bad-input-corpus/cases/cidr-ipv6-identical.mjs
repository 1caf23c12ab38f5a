// expect: base.networks.management.ipv6: fd00:10:10::2/64 overlaps fd00:10:10::1/64 of networks.production.ipv6
import { baseInfrastructure } from '@atlas/base';
import { estate, lab } from '../lab.mjs';

const base = baseInfrastructure({
  networks: {
    production: { ipv4: '10.10.0.1/24', ipv6: 'fd00:10:10::1/64' },
    management: { ipv4: '10.20.0.1/24', ipv6: 'fd00:10:10::2/64' },
  },
});
export default estate([lab([base.call])]);
