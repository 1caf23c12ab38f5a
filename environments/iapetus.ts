import { baseInfrastructure } from '@atlas/base';
import { defineEnvironment, output, T } from '@atlas/core';
import { grafana } from '@atlas/grafana';
import { loki } from '@atlas/loki';
import { prometheus, scrapeJob } from '@atlas/prometheus';

/**
 * iapetus: the control plane. A single IncusOS host running the central
 * dashboards, the federating Prometheus and the aggregated Loki.
 */
const base = baseInfrastructure({
  mode: 'bridge',
  networks: {
    production: { ipv4: '10.10.0.1/24' },
    management: { ipv4: '10.20.0.1/24' },
    gitops: { ipv4: '10.30.0.1/24' },
  },
});

export const loki01 = loki({
  name: 'loki01',
  network: base.attach('management'),
  retention: { period: '720h', deleteDelay: '2h' },
});

export const prometheus01 = prometheus({
  name: 'prometheus01',
  network: base.attach('management'),
  retention: { time: '30d' },
  scrapeJobs: [scrapeJob('loki', loki01)],
});

export const grafana01 = grafana({
  name: 'grafana01',
  network: base.attach('management'),
  domain: 'grafana.accuser.dev',
  datasources: [
    { source: prometheus01, name: 'Prometheus', isDefault: true },
    { source: loki01, name: 'Loki' },
  ],
});

export const iapetus = defineEnvironment({
  name: 'iapetus',
  description:
    'Control plane: central dashboards (Grafana), the federating Prometheus and the aggregated Loki, on a single IncusOS host.',
  modules: [base.call, loki01, prometheus01, grafana01],
  outputs: {
    grafana_url: output({
      description: 'Public URL of Grafana.',
      value: grafana01.outputs.url,
      type: T.string,
    }),
    prometheus_endpoint: output({
      description: 'Internal Prometheus endpoint URL.',
      value: prometheus01.outputs.endpoint,
      type: T.string,
    }),
    loki_endpoint: output({
      description: 'Internal Loki endpoint URL.',
      value: loki01.outputs.endpoint,
      type: T.string,
    }),
    loki_push_url: output({
      description: 'URL log shippers push to.',
      value: loki01.outputs.push_url,
      type: T.string,
    }),
  },
});
