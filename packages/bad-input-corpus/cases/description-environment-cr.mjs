// expect: lab.description: expected one line
import { labEstate } from '../lab.mjs';

export default labEstate([], { description: 'A lab.\rIn two lines.' });
