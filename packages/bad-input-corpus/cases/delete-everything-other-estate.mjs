// expect: environments: this estate would delete all
import { defineEnvironment } from '@atlas/core';
import { defineEstate } from '@atlas/generator';
import { REPOSITORY } from '../lab.mjs';

// A different environment and no published modules: none of the current files stay.
export default defineEstate({
  repository: REPOSITORY,
  environments: [defineEnvironment({ name: 'other', description: 'Another estate.', modules: [] })],
});
