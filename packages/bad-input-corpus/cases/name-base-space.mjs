// expect: base.name: expected an identifier
import { baseInfrastructure } from '@atlas/base';
import { estate, lab } from '../lab.mjs';

const base = baseInfrastructure({
  name: 'my base',
  networks: { management: { ipv4: '10.20.0.1/24' } },
});
export default estate([lab([base.call])]);
