// expect: lab.mosquitto02.proxy_devices.mqtt-tcp: publishes tcp port 1883
import { mosquitto } from '@atlas/mosquitto';
import { REPOSITORY, lab, production } from '../lab.mjs';

// Two lab environments' calls merged by hand.
const env = lab([mosquitto({ name: 'mosquitto01', network: production })]);
const other = lab([mosquitto({ name: 'mosquitto02', network: production })]);
export default {
  kind: 'estate',
  environments: [{ ...env, modules: [...env.modules, other.modules[1]] }],
  modules: [],
  repository: REPOSITORY,
};
