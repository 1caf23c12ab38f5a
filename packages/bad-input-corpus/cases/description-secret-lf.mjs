// expect: lab.variables.db_password.description: expected one line
import { secret } from '@atlas/core';
import { labEstate } from '../lab.mjs';

export default labEstate([], {
  variables: [secret('db_password', 'The password.\n# not a comment')],
});
