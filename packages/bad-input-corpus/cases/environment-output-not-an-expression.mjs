// expect: lab.outputs.note.value: expected an HCL expression
import { T } from '@atlas/core';
import { labEstate } from '../lab.mjs';

export default labEstate([], {
  outputs: { note: { description: 'A note.', value: 'x', type: T.string } },
});
