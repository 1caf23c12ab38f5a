// expect: lab.capacity.disk: the instances need 114GB of disk (largest: prometheus01 102GB, grafana01 12GB), more than the hosts' 100GB
import { grafana } from '@atlas/grafana';
import { prometheus } from '@atlas/prometheus';
import { labEstate, management } from '../lab.mjs';

export default labEstate(
  [
    prometheus({ name: 'prometheus01', network: management }),
    grafana({ name: 'grafana01', network: management, domain: 'grafana.example.com' }),
  ],
  { capacity: { cpu: 8, memory: '16GB', disk: '100GB' } },
);
