// expect: lab.outputs.my output: expected an output name
import { T, output } from '@atlas/core';
import { str } from '@atlas/hcl';
import { labEstate } from '../lab.mjs';

export default labEstate([], {
  outputs: { 'my output': output({ description: 'A note.', value: str('x'), type: T.string }) },
});
