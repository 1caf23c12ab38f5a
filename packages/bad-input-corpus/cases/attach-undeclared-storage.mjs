// expect: base.networks.storage: attach("storage"): the base declares no "storage" network
import { grafana } from '@atlas/grafana';
import { base, labEstate } from '../lab.mjs';

// Plain JavaScript: the types would refuse attach('storage').
export default labEstate([
  grafana({ name: 'grafana01', network: base.attach('storage'), domain: 'grafana.example.com' }),
]);
