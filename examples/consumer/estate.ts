// A small estate of our own, built from the published Atlas packages: one management
// network, a Prometheus, and a Grafana whose datasource is that Prometheus instance.
import { baseInfrastructure } from '@atlas/base';
import { defineEnvironment, output, T } from '@atlas/core';
import { defineEstate } from '@atlas/generator';
import { grafana } from '@atlas/grafana';
import { prometheus } from '@atlas/prometheus';

const base = baseInfrastructure({ networks: { management: { ipv4: '10.50.0.1/24' } } });
const management = base.attach('management');

const prometheus01 = prometheus({ name: 'prometheus01', network: management });
const grafana01 = grafana({
  name: 'grafana01',
  network: management,
  domain: 'grafana.lab.example.org',
  // An instance, not a URL: it renders as a reference to the module's endpoint output.
  datasources: [{ source: prometheus01, isDefault: true }],
});

const lab = defineEnvironment({
  name: 'lab',
  description: 'A lab host: metrics and dashboards on one management network.',
  modules: [base.call, prometheus01, grafana01],
  outputs: {
    grafana_url: output({
      description: 'Public URL of Grafana.',
      value: grafana01.outputs.url,
      type: T.string,
    }),
  },
});

export default defineEstate({
  environments: [lab],
  repository: 'https://git.example.org/lab/infrastructure.git',
});
