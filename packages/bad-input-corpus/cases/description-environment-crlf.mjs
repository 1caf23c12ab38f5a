// expect: lab.description: expected one line
import { labEstate } from '../lab.mjs';

export default labEstate([], { description: 'A lab.\r\nIn two lines.' });
