// expect: .name: expected a name of letters, digits and hyphens
import { grafana } from '@atlas/grafana';
import { labEstate, management } from '../lab.mjs';

export default labEstate([
  grafana({
    name: 'gxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
    network: management,
    domain: 'grafana.example.com',
  }),
]);
