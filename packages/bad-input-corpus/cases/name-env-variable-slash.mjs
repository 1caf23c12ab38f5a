// expect: variables.a/b: expected a variable name
import { T, envVariable } from '@atlas/core';
import { labEstate } from '../lab.mjs';

export default labEstate([], {
  variables: [envVariable('a/b', { type: T.string, description: 'A value.' })],
});
