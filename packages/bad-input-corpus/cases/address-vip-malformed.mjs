// expect: mosquitto_lb.vip: expected an IPv4 address
import { ovnLabEstate } from '../lab.mjs';

export default ovnLabEstate({ lb: { vip: '192.168.68.1000' } });
