// expect: mosquitto_lb.vip: 192.168.68.50 is outside the uplink's OVN ranges (192.168.68.10-192.168.68.19
import { ovnLabEstate } from '../lab.mjs';

export default ovnLabEstate({ lb: { vip: '192.168.68.50' } });
