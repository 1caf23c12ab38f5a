import { alloy } from '@atlas/alloy';
import { atlantis } from '@atlas/atlantis';
import { baseInfrastructure } from '@atlas/base';
import { cloudflared } from '@atlas/cloudflared';
import {
  defineEnvironment,
  enableSwitch,
  fromEnvironment,
  output,
  T,
  type Environment,
} from '@atlas/core';
import { grafana } from '@atlas/grafana';
import { tpl } from '@atlas/hcl';
import { incusLoki } from '@atlas/incus-loki';
import { incusApiAddress, incusMetrics } from '@atlas/incus-metrics';
import { loki } from '@atlas/loki';
import { federationJob, prometheus, prometheusReference, scrapeJob } from '@atlas/prometheus';
import { stepCa } from '@atlas/step-ca';
import type { Cluster01Shared } from './cluster01.js';
import { networkSettings, ownHost, siteFor, type NetworkChoice } from './networks.js';

/** iapetus's address on the LAN, where its published ports are. */
export const IAPETUS_HOST = { name: 'iapetus', lanAddress: '192.168.71.10' } as const;

/** LAN addresses the OVN uplink routes to iapetus, for network forwards (OVN mode). */
export const IAPETUS_FORWARD_ADDRESSES = [
  '192.168.68.20',
  '192.168.68.21',
  '192.168.68.22',
  '192.168.68.23',
];

/**
 * iapetus: the control plane, a single IncusOS host. Central dashboards, the
 * Prometheus that federates cluster01, the Loki that cluster01 ships logs to,
 * the internal CA, the Cloudflare tunnel and Atlantis.
 */

/** What iapetus offers other environments; built before them so they can refer to it. */
export function iapetusShared(network: NetworkChoice) {
  const site = siteFor('iapetus', network, [IAPETUS_HOST], IAPETUS_FORWARD_ADDRESSES);
  const base = baseInfrastructure({
    ...networkSettings(network),
    site,
    networks: {
      production: { ipv4: '10.10.0.1/24' },
      management: { ipv4: '10.20.0.1/24' },
      gitops: { ipv4: '10.30.0.1/24' },
    },
  });
  const management = base.attach('management');
  const loki01 = loki({
    name: 'loki01',
    network: management,
    retention: { period: '720h', deleteDelay: '2h' },
  });
  // Every instance but Loki uploads its journal to Alloy, which ships it with its own to Loki.
  // Loki keeps its journal to itself: shipping it would log each push it takes, without end.
  const alloy01 = alloy({
    name: 'alloy01',
    network: management,
    loki: loki01,
    labels: { environment: 'iapetus' },
  });
  // cluster01's broker takes its certificate with a signed token: the CA cannot reach it for a challenge.
  const stepCa01 = stepCa({
    name: 'step-ca01',
    network: management,
    journalTo: alloy01,
    caName: 'Atlas Internal CA',
    serviceProvisioner: 'services',
  });
  return { site, base, loki01, alloy01, stepCa01 };
}

export type IapetusShared = ReturnType<typeof iapetusShared>;

