// expect: lab.description: expected a description
import { labEstate } from '../lab.mjs';

export default labEstate([], { description: undefined });
