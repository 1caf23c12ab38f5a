// expect: lab.capacity.ram: Unrecognized key
import { labEstate } from '../lab.mjs';

export default labEstate([], { capacity: { cpu: 8, memory: '16GB', disk: '500GB', ram: '16GB' } });
