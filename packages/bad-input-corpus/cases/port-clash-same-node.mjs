// expect: lab.mosquitto02.proxy_devices.mqtt-tcp: publishes tcp port 1883 on the host, and so does lab.mosquitto01.proxy_devices.mqtt-tcp (both on node1)
import { mosquitto } from '@atlas/mosquitto';
import { labEstate, production } from '../lab.mjs';

export default labEstate([
  mosquitto({ name: 'mosquitto01', network: production, targetNode: 'node1' }),
  mosquitto({ name: 'mosquitto02', network: production, targetNode: 'node1' }),
]);
