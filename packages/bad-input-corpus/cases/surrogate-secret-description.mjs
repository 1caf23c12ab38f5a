// expect: lab.variables.db_password.description: contains a lone surrogate
import { secret } from '@atlas/core';
import { labEstate } from '../lab.mjs';

export default labEstate([], { variables: [secret('db_password', 'The password \ud800.')] });
