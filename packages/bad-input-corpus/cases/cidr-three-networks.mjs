// expect: base.networks.gitops.ipv4: 10.20.0.9/30 overlaps 10.20.0.1/24 of networks.management.ipv4
import { baseInfrastructure } from '@atlas/base';
import { estate, lab } from '../lab.mjs';

const base = baseInfrastructure({
  networks: {
    production: { ipv4: '10.10.0.1/24' },
    management: { ipv4: '10.20.0.1/24' },
    gitops: { ipv4: '10.20.0.9/30' },
  },
});
export default estate([lab([base.call])]);
