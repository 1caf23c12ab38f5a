// expect: lab.outputs.: expected an output name
import { T, output } from '@atlas/core';
import { str } from '@atlas/hcl';
import { labEstate } from '../lab.mjs';

export default labEstate([], {
  outputs: { '': output({ description: 'A note.', value: str('x'), type: T.string }) },
});
