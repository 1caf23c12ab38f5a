import { alertmanager } from '@atlas/alertmanager';
import { alloy } from '@atlas/alloy';
import { baseInfrastructure } from '@atlas/base';
import { coredns } from '@atlas/coredns';
import {
  defineEnvironment,
  enableSwitch,
  fromEnvironment,
  output,
  T,
  type Environment,
  type ModuleCall,
} from '@atlas/core';
import { forgejoRunner } from '@atlas/forgejo-runner';
import { object } from '@atlas/hcl';
import { incusLoki } from '@atlas/incus-loki';
import type { LokiInstance } from '@atlas/loki';
import { incusApiAddress, incusMetrics } from '@atlas/incus-metrics';
import { mosquitto } from '@atlas/mosquitto';
import { nodeExporters } from '@atlas/node-exporter';
import { ovnCentral } from '@atlas/ovn-central';
import { ovnLoadBalancer } from '@atlas/ovn-lb';
import { prometheus, scrapeJob } from '@atlas/prometheus';
import type { StepCaInstance } from '@atlas/step-ca';
import { networkSettings, ownHost, siteFor, type NetworkChoice } from './networks.js';

/** The three members of the IncusOS cluster; one node-exporter is pinned to each. */
export const CLUSTER01_NODES = ['node1', 'node2', 'node3'] as const;

/** The members' addresses on the LAN: a published port is on the member its instance is pinned to. */
export const CLUSTER01_HOSTS = [
  { name: 'node1', lanAddress: '192.168.71.5' },
  { name: 'node2', lanAddress: '192.168.71.6' },
  { name: 'node3', lanAddress: '192.168.71.7' },
] as const;

/**
 * The seeds put cluster01's storage on Ceph: one pool every member shares, so an instance and
 * its data volume may run on any member and move between them. It exists before the first
 * apply (README: bring-up of a 3-node cluster).
 */
export const CLUSTER01_STORAGE = { pool: 'remote', driver: 'ceph' } as const;

/** LAN addresses the OVN uplink routes to cluster01, for network forwards (OVN mode). */
export const CLUSTER01_FORWARD_ADDRESSES = [
  '192.168.68.30',
  '192.168.68.31',
  '192.168.68.32',
  '192.168.68.33',
];

/** LAN VIPs of the OVN load balancers (must lie in the uplink's ipv4.ovn.ranges). */
export const CLUSTER01_VIPS = { mosquitto: '192.168.68.10', coredns: '192.168.68.11' } as const;

/**
 * cluster01: production workloads on a 3-node IncusOS cluster. Local metrics
 * (federated by iapetus), alert routing, MQTT, split-horizon DNS, log shipping
 * to iapetus, and the Forgejo runner that Ansible configures.
 */

/** What cluster01 takes from iapetus (whose environment in turn takes cluster01's Prometheus). */
interface FromIapetus {
  readonly loki01: LokiInstance;
  readonly stepCa01: StepCaInstance;
}

