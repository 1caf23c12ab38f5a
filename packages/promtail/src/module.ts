import { T, output, packageInfo } from '@atlas/core';
import {
  GRAFANA_APT_REPOSITORY,
  aptRepositoryInstall,
  incusServiceModule,
  pinnedPackage,
} from '@atlas/incus-service';
import { binary, call, cond, forList, num, object, ref, str, tpl, tuple } from '@atlas/hcl';
import {
  JOURNAL_PRIORITY_LABEL,
  JOURNAL_UNIT_LABEL,
  anyUnitPattern,
  logShippingVariables,
  unitPattern,
} from '@atlas/incus-service';

export const PROMTAIL_PORT = 9080;

/** Promtail's HTTP server, for the shared shipping inputs. */
export const PROMTAIL_HTTP = {
  port: PROMTAIL_PORT,
  description: "Port of Promtail's HTTP server (targets page and /metrics).",
};

/** The operator's guide's promtail01: 1 CPU, 256MB, 1GB root disk, stateless. */
export const PROMTAIL_DEFAULTS = {
  instanceName: 'promtail01',
  profileName: 'promtail',
  cpu: 1,
  memory: '256MB',
  rootDiskSize: '1GB',
  // Grafana's apt repository (apt.grafana.com stable), not Debian: a vendor version.
  packageVersions: { promtail: '3.5.3' },
} as const;

/** Where Promtail remembers how far it has read; the package does not create the folder. */
export const POSITIONS_FILE = '/var/lib/promtail/positions.yaml';
export const CONFIG_FILE = '/etc/promtail/config.yml';

/** S6: Promtail shipping the journal and /var/log files to Loki. */
export const promtailModule = incusServiceModule({
  name: 'promtail',
  package: packageInfo(import.meta.url),
  description:
    "Promtail in an Incus system container: ships the systemd journal (one service label per unit) and /var/log files to a Loki push URL, with static labels, from Grafana's apt repository.",
  defaults: PROMTAIL_DEFAULTS,
  variables: logShippingVariables(PROMTAIL_HTTP),
  build: (v) => {
    const unitSource = tuple([str(JOURNAL_UNIT_LABEL)]);
    const hasUnits = binary('>', call('length', [v.units]), num(0));
    const relabelConfigs = call('concat', [
      // With units listed, only their lines are shipped.
      cond(
        hasUnits,
        tuple([
          object({
            source_labels: unitSource,
            regex: anyUnitPattern(v.units),
            action: str('keep'),
          }),
        ]),
        tuple([]),
      ),
      tuple([
        object({ source_labels: unitSource, target_label: str('unit') }),
        object({
          source_labels: unitSource,
          regex: str('(.+)\\.service'),
          target_label: str('service'),
        }),
        object({
          source_labels: tuple([str(JOURNAL_PRIORITY_LABEL)]),
          target_label: str('level'),
        }),
      ]),
      // Later rules win: a listed unit's own service label replaces the one derived from its name.
      forList(
        'u',
        v.units,
        object({
          source_labels: unitSource,
          regex: unitPattern(ref('u.unit')),
          target_label: str('service'),
          replacement: ref('u.service'),
        }),
      ),
    ]);
    const journalJob = object({
      job_name: str('journal'),
      journal: object({
        max_age: v.journal_max_age,
        labels: call('merge', [v.labels, object({ job: str('systemd-journal') })]),
      }),
      relabel_configs: relabelConfigs,
    });
    const fileJob = object({
      job_name: str('varlogs'),
      static_configs: forList(
        'path',
        v.log_files,
        object({
          targets: tuple([str('localhost')]),
          labels: call('merge', [v.labels, object({ job: str('varlogs'), __path__: ref('path') })]),
        }),
      ),
    });
    const config = object({
      server: object({ http_listen_port: v.http_port, grpc_listen_port: num(0) }),
      positions: object({ filename: str(POSITIONS_FILE) }),
      clients: tuple([object({ url: v.loki_push_url })]),
      scrape_configs: call('concat', [
        tuple([journalJob]),
        cond(binary('>', call('length', [v.log_files]), num(0)), tuple([fileJob]), tuple([])),
      ]),
    });
    const instance = ref('var.instance_name');
    return {
      locals: {
        promtail_config: {
          value: config,
          comment:
            'config.yml: the journal with a label per unit, and the log files, pushed to Loki.',
        },
      },
      cloudInit: {
        config: {
          packages: ['curl', 'gnupg', 'ca-certificates'],
          writeFiles: [{ path: CONFIG_FILE, content: ref('promtail_yml') }],
          runcmd: [
            ...aptRepositoryInstall(GRAFANA_APT_REPOSITORY, [pinnedPackage('promtail')]),
            // The package's user can read neither the journal nor /var/log, and has no positions folder.
            'usermod -a -G systemd-journal,adm promtail',
            'install -d -o promtail -m 0750 /var/lib/promtail',
            'systemctl enable promtail',
            'systemctl restart promtail',
          ],
        },
        vars: { promtail_yml: call('yamlencode', [ref('local.promtail_config')]) },
      },
      outputs: {
        endpoint: output({
          description: "HTTP endpoint of Promtail's API (targets, readiness, metrics).",
          value: tpl`http://${instance}.incus:${v.http_port}`,
          type: T.string,
        }),
        metrics_target: output({
          description: "host:port for Prometheus to scrape Promtail's own metrics.",
          value: tpl`${instance}.incus:${v.http_port}`,
          type: T.string,
        }),
        loki_target: output({
          description: 'Loki push URL Promtail ships logs to.',
          value: v.loki_push_url,
          type: T.string,
        }),
      },
    };
  },
});
