// expect: variables.db password: expected a variable name
import { secret } from '@atlas/core';
import { labEstate } from '../lab.mjs';

// A secret named with a space.
export default labEstate([], { variables: [secret('db password', 'A password.')] });
