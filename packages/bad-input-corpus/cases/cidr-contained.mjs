// expect: base.networks.gitops.ipv4: 10.0.0.1/8 overlaps 10.10.0.1/24 of networks.production.ipv4
import { baseInfrastructure } from '@atlas/base';
import { estate, lab } from '../lab.mjs';

const base = baseInfrastructure({
  networks: { production: { ipv4: '10.10.0.1/24' }, gitops: { ipv4: '10.0.0.1/8' } },
});
export default estate([lab([base.call])]);
