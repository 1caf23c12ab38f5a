import { T, input, output, packageInfo, port, variable, variablesOf, type Rule } from '@atlas/core';
import {
  GRAFANA_APT_REPOSITORY,
  aptRepositoryInstall,
  incusServiceModule,
  pinnedPackage,
} from '@atlas/incus-service';
import { binary, bool, call, num, object, ref, str, tpl, tuple } from '@atlas/hcl';
import { z } from 'zod';

export const LOKI_PORT = 3100;

/** The seeds' sizing, volume and snapshot policy for Loki. */
export const LOKI_DEFAULTS = {
  instanceName: 'loki01',
  profileName: 'loki',
  cpu: 2,
  memory: '2GB',
  rootDiskSize: '2GB',
  dataVolume: {
    size: '50GB',
    mountPath: '/loki',
    snapshots: { schedule: '@weekly', expiry: '2w' },
  },
  // Grafana's apt repository (apt.grafana.com stable), not Debian: a vendor version.
  packageVersions: { loki: '3.5.3' },
} as const;

/** Loki's own floor for the delete delay, and the smallest retention that makes sense. */
export const MIN_DELETE_DELAY_HOURS = 2;
export const MIN_RETENTION_HOURS = 24;

/**
 * Whole hours of at least `min`: zod checks the estate, and the module checks
 * `can(regex("^[0-9]+h$", x)) && tonumber(trimsuffix(x, "h")) >= min`, guarded so a bad
 * value fails validation rather than erroring.
 */
function wholeHoursAtLeast(min: number, example: string, rejects: string): Rule<z.ZodString> {
  return {
    schema: z
      .string()
      .regex(/^[0-9]+h$/, 'expected whole hours such as 720h')
      .refine((h) => Number.parseInt(h, 10) >= min, `expected at least ${min}h`),
    validation: (self) => ({
      condition: binary(
        '&&',
        call('can', [call('regex', [str('^[0-9]+h$'), self])]),
        binary(
          '>=',
          call('try', [call('tonumber', [call('trimsuffix', [self, str('h')])]), num(0)]),
          num(min),
        ),
      ),
      errorMessage: `Must be whole hours such as ${example}, and at least ${min}h.`,
      rejects,
    }),
  };
}

/** Loki's own inputs, declared once: the builder's options and the module's variables. */
export const LOKI_INPUTS = {
  retention_period: input(wholeHoursAtLeast(MIN_RETENTION_HOURS, '720h', '30d'), {
    type: T.string,
    description: `How long logs are kept, in whole hours (720h = 30 days; at least ${MIN_RETENTION_HOURS}h).`,
    default: '720h',
  }),
  retention_delete_delay: input(wholeHoursAtLeast(MIN_DELETE_DELAY_HOURS, '2h', '1h'), {
    type: T.string,
    description: `Delay between the compactor marking logs for deletion and deleting them, in whole hours (at least ${MIN_DELETE_DELAY_HOURS}h, so a mistake can still be undone).`,
    default: '2h',
  }),
};

const DATA = LOKI_DEFAULTS.dataVolume.mountPath;

/** S3: Loki with compactor-driven retention and optional external access through a proxy device. */
export const lokiModule = incusServiceModule({
  name: 'loki',
  package: packageInfo(import.meta.url),
  description:
    'Loki in an Incus system container: single-binary mode on a persistent volume, retention enforced by the compactor, and optional external access through an Incus proxy device.',
  defaults: LOKI_DEFAULTS,
  // Grafana's package may start loki at install, as this account, on the root-owned volume.
  dataOwner: { unit: 'loki', user: 'loki', group: 'nogroup' },
  proxyDevices: true,
  variables: {
    ...variablesOf(LOKI_INPUTS),
    http_port: variable({
      type: T.number,
      description: 'Port of the push and query API inside the container.',
      default: LOKI_PORT,
      rules: [port],
    }),
  },
  build: (v) => {
    const config = object({
      auth_enabled: bool(false),
      server: object({ http_listen_port: v.http_port }),
      common: object({
        path_prefix: str(DATA),
        replication_factor: num(1),
        ring: object({ kvstore: object({ store: str('inmemory') }) }),
        storage: object({
          filesystem: object({
            chunks_directory: str(`${DATA}/chunks`),
            rules_directory: str(`${DATA}/rules`),
          }),
        }),
      }),
      schema_config: object({
        configs: tuple([
          object({
            from: str('2024-01-01'),
            store: str('tsdb'),
            object_store: str('filesystem'),
            schema: str('v13'),
            index: object({ prefix: str('index_'), period: str('24h') }),
          }),
        ]),
      }),
      // Retention is enforced only when the compactor runs with retention enabled.
      compactor: object({
        working_directory: str(`${DATA}/compactor`),
        retention_enabled: bool(true),
        retention_delete_delay: v.retention_delete_delay,
        delete_request_store: str('filesystem'),
      }),
      limits_config: object({ retention_period: v.retention_period }),
    });
    const endpoint = tpl`http://${ref('var.instance_name')}.incus:${v.http_port}`;
    return {
      locals: {
        loki_config: {
          value: config,
          comment: 'loki.yaml: single binary, filesystem storage on the data volume.',
        },
      },
      cloudInit: {
        config: {
          packages: ['curl', 'gnupg', 'ca-certificates'],
          writeFiles: [{ path: '/etc/loki/config.yml', content: ref('loki_yml') }],
          runcmd: [
            ...aptRepositoryInstall(GRAFANA_APT_REPOSITORY, [pinnedPackage('loki')]),
            // The data volume may be disabled: create the folder either way.
            `install -d -o loki -g nogroup ${DATA}`,
            `chown -R loki:nogroup ${DATA}`,
            'systemctl enable loki',
            'systemctl restart loki',
          ],
        },
        vars: { loki_yml: call('yamlencode', [ref('local.loki_config')]) },
      },
      outputs: {
        endpoint: output({
          description: 'HTTP endpoint of the Loki API (query and push).',
          value: endpoint,
          type: T.string,
        }),
        push_url: output({
          description: 'URL log shippers (Alloy, Promtail, Incus) push to.',
          value: tpl`http://${ref('var.instance_name')}.incus:${v.http_port}/loki/api/v1/push`,
          type: T.string,
        }),
        metrics_target: output({
          description: "host:port for Prometheus to scrape Loki's own metrics.",
          value: tpl`${ref('var.instance_name')}.incus:${v.http_port}`,
          type: T.string,
        }),
      },
    };
  },
});
