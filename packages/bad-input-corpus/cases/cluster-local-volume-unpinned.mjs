// expect: lab.loki01.targetNode: loki01 keeps its data volume on "local", a pool of each member's own disks, and lab is a cluster: pin it with targetNode to one of node1, node2 (its volume is created there), or keep its data on a shared pool (storagePool, or the site's storage, e.g. Ceph)
import { baseInfrastructure } from '@atlas/base';
import { defineSite } from '@atlas/core';
import { loki } from '@atlas/loki';
import { labEstate } from '../lab.mjs';

const site = defineSite({
  environment: 'lab',
  hosts: [
    { name: 'node1', lanAddress: '192.168.71.5' },
    { name: 'node2', lanAddress: '192.168.71.6' },
  ],
});
const cluster = baseInfrastructure({ networks: { management: { ipv4: '10.20.0.1/24' } }, site });

export default labEstate([loki({ name: 'loki01', network: cluster.attach('management') })], {
  site,
});
