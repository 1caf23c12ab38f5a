// expect: mosquitto_lb.vip: 10.10.0.10 is outside the uplink's OVN ranges (192.168.68.10, 192.168.68.20-192.168.68.29
import { ovnLabEstate } from '../lab.mjs';

export default ovnLabEstate({
  uplinkOvnRanges: ['192.168.68.10', '192.168.68.20-192.168.68.29'],
  lb: { vip: '10.10.0.10' },
});
