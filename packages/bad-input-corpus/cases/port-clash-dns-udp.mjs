// expect: lab.coredns02.proxy_devices.dns-udp: publishes udp port 53 on the host, and so does lab.coredns01.proxy_devices.dns-udp
import { coredns } from '@atlas/coredns';
import { base, labEstate, production } from '../lab.mjs';

const dns = (name) =>
  coredns({
    name,
    network: production,
    dnsListenAddress: '192.168.1.10',
    zone: 'example.com',
    incusDns: base.gateway('production'),
  });
export default labEstate([dns('coredns01'), dns('coredns02')]);
