// expect: base.uplinkOvnRanges[0]: expected an IPv4 range
import { ovnLabEstate } from '../lab.mjs';

export default ovnLabEstate({ uplinkOvnRanges: ['192.168.68.19-192.168.68.10'] });
