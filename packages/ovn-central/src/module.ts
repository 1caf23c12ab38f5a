import {
  T,
  input,
  instanceName,
  ipv4Address,
  nullable,
  output,
  packageInfo,
  variablesOf,
} from '@atlas/core';
import { commented, incusServiceModule } from '@atlas/incus-service';
import {
  binary,
  cond,
  heredoc,
  interp,
  literal,
  nil,
  num,
  object,
  ref,
  str,
  tpl,
  tuple,
} from '@atlas/hcl';
import { z } from 'zod';
import { dynamic, resource, type IncusProfileDeviceArgs } from '@atlas/providers';

/** OVN's standard ports for the northbound and southbound databases. */
export const NORTHBOUND_PORT = 6641;
export const SOUTHBOUND_PORT = 6642;

/**
 * The seeds say nothing about OVN central's size, volume or snapshots, so these
 * are chosen here: two small ovsdb-servers and ovn-northd fit in 512MB, the
 * databases in 1GB, snapshotted like the other small stateful services; Debian
 * with the OVN packages needs more than the 1GB root disk of the seeds' Alpine
 * containers.
 */
export const OVN_CENTRAL_DEFAULTS = {
  instanceName: 'ovn-central01',
  profileName: 'ovn-central',
  cpu: 1,
  memory: '512MB',
  rootDiskSize: '2GB',
  dataVolume: {
    size: '1GB',
    mountPath: '/var/lib/ovn',
    snapshots: { schedule: '@daily', expiry: '7d' },
  },
  // Debian 13 (trixie) main, as `apt-cache policy ovn-central` shows it.
  packageVersions: { 'ovn-central': '25.03.0-1' },
} as const;

/** The seeds' placement: cluster01's default bridge, outside the OVN overlay. */
export const DEFAULT_BRIDGE = 'incusbr0';

const LISTEN_SCRIPT_PATH = '/usr/local/sbin/ovn-central-listen';

/**
 * Opens the databases to TCP once they answer. The setting is stored in the
 * databases themselves (on the data volume), so this runs once, at first boot.
 */
export const LISTEN_SCRIPT = `#!/bin/sh
# Let Incus (northbound) and the chassis (southbound) reach the OVN databases over TCP.
set -eu

tries=0
until ovn-nbctl --timeout=5 show >/dev/null 2>&1 && ovn-sbctl --timeout=5 show >/dev/null 2>&1; do
  tries=$((tries + 1))
  if [ "$tries" -ge 60 ]; then
    echo "ovn-central-listen: the OVN databases did not answer within a minute" >&2
    exit 1
  fi
  sleep 1
done

ovn-nbctl set-connection ptcp:${NORTHBOUND_PORT}
ovn-sbctl set-connection ptcp:${SOUTHBOUND_PORT}
`;

const DATA = OVN_CENTRAL_DEFAULTS.dataVolume.mountPath;

/** OVN central's own inputs, declared once: the builder's options and the module's variables. */
export const OVN_CENTRAL_INPUTS = {
  host_address: input(ipv4Address, {
    type: T.string,
    description: `Host IPv4 address the proxy devices listen on (ports ${NORTHBOUND_PORT} and ${SOUTHBOUND_PORT}); Incus and the chassis connect there. Pin the instance (target_node) to the cluster member that holds it.`,
    example: '192.168.71.5',
  }),
  bridge_network: input(nullable(instanceName), {
    type: T.string,
    description:
      'Network for eth0, replacing the NIC of the network profile in var.profiles; null keeps that NIC. OVN central cannot sit on the OVN overlay it serves.',
    default: DEFAULT_BRIDGE,
  }),
  set_northbound_connection: input(z.boolean(), {
    type: T.bool,
    description:
      'Also set network.ovn.northbound_connection on the Incus server. Off by default: the seeds set it once the databases answer, and from the CLI when the cluster sits behind HAProxy (ETag mismatches).',
    default: false,
  }),
};

/** S17: the OVN northbound and southbound databases in a container, published on a host address. */
export const ovnCentralModule = incusServiceModule({
  name: 'ovn-central',
  package: packageInfo(import.meta.url),
  description:
    'OVN central (northbound and southbound databases, ovn-northd) in an Incus system container on a plain bridge, with the databases on a persistent volume and published on a host address through proxy devices, for Incus and the IncusOS chassis.',
  defaults: OVN_CENTRAL_DEFAULTS,
  variables: {
    ...variablesOf(OVN_CENTRAL_INPUTS),
  },
  build: (v) => {
    const northbound = ref('local.northbound_connection');
    const southbound = ref('local.southbound_connection');
    const proxy = (name: string, port: number): IncusProfileDeviceArgs => ({
      name,
      type: 'proxy',
      properties: object({
        listen: tpl`tcp:${v.host_address}:${port}`,
        connect: str(`tcp:127.0.0.1:${port}`),
      }),
    });
    const incusConfig = resource(
      'incus_server',
      'ovn',
      { config: object({ 'network.ovn.northbound_connection': northbound }) },
      {
        count: cond(v.set_northbound_connection, num(1), num(0)),
        depends_on: [ref('incus_instance.this')],
      },
    );
    const chassisSetup = heredoc([
      literal(
        '# On each IncusOS node (fill in <node> and <node-ip>), run ovn-controller against the southbound database:\n' +
          "incus admin os service edit ovn --target=<node> << 'EOF'\n" +
          '{"config": {"database": "',
      ),
      interp(southbound),
      literal('", "enabled": true, "tunnel_address": "<node-ip>"}}\nEOF\n'),
      literal(
        '# Then point Incus at the northbound database (done for you with set_northbound_connection):\n' +
          'incus config set network.ovn.northbound_connection=',
      ),
      interp(northbound),
      literal('\n'),
    ]);
    return {
      locals: {
        northbound_connection: { value: tpl`tcp:${v.host_address}:${NORTHBOUND_PORT}` },
        southbound_connection: { value: tpl`tcp:${v.host_address}:${SOUTHBOUND_PORT}` },
      },
      devices: [
        dynamic(
          cond(binary('==', v.bridge_network, nil), tuple([]), tuple([v.bridge_network])),
          (network) => ({
            name: 'eth0',
            type: 'nic',
            properties: object({ network: network.value }),
          }),
        ),
        proxy('northbound', NORTHBOUND_PORT),
        proxy('southbound', SOUTHBOUND_PORT),
      ],
      cloudInit: {
        config: {
          packages: ['ovn-central'],
          writeFiles: [{ path: LISTEN_SCRIPT_PATH, content: LISTEN_SCRIPT, permissions: '0755' }],
          runcmd: [
            // The data volume may be disabled: the databases need their folder either way.
            `install -d -m 0755 ${DATA}`,
            'systemctl enable --now ovn-central',
            LISTEN_SCRIPT_PATH,
          ],
        },
      },
      resources: [
        commented(
          incusConfig.block,
          'Optional: Incus itself reaches the northbound database through the proxy device.',
        ),
      ],
      outputs: {
        northbound_connection: output({
          description:
            'Northbound database as Incus connects to it (network.ovn.northbound_connection).',
          value: northbound,
          type: T.string,
        }),
        southbound_connection: output({
          description: 'Southbound database as the chassis connect to it.',
          value: southbound,
          type: T.string,
        }),
        chassis_setup: output({
          description:
            'Commands that join each IncusOS node as a chassis and point Incus at the northbound database.',
          value: chassisSetup,
          type: T.string,
        }),
      },
    };
  },
});