export function iapetus(shared: IapetusShared, cluster01: Cluster01Shared): Environment {
  const { site, base, loki01, alloy01, stepCa01 } = shared;
  const journalTo = alloy01;
  const management = base.attach('management');

  const cluster01Prometheus = fromEnvironment('cluster01', cluster01.prometheus01);
  const cluster01Alertmanager = fromEnvironment('cluster01', cluster01.alertmanager01);

  const metrics = incusMetrics({
    name: 'incus_metrics',
    enabledBy: enableSwitch(
      'enable_incus_metrics',
      "Whether Prometheus scrapes this environment's Incus metrics: false removes the metrics certificate from Incus and the incus job from prometheus01.",
    ),
    address: incusApiAddress(ownHost(site, management, base.gateway('management'))),
  });
  const cloudflared01 = cloudflared({ name: 'cloudflared01', network: management, journalTo });

  // Grafana queries this Prometheus and Prometheus scrapes Grafana: refer to it before it is built.
  const prometheus01Ref = prometheusReference('prometheus01');
  const grafana01 = grafana({
    name: 'grafana01',
    network: management,
    journalTo,
    domain: 'grafana.accuser.dev',
    datasources: [
      { source: prometheus01Ref, name: 'Prometheus', isDefault: true },
      { source: cluster01Prometheus, name: 'Prometheus (cluster01)' },
      { source: loki01, name: 'Loki' },
      { source: cluster01Alertmanager, name: 'Alertmanager (cluster01)' },
    ],
  });

  const prometheus01 = prometheus({
    name: prometheus01Ref.name,
    network: management,
    journalTo,
    retention: { time: '30d' },
    scrapeJobs: [
      scrapeJob('grafana', grafana01),
      scrapeJob('loki', loki01),
      scrapeJob('alloy', alloy01),
      scrapeJob('cloudflared', cloudflared01),
      federationJob(cluster01Prometheus),
    ],
    alertmanagers: [cluster01Alertmanager],
    incusMetrics: metrics,
  });

  const atlantis01 = atlantis({
    name: 'atlantis01',
    // An OCI application container, without systemd: Incus keeps its output in the console log.
    network: base.attach('gitops'),
    domain: 'atlantis.accuser.dev',
    repoAllowlist: ['github.com/accuser-dev/atlas'],
    githubUser: 'atlas-atlantis',
    incusRemotes: [
      {
        name: 'iapetus',
        address: tpl`https://${ownHost(site, base.attach('gitops'), base.gateway('gitops'))}:8443`,
        serverCertificate: 'variable',
        default: true,
      },
      // The cluster's API answers on every member; its first declared member's LAN address.
      {
        name: 'cluster01',
        address: `https://${cluster01.site.hosts[0]!.lanAddress}:8443`,
        serverCertificate: 'variable',
      },
    ],
  });

  const incusLogs = incusLoki({
    name: 'incus_loki',
    enabledBy: enableSwitch(
      'enable_incus_loki',
      'Whether the Incus daemon ships its lifecycle and logging events to loki01: false removes the logging target from the server configuration.',
    ),
    loki: loki01,
    site,
  });

  return defineEnvironment({
    name: 'iapetus',
    // The seeds' recommended host; CPU limits are soft, so instances may ask for more cores than it has.
    capacity: { cpu: 8, memory: '16GB', disk: '500GB', cpuOvercommit: 2 },
    site,
    description:
      'Control plane on a single IncusOS host: central dashboards, the federating Prometheus, aggregated logs, the internal CA, the Cloudflare tunnel and Atlantis.',
    modules: [
      base.call,
      stepCa01,
      loki01,
      alloy01,
      metrics,
      prometheus01,
      grafana01,
      cloudflared01,
      atlantis01,
      incusLogs,
    ],
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
      step_ca_acme_endpoint: output({
        description: 'ACME directory of the internal CA.',
        value: stepCa01.outputs.acme_directory_url,
        type: T.string,
      }),
      step_ca_fingerprint_command: output({
        description:
          'Command that prints the CA root fingerprint (set it in cluster01 as step-ca01_root_fingerprint).',
        value: stepCa01.outputs.fingerprint_command,
        type: T.string,
      }),
      cloudflared_metrics_endpoint: output({
        description: 'Cloudflared metrics endpoint, or null while no tunnel token is set.',
        value: cloudflared01.outputs.metrics_endpoint,
        type: T.string,
      }),
      alloy_endpoint: output({
        description: 'HTTP endpoint of Alloy, the log shipper (its UI and API).',
        value: alloy01.outputs.endpoint,
        type: T.string,
      }),
      alloy_loki_target: output({
        description: 'Loki push URL Alloy ships logs to.',
        value: alloy01.outputs.loki_target,
        type: T.string,
      }),
      incus_metrics_endpoint: output({
        description:
          'Incus metrics endpoint Prometheus scrapes over mTLS; null while enable_incus_metrics is false.',
        value: metrics.outputs.metrics_endpoint,
        type: T.string,
      }),
      incus_loki_logging_name: output({
        description:
          'Name of the Incus logging target that ships to Loki; null while enable_incus_loki is false.',
        value: incusLogs.outputs.logging_name,
        type: T.string,
      }),
      atlantis_webhook_url: output({
        description: 'URL GitHub posts pull request events to.',
        value: atlantis01.outputs.webhook_url,
        type: T.string,
      }),
    },
  });
}
