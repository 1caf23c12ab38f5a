// expect: lab.outputs.note.description: expected one line
import { T, output } from '@atlas/core';
import { str } from '@atlas/hcl';
import { labEstate } from '../lab.mjs';

export default labEstate([], {
  outputs: {
    note: output({ description: 'First line.\nSecond line.', value: str('x'), type: T.string }),
  },
});
