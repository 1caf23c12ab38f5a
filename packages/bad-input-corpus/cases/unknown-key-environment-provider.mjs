// expect: lab.provider.remot: Unrecognized key
import { labEstate } from '../lab.mjs';

export default labEstate([], { provider: { remot: 'cluster01' } });
