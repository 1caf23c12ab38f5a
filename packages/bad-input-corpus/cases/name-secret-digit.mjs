// expect: variables.1password: expected a variable name
import { secret } from '@atlas/core';
import { labEstate } from '../lab.mjs';

// A secret named with a leading digit.
export default labEstate([], { variables: [secret('1password', 'A password.')] });
