// expect: base.uplinkOvnRanges: only ovn mode has an uplink
import { baseInfrastructure } from '@atlas/base';
import { estate, lab } from '../lab.mjs';

const base = baseInfrastructure({
  uplinkOvnRanges: ['192.168.68.10-192.168.68.19'],
  networks: { production: { ipv4: '10.10.0.1/24' } },
});
export default estate([lab([base.call])]);
