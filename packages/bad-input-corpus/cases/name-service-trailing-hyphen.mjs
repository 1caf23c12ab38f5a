// expect: grafana01-.name: expected a name
import { grafana } from '@atlas/grafana';
import { labEstate, management } from '../lab.mjs';

export default labEstate([
  grafana({
    name: 'grafana01',
    network: management,
    domain: 'grafana.example.com',
    name: 'grafana01-',
  }),
]);
