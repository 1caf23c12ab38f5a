// expect: lab.modles: Unrecognized key
import { labEstate } from '../lab.mjs';

export default labEstate([], { modles: [] });
