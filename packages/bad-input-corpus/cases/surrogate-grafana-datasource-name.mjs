// expect: lab.grafana01.datasources[0].name: contains a lone surrogate
import { grafana } from '@atlas/grafana';
import { prometheus } from '@atlas/prometheus';
import { labEstate, management } from '../lab.mjs';

const prometheus01 = prometheus({ name: 'prometheus01', network: management });
export default labEstate([
  prometheus01,
  grafana({
    name: 'grafana01',
    network: management,
    domain: 'grafana.example.com',
    datasources: [{ source: prometheus01, name: 'Prometheus \ud800' }],
  }),
]);
