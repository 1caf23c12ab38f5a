// expect: base.networks.gitops: attach("gitops"): the base declares no "gitops" network
import { grafana } from '@atlas/grafana';
import { base, labEstate } from '../lab.mjs';

// Plain JavaScript: the types would refuse attach('gitops').
export default labEstate([
  grafana({ name: 'grafana01', network: base.attach('gitops'), domain: 'grafana.example.com' }),
]);
