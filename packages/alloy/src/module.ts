import { T, output, packageInfo } from '@atlas/core';
import {
  GRAFANA_APT_REPOSITORY,
  aptRepositoryInstall,
  incusServiceModule,
  pinnedPackage,
} from '@atlas/incus-service';
import { binary, call, heredoc, interp, literal, num, ref, str, tpl } from '@atlas/hcl';
import {
  alloyObject,
  alloyTemplate,
  attribute,
  block,
  each,
  hclValue,
  list,
  reference,
  when,
  type AlloyStatement,
} from './alloy-syntax.js';
import {
  JOURNAL_HOSTNAME_LABEL,
  JOURNAL_PRIORITY_LABEL,
  JOURNAL_UNIT_LABEL,
  anyUnitPattern,
  logShippingVariables,
  unitPattern,
} from '@atlas/incus-service';

export const ALLOY_PORT = 12345;

/** Alloy's HTTP server, for the shared shipping inputs. */
export const ALLOY_HTTP = {
  port: ALLOY_PORT,
  description: "Port of Alloy's HTTP server (UI, /metrics), listening on all interfaces.",
};

/**
 * Alloy takes Promtail's place on cluster01 (the architecture document), so
 * it gets Promtail's row of the operator's guide (1 CPU), but twice the
 * memory and root disk: Alloy is one large binary with every component
 * compiled in, which Promtail's 256MB and 1GB leave no room for.
 */
export const ALLOY_DEFAULTS = {
  instanceName: 'alloy01',
  profileName: 'alloy',
  cpu: 1,
  memory: '512MB',
  rootDiskSize: '2GB',
  // Grafana's apt repository (apt.grafana.com stable), not Debian: a vendor version.
  packageVersions: { alloy: '1.10.1' },
} as const;

export const CONFIG_FILE = '/etc/alloy/config.alloy';
/** Read by the package's systemd unit (CONFIG_FILE, CUSTOM_ARGS) and its maintainer scripts. */
export const ENVIRONMENT_FILE = '/etc/default/alloy';

const WRITE = 'loki.write.loki.receiver';

/** systemd-journal-remote's port: the environment's instances upload their journals here. */
export const JOURNAL_REMOTE_PORT = 19532;
/** Where systemd-journal-remote keeps what it receives, one journal file per sending host. */
export const REMOTE_JOURNALS = '/var/log/journal/remote';
const JOURNAL_REMOTE_DROP_IN = '/etc/systemd/system/systemd-journal-remote.service.d/atlas.conf';

