// expect: variables.my-secret!: expected a variable name
import { secret } from '@atlas/core';
import { labEstate } from '../lab.mjs';

// A secret named with a "!".
export default labEstate([], { variables: [secret('my-secret!', 'A password.')] });
