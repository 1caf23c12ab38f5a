import { T, input, output, packageInfo, port, variable, type Validation } from '@atlas/core';
import { aptRepositoryInstall, incusServiceModule, pinnedPackage } from '@atlas/incus-service';
import { call, heredoc, interp, literal, ref, str, tpl } from '@atlas/hcl';

export const CLOUDFLARED_METRICS_PORT = 2000;

/** The seeds' sizing for the tunnel client: stateless, 1 CPU, 256MB. */
export const CLOUDFLARED_DEFAULTS = {
  instanceName: 'cloudflared01',
  profileName: 'cloudflared',
  cpu: 1,
  memory: '256MB',
  rootDiskSize: '1GB',
  // Cloudflare's apt repository (pkg.cloudflare.com), not Debian: a vendor version.
  packageVersions: { cloudflared: '2025.9.1' },
} as const;

/** Cloudflare's apt repository; its key is already binary, which `gpg --dearmor` passes through unchanged. */
export const CLOUDFLARE_APT_REPOSITORY = {
  name: 'cloudflare-main',
  keyUrl: 'https://pkg.cloudflare.com/cloudflare-main.gpg',
  url: 'https://pkg.cloudflare.com/cloudflared',
  suite: 'any',
  component: 'main',
} as const;

/** A tunnel token is base64 of a JSON object, so it always starts with `eyJ` (`{"`). */
export const TUNNEL_TOKEN_PATTERN = '^eyJ[A-Za-z0-9+/_-]+={0,2}$';

/** cloudflared's own inputs, declared once: the builder's options and the module's variables. */
export const CLOUDFLARED_INPUTS = {
  metrics_port: input(port, {
    type: T.number,
    description: 'TCP port of the metrics and readiness server (--metrics 0.0.0.0:PORT).',
    default: CLOUDFLARED_METRICS_PORT,
  }),
};

const TOKEN_FILE = '/etc/cloudflared/tunnel.env';
const SERVICE_USER = 'cloudflared';

/** S10: the Cloudflare Tunnel client, with its metrics endpoint. */
export const cloudflaredModule = incusServiceModule({
  name: 'cloudflared',
  package: packageInfo(import.meta.url),
  description:
    "Cloudflare Tunnel client (cloudflared) in an Incus system container: runs a dashboard-managed tunnel from a sensitive token and serves Prometheus metrics. Public hostnames and routes are configured in Cloudflare's dashboard.",
  defaults: CLOUDFLARED_DEFAULTS,
  variables: {
    tunnel_token: variable({
      type: T.string,
      description:
        'Token of the tunnel, from the Cloudflare Zero Trust dashboard. Written to a root-only environment file, never to a command line.',
      sensitive: true,
      validations: (self): Validation[] => [
        {
          condition: call('can', [call('regex', [str(TUNNEL_TOKEN_PATTERN), self])]),
          errorMessage:
            'Must be a tunnel token as the Cloudflare dashboard shows it (base64 text starting with "eyJ").',
          rejects: 'not-a-token',
        },
      ],
      example: ref('var.cloudflared01_tunnel_token'),
    }),
    metrics_port: CLOUDFLARED_INPUTS.metrics_port.variable,
  },
  build: (v) => {
    const instance = ref('var.instance_name');
    const unit = heredoc([
      literal(
        [
          '[Unit]',
          'Description=Cloudflare Tunnel client',
          'After=network-online.target',
          'Wants=network-online.target',
          '',
          '[Service]',
          'Type=notify',
          `User=${SERVICE_USER}`,
          `EnvironmentFile=${TOKEN_FILE}`,
          'ExecStart=/usr/bin/cloudflared tunnel --no-autoupdate --metrics 0.0.0.0:',
        ].join('\n'),
      ),
      interp(v.metrics_port),
      literal(
        [
          ' run',
          'Restart=on-failure',
          'RestartSec=5s',
          'NoNewPrivileges=yes',
          '',
          '[Install]',
          'WantedBy=multi-user.target',
          '',
        ].join('\n'),
      ),
    ]);
    return {
      locals: {
        service_unit: {
          value: unit,
          comment:
            'cloudflared reads the token from TUNNEL_TOKEN, so it never appears in the process list.',
        },
      },
      cloudInit: {
        config: {
          packages: ['curl', 'gnupg', 'ca-certificates'],
          users: [{ name: SERVICE_USER, system: true, shell: '/usr/sbin/nologin' }],
          writeFiles: [
            {
              path: TOKEN_FILE,
              content: tpl`TUNNEL_TOKEN=${ref('tunnel_token')}\n`,
              owner: 'root:root',
              permissions: '0600',
            },
            {
              path: '/etc/systemd/system/cloudflared.service',
              content: ref('service_unit'),
            },
          ],
          runcmd: [
            ...aptRepositoryInstall(CLOUDFLARE_APT_REPOSITORY, [pinnedPackage('cloudflared')]),
            'systemctl daemon-reload',
            'systemctl enable --now cloudflared',
          ],
        },
        vars: { tunnel_token: v.tunnel_token, service_unit: ref('local.service_unit') },
      },
      outputs: {
        metrics_endpoint: output({
          description: "URL of cloudflared's metrics server (/metrics, /ready).",
          value: tpl`http://${instance}.incus:${v.metrics_port}`,
          type: T.string,
        }),
        metrics_target: output({
          description: "host:port for Prometheus to scrape cloudflared's metrics.",
          value: tpl`${instance}.incus:${v.metrics_port}`,
          type: T.string,
        }),
      },
    };
  },
});
