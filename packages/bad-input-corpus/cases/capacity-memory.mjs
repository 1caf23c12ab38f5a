// expect: lab.capacity.memory: the instances need 3GB of memory (largest: prometheus01 2GB, grafana01 1GB), more than the hosts' 2GB
import { grafana } from '@atlas/grafana';
import { prometheus } from '@atlas/prometheus';
import { labEstate, management } from '../lab.mjs';

export default labEstate(
  [
    prometheus({ name: 'prometheus01', network: management }),
    grafana({ name: 'grafana01', network: management, domain: 'grafana.example.com' }),
  ],
  { capacity: { cpu: 8, memory: '2GB', disk: '500GB' } },
);
