// expect: lab.outputs.note: contains a lone surrogate
import { T, output } from '@atlas/core';
import { str } from '@atlas/hcl';
import { labEstate } from '../lab.mjs';

export default labEstate([], {
  outputs: { note: output({ description: 'A note.', value: str('note \ud83d'), type: T.string }) },
});
