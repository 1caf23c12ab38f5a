// expect: lab.prometheus01.scrape_jobs: prometheus01 (lab) cannot reach loki01 (lab, management network, bridge): its management bridge is NAT-ed, and prometheus01 is on the production macvlan, which cannot reach its own host's address (lab, 192.168.71.5); attach prometheus01 to a bridge network, or leave out this link
import { baseInfrastructure } from '@atlas/base';
import { defineSite } from '@atlas/core';
import { loki } from '@atlas/loki';
import { prometheus, scrapeJob } from '@atlas/prometheus';
import { labEstate } from '../lab.mjs';

const site = defineSite({
  environment: 'lab',
  hosts: [{ name: 'lab', lanAddress: '192.168.71.5' }],
});
const lan = baseInfrastructure({
  mode: 'physical',
  parent: 'eno1',
  networks: { management: { ipv4: '10.20.0.1/24' }, production: { ipv4: '10.10.0.1/24' } },
  site,
});
const loki01 = loki({ name: 'loki01', network: lan.attach('management') });

export default labEstate(
  [
    loki01,
    prometheus({
      name: 'prometheus01',
      network: lan.attach('production'),
      scrapeJobs: [scrapeJob('loki', loki01)],
    }),
  ],
  { site },
);
