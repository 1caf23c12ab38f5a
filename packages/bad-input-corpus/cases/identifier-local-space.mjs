// expect: lab.locals.my local: expected a local name
import { str } from '@atlas/hcl';
import { labEstate } from '../lab.mjs';

export default labEstate([], { locals: { 'my local': str('x') } });
