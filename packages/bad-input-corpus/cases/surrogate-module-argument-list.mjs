// expect: lab.names01.names[1]: contains a lone surrogate
import { T, defineModule, variable } from '@atlas/core';
import { labEstate } from '../lab.mjs';

const names = defineModule({
  name: 'names',
  package: { name: 'corpus', version: '0.0.0' },
  description: 'Holds names.',
  providers: [],
  variables: { names: variable({ type: T.list(T.string), description: 'Names.', default: [] }) },
  build: () => ({ resources: [], outputs: {} }),
});
export default labEstate([names.call('names01', { names: ['ok', 'bad \ud800'] })]);
