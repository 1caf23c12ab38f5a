// expect: lab.outputs.note.description: expected a description
import { T, output } from '@atlas/core';
import { str } from '@atlas/hcl';
import { labEstate } from '../lab.mjs';

export default labEstate([], {
  outputs: { note: output({ description: '', value: str('x'), type: T.string }) },
});
