// expect: grafana01.data.snapshots.schedule: expected a cron expression of five fields in range
import { grafana } from '@atlas/grafana';
import { labEstate, management } from '../lab.mjs';

export default labEstate([
  grafana({
    name: 'grafana01',
    network: management,
    domain: 'grafana.example.com',
    data: { snapshots: { enabled: true, schedule: '60 * * * *' } },
  }),
]);
