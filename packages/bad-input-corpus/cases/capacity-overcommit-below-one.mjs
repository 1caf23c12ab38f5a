// expect: lab.capacity.cpuOvercommit: expected a factor of at least 1
import { grafana } from '@atlas/grafana';
import { prometheus } from '@atlas/prometheus';
import { labEstate, management } from '../lab.mjs';

export default labEstate(
  [
    prometheus({ name: 'prometheus01', network: management }),
    grafana({ name: 'grafana01', network: management, domain: 'grafana.example.com' }),
  ],
  { capacity: { cpu: 8, memory: '16GB', disk: '500GB', cpuOvercommit: 0.5 } },
);
