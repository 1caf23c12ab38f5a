// expect: grafana01.data.sise: Unrecognized key
import { grafana } from '@atlas/grafana';
import { labEstate, management } from '../lab.mjs';

export default labEstate([
  grafana({
    name: 'grafana01',
    network: management,
    domain: 'grafana.example.com',
    data: { sise: '10GB' },
  }),
]);
