// expect: lab.outputs.note.sensitve: Unrecognized key
import { T } from '@atlas/core';
import { str } from '@atlas/hcl';
import { labEstate } from '../lab.mjs';

export default labEstate([], {
  outputs: { note: { description: 'A note.', value: str('x'), type: T.string, sensitve: true } },
});