/** What cluster01 offers other environments; built before them so they can refer to it. */
export function cluster01Shared(network: NetworkChoice, iapetus: FromIapetus) {
  const site = siteFor(
    'cluster01',
    network,
    CLUSTER01_HOSTS,
    CLUSTER01_FORWARD_ADDRESSES,
    CLUSTER01_STORAGE,
  );
  const base = baseInfrastructure({
    ...networkSettings(network),
    site,
    networks: {
      production: { ipv4: '10.10.0.1/24' },
      management: { ipv4: '10.20.0.1/24' },
    },
  });
  const management = base.attach('management');
  // Every other instance uploads its journal to Alloy, which ships it with its own to iapetus's Loki.
  const alloy01 = alloy({
    name: 'alloy01',
    network: management,
    // Pinned, so instances on the production network reach its published port on node1.
    targetNode: 'node1',
    loki: fromEnvironment('iapetus', iapetus.loki01),
    labels: { environment: 'cluster01' },
  });
  const journalTo = alloy01;
  // iapetus reaches these two through ports published on their member, so they are pinned to it.
  const alertmanager01 = alertmanager({
    name: 'alertmanager01',
    network: management,
    targetNode: 'node1',
    journalTo,
    // Critical alerts reach Slack's #alerts-critical and the operators' mailbox; warnings (and
    // anything else) #alerts. The Slack webhook URL and SMTP password are root variables.
    route: {
      receiver: 'warnings',
      routes: [{ matchers: ['severity="critical"'], receiver: 'critical' }],
    },
    receivers: [
      { name: 'warnings', slackConfigs: [{ channel: '#alerts', sendResolved: true }] },
      {
        name: 'critical',
        slackConfigs: [{ channel: '#alerts-critical', sendResolved: true }],
        emailConfigs: [{ to: 'ops@accuser.dev', sendResolved: true }],
      },
    ],
    smtp: {
      smarthost: 'smtp.accuser.dev:587',
      from: 'alertmanager@accuser.dev',
      authUsername: 'alertmanager@accuser.dev',
      requireTls: true,
    },
  });
  const exporters = nodeExporters({
    nodes: [...CLUSTER01_NODES],
    network: management,
    journalTo,
  });
  // Prometheus runs on node1, so it scrapes the Incus API of the member it runs on.
  const metrics = incusMetrics({
    name: 'incus_metrics',
    enabledBy: enableSwitch(
      'enable_incus_metrics',
      "Whether Prometheus scrapes this environment's Incus metrics: false removes the metrics certificate from Incus and the incus job from prometheus01.",
    ),
    address: incusApiAddress(ownHost(site, management, base.gateway('management'), 'node1')),
  });
  const production = base.attach('production');
  const coredns01 = coredns({
    name: 'coredns01',
    network: production,
    // Bridge mode publishes DNS on its member's LAN address (Incus's DNS holds port 53 on the
    // bridges). Not node1: in physical mode its macvlan cannot reach node1's own address, where
    // Alloy takes its journal.
    targetNode: 'node2',
    journalTo,
    zone: 'accuser.dev',
    incusDns: base.gateway('production'),
    records: [{ name: 'alertmanager', target: alertmanager01 }],
  });
  const prometheus01 = prometheus({
    name: 'prometheus01',
    network: management,
    targetNode: 'node1',
    journalTo,
    retention: { time: '30d' },
    scrapeJobs: [
      scrapeJob('alertmanager', alertmanager01),
      scrapeJob('coredns', coredns01),
      scrapeJob('node', ...exporters),
    ],
    alertmanagers: [alertmanager01],
    incusMetrics: metrics,
  });
  return { site, base, alloy01, alertmanager01, exporters, metrics, coredns01, prometheus01 };
}

export type Cluster01Shared = ReturnType<typeof cluster01Shared>;

