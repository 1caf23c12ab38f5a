// expect: lab.locals.greeting: contains a lone surrogate
import { str } from '@atlas/hcl';
import { labEstate } from '../lab.mjs';

export default labEstate([], { locals: { greeting: str('hi \udfff') } });
