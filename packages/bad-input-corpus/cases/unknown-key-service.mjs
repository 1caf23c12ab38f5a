// expect: grafana01.cpus: Unrecognized key
import { grafana } from '@atlas/grafana';
import { labEstate, management } from '../lab.mjs';

export default labEstate([
  grafana({ name: 'grafana01', network: management, domain: 'grafana.example.com', cpus: 2 }),
]);