export function cluster01(shared: Cluster01Shared, iapetus: FromIapetus): Environment {
  const { site, base, alloy01, alertmanager01, exporters, metrics, coredns01, prometheus01 } =
    shared;
  const journalTo = alloy01;
  const management = base.attach('management');
  const production = base.attach('production');

  // The cluster's own events (instance lifecycle, daemon logs) go straight from Incus to iapetus's Loki.
  const incusLogs = incusLoki({
    name: 'incus_loki',
    enabledBy: enableSwitch(
      'enable_incus_loki',
      "Whether the Incus daemons ship their lifecycle and logging events to iapetus's loki01: false removes the logging target from the server configuration.",
    ),
    loki: fromEnvironment('iapetus', iapetus.loki01),
    site,
  });

  const mosquitto01 = mosquitto({
    name: 'mosquitto01',
    network: production,
    // A macvlan instance reaches Alloy's published port only from another member than node1.
    ...(production.mode === 'physical' ? { targetNode: 'node2' } : {}),
    journalTo,
    tls: { ca: fromEnvironment('iapetus', iapetus.stepCa01) },
  });

  const runner01 = forgejoRunner({
    name: 'forgejo-runner01',
    network: management,
    journalTo,
    forgejoUrl: 'https://git.accuser.dev',
    labels: ['debian-trixie:docker://debian:trixie', 'self-hosted:host'],
  });

  // OVN mode publishes TCP and UDP services through load balancers on LAN VIPs instead of proxy devices.
  const ovn: ModuleCall[] = [];
  if (production.mode === 'ovn') {
    ovn.push(
      ovnCentral({
        name: 'ovn-central01',
        // On the host bridge, outside the environment's networks: its journal stays local.
        network: management,
        // The seeds' OVN central address: node1's, where the container is pinned.
        hostAddress: CLUSTER01_HOSTS[0].lanAddress,
        targetNode: 'node1',
      }),
      ovnLoadBalancer({
        name: 'mosquitto_lb',
        network: production,
        vip: CLUSTER01_VIPS.mosquitto,
        backends: [mosquitto01],
        ports: [
          { name: 'mqtt', port: 1883 },
          { name: 'mqtts', port: 8883 },
        ],
      }),
      ovnLoadBalancer({
        name: 'coredns_lb',
        network: production,
        vip: CLUSTER01_VIPS.coredns,
        backends: [coredns01],
        ports: [
          { name: 'dns-udp', protocol: 'udp', port: 53 },
          { name: 'dns-tcp', protocol: 'tcp', port: 53 },
        ],
      }),
    );
  }

  return defineEnvironment({
    name: 'cluster01',
    // Three members of the seeds' recommended host size.
    capacity: { cpu: 24, memory: '48GB', disk: '1500GB' },
    site,
    description:
      'Production workloads on a 3-node IncusOS cluster: local metrics federated by iapetus, alert routing, MQTT, split-horizon DNS, log shipping to iapetus and a Forgejo runner.',
    provider: { remote: 'cluster01' },
    modules: [
      base.call,
      ...ovn.filter((m) => m.definition.name === 'ovn-central'),
      metrics,
      alertmanager01,
      prometheus01,
      ...exporters,
      coredns01,
      mosquitto01,
      alloy01,
      incusLogs,
      runner01,
      ...ovn.filter((m) => m.definition.name === 'ovn-lb'),
    ],
    outputs: {
      prometheus_endpoint: output({
        description: 'Prometheus endpoint URL (federated by iapetus).',
        value: prometheus01.outputs.endpoint,
        type: T.string,
      }),
      alertmanager_endpoint: output({
        description: 'Internal Alertmanager endpoint URL.',
        value: alertmanager01.outputs.endpoint,
        type: T.string,
      }),
      mosquitto_mqtt_endpoint: output({
        description: 'Internal MQTT endpoint URL.',
        value: mosquitto01.outputs.mqtt_endpoint,
        type: T.string,
      }),
      mosquitto_external_ports: output({
        description: 'Ports MQTT clients outside the cluster connect to.',
        value: mosquitto01.outputs.external_ports,
        type: T.map(T.number),
      }),
      coredns_dns_endpoint: output({
        description: 'Internal DNS endpoint.',
        value: coredns01.outputs.dns_address,
        type: T.string,
      }),
      coredns_ipv4_address: output({
        description: 'IPv4 address of CoreDNS.',
        value: coredns01.outputs.ipv4_address,
        type: T.string,
      }),
      node_exporter_endpoints: output({
        description: 'Internal endpoint of the node-exporter on each cluster member, by member.',
        value: object(
          exporters.map((e, i) => ({ key: CLUSTER01_NODES[i]!, value: e.outputs.endpoint })),
        ),
        type: T.map(T.string),
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
          "Name of the Incus logging target that ships to iapetus's Loki; null while enable_incus_loki is false.",
        value: incusLogs.outputs.logging_name,
        type: T.string,
      }),
    },
  });
}
