// expect: base.networks.managment: Unrecognized key
import { baseInfrastructure } from '@atlas/base';
import { estate, lab } from '../lab.mjs';

const base = baseInfrastructure({ networks: { managment: { ipv4: '10.20.0.1/24' } } });
export default estate([lab([base.call])]);
