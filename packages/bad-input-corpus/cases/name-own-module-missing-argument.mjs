// expect: pinger01.target: module "pinger" needs a value for "target"
import { T, defineModule, variable } from '@atlas/core';
import { labEstate } from '../lab.mjs';

const pinger = defineModule({
  name: 'pinger',
  package: { name: 'corpus', version: '0.0.0' },
  description: 'Pings a target.',
  providers: [],
  variables: { target: variable({ type: T.string, description: 'What to ping.' }) },
  build: () => ({ resources: [], outputs: {} }),
});
export default labEstate([pinger.call('pinger01', {})]);
