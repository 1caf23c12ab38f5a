// expect: lab.capacity.cpu: the instances ask for 4 CPUs
// expect: 1 core × 2 overcommit
import { grafana } from '@atlas/grafana';
import { prometheus } from '@atlas/prometheus';
import { labEstate, management } from '../lab.mjs';

export default labEstate(
  [
    prometheus({ name: 'prometheus01', network: management }),
    grafana({ name: 'grafana01', network: management, domain: 'grafana.example.com' }),
  ],
  { capacity: { cpu: 1, memory: '16GB', disk: '500GB', cpuOvercommit: 2 } },
);