/** S6: Grafana Alloy shipping its journal, the environment's uploaded journals and /var/log files to Loki. */
export const alloyModule = incusServiceModule({
  name: 'alloy',
  package: packageInfo(import.meta.url),
  description:
    "Grafana Alloy in an Incus system container: ships its systemd journal, the journals the environment's instances upload to it (systemd-journal-remote, one instance label per host) and /var/log files to a Loki push URL, with static labels, from Grafana's apt repository.",
  defaults: ALLOY_DEFAULTS,
  // Published when instances on other networks of a cluster upload their journals to it.
  proxyDevices: true,
  variables: logShippingVariables(ALLOY_HTTP),
  build: (v) => {
    const unitSource = list([JOURNAL_UNIT_LABEL]);
    const journalSource = (label: string, path: string[]) =>
      block('loki.source.journal', label, [
        ...path.map((p) => attribute('path', p)),
        attribute('max_age', hclValue(v.journal_max_age)),
        attribute('relabel_rules', reference('loki.relabel.journal.rules')),
        attribute('labels', alloyObject({ job: 'systemd-journal' }, v.labels)),
        attribute('forward_to', list([reference(WRITE)])),
      ]);
    const pipeline: AlloyStatement[] = [
      journalSource('journal', []),
      // The journals other instances upload: the same labels, the instance from each entry's host name.
      journalSource('uploaded', [REMOTE_JOURNALS]),
      block(
        'loki.relabel',
        'journal',
        [
          attribute('forward_to', list([])),
          when(binary('>', call('length', [v.units]), num(0)), [
            block('rule', undefined, [
              attribute('action', 'keep'),
              attribute('source_labels', unitSource),
              attribute('regex', hclValue(anyUnitPattern(v.units))),
            ]),
          ]),
          block('rule', undefined, [
            attribute('source_labels', unitSource),
            attribute('target_label', 'unit'),
          ]),
          block('rule', undefined, [
            attribute('source_labels', unitSource),
            attribute('regex', '(.+)\\.service'),
            attribute('target_label', 'service'),
          ]),
          block('rule', undefined, [
            attribute('source_labels', list([JOURNAL_PRIORITY_LABEL])),
            attribute('target_label', 'level'),
          ]),
          block('rule', undefined, [
            attribute('source_labels', list([JOURNAL_HOSTNAME_LABEL])),
            attribute('target_label', 'instance'),
          ]),
          // Later rules win: a listed unit's own service label replaces the one derived from its name.
          each('u', v.units, [
            block('rule', undefined, [
              attribute('source_labels', unitSource),
              attribute('regex', hclValue(unitPattern(ref('u.unit')))),
              attribute('target_label', 'service'),
              attribute('replacement', hclValue(ref('u.service'))),
            ]),
          ]),
        ],
        [
          'Rules for the journal source: its __journal_* fields exist only while it relabels.',
          'With units listed, only their lines are kept.',
        ],
      ),
      when(binary('>', call('length', [v.log_files]), num(0)), [
        block('local.file_match', 'varlogs', [
          attribute(
            'path_targets',
            list([], {
              iterator: 'path',
              collection: v.log_files,
              item: alloyObject({ __path__: hclValue(ref('path')), job: 'varlogs' }, v.labels),
            }),
          ),
        ]),
        block('loki.source.file', 'varlogs', [
          attribute('targets', reference('local.file_match.varlogs.targets')),
          attribute('forward_to', list([reference(WRITE)])),
        ]),
      ]),
      block('loki.write', 'loki', [
        block('endpoint', undefined, [attribute('url', hclValue(v.loki_push_url))]),
      ]),
    ];
    const environment = heredoc([
      literal(`CONFIG_FILE="${CONFIG_FILE}"\n`),
      // Metrics must be reachable from Prometheus, not only on localhost; usage reporting stays off.
      literal('CUSTOM_ARGS="--server.http.listen-addr=0.0.0.0:'),
      interp(v.http_port),
      literal(' --disable-reporting"\nRESTART_ON_UPGRADE=true\n'),
    ]);
    const instance = ref('var.instance_name');
    return {
      locals: {
        alloy_pipeline: {
          value: heredoc(alloyTemplate(pipeline)),
          comment: 'config.alloy: journal and log files, labelled, pushed to Loki.',
        },
        alloy_config: {
          value: call('replace', [ref('local.alloy_pipeline'), str('\uFEFF'), str('\\ufeff')]),
          comment:
            'Alloy rejects a byte order mark anywhere but at the start of a file, even in a string: escape it.',
        },
        alloy_environment: {
          value: environment,
          comment: `${ENVIRONMENT_FILE}: where the config is, and how Alloy listens.`,
        },
      },
      cloudInit: {
        config: {
          packages: ['curl', 'gnupg', 'ca-certificates', 'systemd-journal-remote'],
          writeFiles: [
            { path: CONFIG_FILE, content: ref('alloy_config') },
            { path: ENVIRONMENT_FILE, content: ref('alloy_environment') },
            {
              path: JOURNAL_REMOTE_DROP_IN,
              content: [
                "# Plain HTTP: the uploads come over the environment's own Incus networks.",
                '[Service]',
                'ExecStart=',
                `ExecStart=/usr/lib/systemd/systemd-journal-remote --listen-http=-3 --output=${REMOTE_JOURNALS}/`,
                '',
              ].join('\n'),
            },
          ],
          runcmd: [
            // The package adds its user to systemd-journal and adm, so it can read what it ships.
            ...aptRepositoryInstall(GRAFANA_APT_REPOSITORY, [pinnedPackage('alloy')]),
            // Uploaded journals belong to systemd-journal-remote: Alloy reads them through its group.
            `install -d -o systemd-journal-remote -g systemd-journal-remote -m 0750 ${REMOTE_JOURNALS}`,
            'usermod -a -G systemd-journal-remote alloy',
            'systemctl daemon-reload',
            'systemctl enable --now systemd-journal-remote.socket',
            'systemctl enable alloy',
            'systemctl restart alloy',
          ],
        },
        vars: {
          alloy_config: ref('local.alloy_config'),
          alloy_environment: ref('local.alloy_environment'),
        },
      },
      outputs: {
        endpoint: output({
          description: "HTTP endpoint of Alloy's UI and API.",
          value: tpl`http://${instance}.incus:${v.http_port}`,
          type: T.string,
        }),
        metrics_target: output({
          description: "host:port for Prometheus to scrape Alloy's own metrics.",
          value: tpl`${instance}.incus:${v.http_port}`,
          type: T.string,
        }),
        journal_upload_url: output({
          description:
            'URL instances upload their journals to (systemd-journal-upload), shipped on to Loki.',
          value: tpl`http://${instance}.incus:${JOURNAL_REMOTE_PORT}`,
          type: T.string,
        }),
        loki_target: output({
          description: 'Loki push URL Alloy ships logs to.',
          value: v.loki_push_url,
          type: T.string,
        }),
      },
    };
  },
});
