// expect: lab.mosquitto01.proxy_devices.mqtt-tcp: publishes tcp port 3100 on the host, and so does lab.loki01.proxy_devices.http-tcp
import { loki } from '@atlas/loki';
import { mosquitto } from '@atlas/mosquitto';
import { labEstate, management, production } from '../lab.mjs';

export default labEstate([
  loki({ name: 'loki01', network: management, externalAccess: { hostPort: 3100 } }),
  mosquitto({ name: 'mosquitto01', network: production, hostPorts: { mqtt: 3100 } }),
]);
