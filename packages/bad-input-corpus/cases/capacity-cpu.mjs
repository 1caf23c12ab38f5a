// expect: lab.capacity.cpu: the instances ask for 4 CPUs (largest: prometheus01 2, grafana01 2), more than the hosts' 2 cores
import { grafana } from '@atlas/grafana';
import { prometheus } from '@atlas/prometheus';
import { labEstate, management } from '../lab.mjs';

export default labEstate(
  [
    prometheus({ name: 'prometheus01', network: management }),
    grafana({ name: 'grafana01', network: management, domain: 'grafana.example.com' }),
  ],
  { capacity: { cpu: 2, memory: '16GB', disk: '500GB' } },
);
