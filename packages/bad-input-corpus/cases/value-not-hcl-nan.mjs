// expect: settings01.settings: expected a value HCL can hold
import { T, defineModule, variable } from '@atlas/core';
import { labEstate } from '../lab.mjs';

const settings = defineModule({
  name: 'settings',
  package: { name: 'corpus', version: '0.0.0' },
  description: 'Holds settings.',
  providers: [],
  variables: {
    settings: variable({ type: T.map(T.number), description: 'Settings by name.', default: {} }),
  },
  build: () => ({ resources: [], outputs: {} }),
});
export default labEstate([settings.call('settings01', { settings: { limit: Number.NaN } })]);
