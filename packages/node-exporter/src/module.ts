import { T, input, output, packageInfo, port } from '@atlas/core';
import { incusServiceModule, packageVersion } from '@atlas/incus-service';
import { heredoc, interp, literal, object, ref, str, tpl } from '@atlas/hcl';

export const NODE_EXPORTER_PORT = 9100;

/**
 * The seeds' sizing: 1 CPU, 128MB, a 1GB root disk and no data volume. Several
 * exporters run side by side (one per cluster member), so each gets a profile
 * named after its instance.
 */
export const NODE_EXPORTER_DEFAULTS = {
  instanceName: 'node-exporter01',
  profileName: 'node-exporter01',
  cpu: 1,
  memory: '128MB',
  rootDiskSize: '1GB',
  // Debian 13 (trixie) main, as `apt-cache policy prometheus-node-exporter` shows it.
  packageVersions: { 'prometheus-node-exporter': '1.9.0-1+b4' },
} as const;

/** Host paths the exporter reads, where the profile mounts them read-only, and the flag that points it there. */
export const HOST_MOUNTS = [
  { device: 'host-proc', source: '/proc', path: '/host/proc', flag: '--path.procfs' },
  { device: 'host-sys', source: '/sys', path: '/host/sys', flag: '--path.sysfs' },
  { device: 'host-root', source: '/', path: '/host/root', flag: '--path.rootfs' },
] as const;

const PACKAGE = 'prometheus-node-exporter';

/** node-exporter's own inputs, declared once: the builder's options and the module's variables. */
export const NODE_EXPORTER_INPUTS = {
  listen_port: input(port, {
    type: T.number,
    description: 'TCP port node-exporter serves /metrics on (--web.listen-address).',
    default: NODE_EXPORTER_PORT,
  }),
};

/** S7: Prometheus node-exporter reporting on the host it is pinned to. */
export const nodeExporterModule = incusServiceModule({
  name: 'node-exporter',
  package: packageInfo(import.meta.url),
  description:
    "Prometheus node-exporter in an Incus system container, pinned to one cluster member with target_node, reading that host's /proc, /sys and / through read-only disk devices.",
  defaults: NODE_EXPORTER_DEFAULTS,
  // On a cluster, Prometheus on another member scrapes it through a port published on its member.
  proxyDevices: true,
  variables: {
    listen_port: NODE_EXPORTER_INPUTS.listen_port.variable,
  },
  build: (v) => {
    const flags = HOST_MOUNTS.map((m) => `${m.flag}=${m.path}`).join(' ');
    const instance = ref('var.instance_name');
    return {
      devices: HOST_MOUNTS.map((m) => ({
        name: m.device,
        type: 'disk' as const,
        properties: object({ source: str(m.source), path: str(m.path), readonly: str('true') }),
      })),
      locals: {
        daemon_args: {
          value: heredoc([
            literal(`ARGS="${flags} --web.listen-address=:`),
            interp(v.listen_port),
            literal('"\n'),
          ]),
          comment: `Read by the Debian unit from /etc/default/${PACKAGE}: the host's paths, not the container's.`,
        },
      },
      cloudInit: {
        config: {
          writeFiles: [{ path: `/etc/default/${PACKAGE}`, content: ref('daemon_args') }],
          runcmd: [
            'apt-get update',
            // Without recommends: the collectors package's timers (apt, smartmon) would pull in
            // python3 and smartmontools, which do not fit in 128MB and report on the container.
            tpl`DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends -o Dpkg::Options::=--force-confold ${PACKAGE}=${packageVersion(PACKAGE)}`,
            `systemctl enable ${PACKAGE}`,
            `systemctl restart ${PACKAGE}`,
          ],
        },
        vars: { daemon_args: ref('local.daemon_args') },
      },
      outputs: {
        endpoint: output({
          description: 'HTTP endpoint of node-exporter.',
          value: tpl`http://${instance}.incus:${v.listen_port}`,
          type: T.string,
        }),
        metrics_target: output({
          description: "host:port for Prometheus to scrape this host's metrics.",
          value: tpl`${instance}.incus:${v.listen_port}`,
          type: T.string,
        }),
      },
    };
  },
});
