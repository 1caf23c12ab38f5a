// expect: lab.capacity.memory: the instances need
import { grafana } from '@atlas/grafana';
import { REPOSITORY, lab, management } from '../lab.mjs';

const env = lab([
  grafana({ name: 'grafana01', network: management, domain: 'grafana.example.com' }),
]);
export default {
  kind: 'estate',
  environments: [{ ...env, capacity: { cpu: 8, memory: '512MB', disk: '500GB' } }],
  modules: [],
  repository: REPOSITORY,
};
