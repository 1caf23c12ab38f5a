// expect: name: expected a lower-case name
import { defineEnvironment } from '@atlas/core';
import { base, estate } from '../lab.mjs';

export default estate([
  defineEnvironment({ name: 'Lab', description: 'A lab.', modules: [base.call] }),
]);
