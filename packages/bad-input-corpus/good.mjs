// The valid estate the corpus generates first; every bad case must leave its output as it is.
import { grafana } from '@atlas/grafana';
import { prometheus } from '@atlas/prometheus';
import { labEstate, management, ownModule } from './lab.mjs';

const echo = ownModule();
export default labEstate(
  [
    prometheus({ name: 'prometheus01', network: management }),
    grafana({ name: 'grafana01', network: management, domain: 'grafana.example.com' }),
    echo.call('echo01', {}),
  ],
  { capacity: { cpu: 8, memory: '16GB', disk: '500GB' } },
);
