// expect: lab.loki02.proxy_devices.http-tcp: publishes tcp port 3100 on the host, and so does lab.loki01.proxy_devices.http-tcp
import { loki } from '@atlas/loki';
import { labEstate, management } from '../lab.mjs';

export default labEstate([
  loki({ name: 'loki01', network: management, externalAccess: {} }),
  loki({ name: 'loki02', network: management, externalAccess: {} }),
]);
