// expect: mosquitto_lb.description: expected one line
import { baseInfrastructure } from '@atlas/base';
import { defineEnvironment } from '@atlas/core';
import { mosquitto } from '@atlas/mosquitto';
import { ovnLoadBalancer } from '@atlas/ovn-lb';
import { estate } from '../lab.mjs';

const base = baseInfrastructure({
  mode: 'ovn',
  parent: 'uplink',
  uplinkOvnRanges: ['192.168.68.10-192.168.68.19'],
  networks: { production: { ipv4: '10.10.0.1/24' } },
});
const production = base.attach('production');
const mosquitto01 = mosquitto({ name: 'mosquitto01', network: production });
const lb = ovnLoadBalancer({
  name: 'mosquitto_lb',
  network: production,
  vip: '192.168.68.10',
  description: 'MQTT.\nAnd MQTTS.',
  backends: [mosquitto01],
  ports: [{ name: 'mqtt', port: 1883 }],
});
export default estate([
  defineEnvironment({
    name: 'lab',
    description: 'An OVN lab.',
    modules: [base.call, mosquitto01, lb],
  }),
]);
