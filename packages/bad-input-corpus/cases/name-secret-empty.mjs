// expect: variables.: expected a variable name
import { secret } from '@atlas/core';
import { labEstate } from '../lab.mjs';

// A secret named with nothing.
export default labEstate([], { variables: [secret('', 'A password.')] });
