// expect: lab.outputs.my output: expected an output name
import { T } from '@atlas/core';
import { str } from '@atlas/hcl';
import { REPOSITORY, lab } from '../lab.mjs';

const env = lab();
export default {
  kind: 'estate',
  environments: [
    {
      ...env,
      outputs: { 'my output': { description: 'A note.', value: str('x'), type: T.string } },
    },
  ],
  modules: [],
  repository: REPOSITORY,
};
