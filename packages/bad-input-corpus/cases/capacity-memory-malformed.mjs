// expect: lab.capacity.memory: expected a size such as 512MB or 2GiB
import { grafana } from '@atlas/grafana';
import { prometheus } from '@atlas/prometheus';
import { labEstate, management } from '../lab.mjs';

export default labEstate(
  [
    prometheus({ name: 'prometheus01', network: management }),
    grafana({ name: 'grafana01', network: management, domain: 'grafana.example.com' }),
  ],
  { capacity: { cpu: 8, memory: '16 GB', disk: '500GB' } },
);
