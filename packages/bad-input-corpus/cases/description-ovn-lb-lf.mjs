// expect: mosquitto_lb.description: expected one line
import { ovnLabEstate } from '../lab.mjs';

export default ovnLabEstate({ lb: { description: 'MQTT.\nAnd MQTTS.' } });
