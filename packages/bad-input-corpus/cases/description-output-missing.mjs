// expect: lab.outputs.note.description: expected a description
import { T } from '@atlas/core';
import { str } from '@atlas/hcl';
import { labEstate } from '../lab.mjs';

export default labEstate([], { outputs: { note: { value: str('x'), type: T.string } } });
