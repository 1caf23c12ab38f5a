// expect: lab.variables.db_password.description: expected a description
import { secret } from '@atlas/core';
import { labEstate } from '../lab.mjs';

export default labEstate([], { variables: [secret('db_password', '')] });
