// expect: lab.description: expected one line
import { REPOSITORY, lab } from '../lab.mjs';

export default {
  kind: 'estate',
  environments: [{ ...lab(), description: 'Two\nlines.' }],
  modules: [],
  repository: REPOSITORY,
};
