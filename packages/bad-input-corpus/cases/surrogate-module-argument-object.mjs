// expect: lab.settings01.settings.colour: contains a lone surrogate
import { T, defineModule, variable } from '@atlas/core';
import { labEstate } from '../lab.mjs';

const settings = defineModule({
  name: 'settings',
  package: { name: 'corpus', version: '0.0.0' },
  description: 'Holds settings.',
  providers: [],
  variables: {
    settings: variable({ type: T.map(T.string), description: 'Settings by name.', default: {} }),
  },
  build: () => ({ resources: [], outputs: {} }),
});
export default labEstate([settings.call('settings01', { settings: { colour: 'blue \udc00' } })]);
