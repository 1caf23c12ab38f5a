// expect: lab.variables.greeting: contains a lone surrogate
import { T, envVariable } from '@atlas/core';
import { labEstate } from '../lab.mjs';

export default labEstate([], {
  variables: [envVariable('greeting', { type: T.string, description: 'A greeting.' }, 'hi \ud800')],
});
