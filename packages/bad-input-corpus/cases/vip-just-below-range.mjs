// expect: mosquitto_lb.vip: 192.168.68.9 is outside the uplink's OVN ranges
import { ovnLabEstate } from '../lab.mjs';

export default ovnLabEstate({ lb: { vip: '192.168.68.9' } });
