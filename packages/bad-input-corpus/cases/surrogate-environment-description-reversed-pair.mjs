// expect: lab.description: contains a lone surrogate
import { labEstate } from '../lab.mjs';

export default labEstate([], { description: 'A lab \ude00\ud83d.' });
