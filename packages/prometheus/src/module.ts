import {
  T,
  duration,
  input,
  output,
  packageInfo,
  variable,
  variablesOf,
  type Validation,
} from '@atlas/core';
import { incusServiceModule } from '@atlas/incus-service';
import {
  binary,
  call,
  cond,
  forList,
  get,
  heredoc,
  interp,
  literal,
  nil,
  num,
  object,
  ref,
  str,
  toExpr,
  tpl,
  tuple,
} from '@atlas/hcl';
import { z } from 'zod';
import { DEFAULT_ALERT_RULES, type AlertRule } from './alert-rules.js';

export const PROMETHEUS_PORT = 9090;

/** The seeds' sizing and snapshot policy for Prometheus. */
export const PROMETHEUS_DEFAULTS = {
  instanceName: 'prometheus01',
  profileName: 'prometheus',
  cpu: 2,
  memory: '2GB',
  rootDiskSize: '2GB',
  dataVolume: {
    size: '100GB',
    mountPath: '/prometheus',
    snapshots: { schedule: '@weekly', expiry: '2w' },
  },
  // Debian 13 (trixie) main, as `apt-cache policy prometheus` shows it.
  packageVersions: { prometheus: '2.53.3+ds1-2' },
} as const;

const TLS_DIR = '/etc/prometheus/tls';

const scrapeJobType = T.object({
  name: T.string,
  targets: T.list(T.string),
  metrics_path: T.optional(T.string, '/metrics'),
  scheme: T.optional(T.string, 'http'),
  honor_labels: T.optional(T.bool, false),
  params: T.optional(T.map(T.list(T.string)), {}),
  labels: T.optional(T.map(T.string), {}),
});

const alertRuleType = T.object({
  alert: T.string,
  expr: T.string,
  // `for` cannot name an attribute in a type constraint: HCL would read a for expression.
  for_duration: T.string,
  severity: T.string,
  summary: T.string,
  description: T.string,
});

/** An alert rule as the `alert_rules` variable holds it. */
export const alertRuleValue = ({ for: forDuration, ...rule }: AlertRule) => ({
  alert: rule.alert,
  expr: rule.expr,
  for_duration: forDuration,
  severity: rule.severity,
  summary: rule.summary,
  description: rule.description,
});

const job = (field: string) => ref(`job.${field}`);
const rule = (field: string) => ref(`rule.${field}`);

/** Prometheus's own inputs, declared once: the builder's options and the module's variables. */
export const PROMETHEUS_INPUTS = {
  retention_time: input(duration, {
    type: T.string,
    description: 'Delete samples older than this (--storage.tsdb.retention.time).',
    default: '30d',
  }),
  retention_size: input(
    z
      .string()
      .regex(/^[0-9]+(B|KB|MB|GB|TB|PB|EB)$/, 'expected a size in Prometheus units such as 90GB'),
    {
      type: T.string,
      description:
        'Also delete the oldest blocks once storage exceeds this size (--storage.tsdb.retention.size); null for no size limit.',
      default: null,
      validations: (self): Validation[] => [
        {
          condition: cond(
            binary('==', self, nil),
            toExpr(true),
            call('can', [call('regex', [str('^[0-9]+(B|KB|MB|GB|TB|PB|EB)$'), self])]),
          ),
          errorMessage:
            'Must be null or a size in Prometheus units such as 90GB (B, KB, MB, GB, TB, PB, EB).',
          rejects: '90 GB',
        },
      ],
    },
  ),
  scrape_interval: input(duration, {
    type: T.string,
    description: 'How often to scrape targets by default.',
    default: '15s',
  }),
  evaluation_interval: input(duration, {
    type: T.string,
    description: 'How often to evaluate alert rules.',
    default: '15s',
  }),
};

/** S4: Prometheus with typed scrape jobs (federation included), alert rules, Alertmanagers and Incus metrics over mTLS. */
export const prometheusModule = incusServiceModule({
  name: 'prometheus',
  package: packageInfo(import.meta.url),
  description:
    'Prometheus in an Incus system container: scrape jobs (federation included) and alert rules from typed variables, Alertmanager targets, Incus metrics over mTLS, and time- and size-based retention on a persistent volume.',
  defaults: PROMETHEUS_DEFAULTS,
  // Debian's package starts prometheus at install, as this account, on the root-owned volume.
  dataOwner: { unit: 'prometheus', user: 'prometheus', group: 'prometheus' },
  // Published when another environment federates it (issue 9).
  proxyDevices: true,
  variables: {
    ...variablesOf(PROMETHEUS_INPUTS),
    external_labels: variable({
      type: T.map(T.string),
      description:
        'Labels added to every series, alert and federated sample this Prometheus sends out, e.g. { environment = "cluster01" }: they keep two environments\' series apart once one federates the other.',
      default: {},
    }),
    scrape_jobs: variable({
      type: T.list(scrapeJobType),
      description:
        'Scrape jobs beyond Prometheus itself. A federation job sets metrics_path = "/federate", honor_labels = true and params = { "match[]" = [...] }.',
      default: [],
      validations: (self): Validation[] => [
        {
          condition: binary(
            '==',
            call('length', [self]),
            call('length', [call('distinct', [forList('job', self, job('name'))])]),
          ),
          errorMessage: 'Scrape job names must be unique.',
          rejects: [
            { name: 'node', targets: ['10.0.0.1:9100'] },
            { name: 'node', targets: ['10.0.0.2:9100'] },
          ],
        },
        {
          condition: call('alltrue', [
            forList('job', self, call('contains', [toExpr(['http', 'https']), job('scheme')])),
          ]),
          errorMessage: 'Each scrape job "scheme" must be http or https.',
          rejects: [{ name: 'node', targets: ['10.0.0.1:9100'], scheme: 'ftp' }],
        },
      ],
      example: tuple([
        object({ name: str('grafana'), targets: tuple([str('grafana01.incus:3000')]) }),
      ]),
    }),
    alertmanagers: variable({
      type: T.list(T.string),
      description:
        'Alertmanager addresses (host:port) that firing alerts are sent to; null entries (not known yet) are left out.',
      default: [],
    }),
    alert_rules: variable({
      type: T.list(alertRuleType),
      description:
        "Alerting rules, evaluated as one group. The default is Atlas's standard set (availability, memory, disk, CPU, load).",
      default: DEFAULT_ALERT_RULES.map(alertRuleValue),
      validations: (self): Validation[] => [
        {
          condition: call('alltrue', [
            forList(
              'rule',
              self,
              call('contains', [toExpr(['critical', 'warning', 'info']), rule('severity')]),
            ),
          ]),
          errorMessage: 'Each alert rule "severity" must be critical, warning or info.',
          rejects: [
            {
              alert: 'Down',
              expr: 'up == 0',
              for_duration: '5m',
              severity: 'page',
              summary: 'Down',
              description: 'A target is down.',
            },
          ],
        },
      ],
    }),
    incus_metrics: variable({
      type: T.object({ address: T.string, certificate: T.string, private_key: T.string }),
      description:
        'Scrape the Incus metrics API (https://ADDRESS/1.0/metrics) with this client certificate and key (PEM), registered in Incus as a "metrics" certificate; null to skip.',
      default: null,
      sensitive: true,
    }),
  },
  build: (v) => {
    const incusJob = object({
      job_name: str('incus'),
      scheme: str('https'),
      metrics_path: str('/1.0/metrics'),
      static_configs: tuple([object({ targets: tuple([get(v.incus_metrics, 'address')]) })]),
      tls_config: object({
        cert_file: str(`${TLS_DIR}/incus-metrics.crt`),
        key_file: str(`${TLS_DIR}/incus-metrics.key`),
        // Incus serves a self-signed certificate; the client certificate is what authenticates.
        insecure_skip_verify: toExpr(true),
      }),
    });
    const userJobs = forList(
      'job',
      v.scrape_jobs,
      call('merge', [
        object({
          job_name: job('name'),
          metrics_path: job('metrics_path'),
          scheme: job('scheme'),
          honor_labels: job('honor_labels'),
          // compact(): a target from a conditional module (count = 0) is null.
          static_configs: tuple([
            object({ targets: call('compact', [job('targets')]), labels: job('labels') }),
          ]),
        }),
        cond(
          binary('>', call('length', [job('params')]), num(0)),
          object({ params: job('params') }),
          object({}),
        ),
      ]),
    );
    const config = call('merge', [
      object({
        global: object({
          scrape_interval: v.scrape_interval,
          evaluation_interval: v.evaluation_interval,
          external_labels: v.external_labels,
        }),
        rule_files: tuple([str('/etc/prometheus/rules/*.yml')]),
        scrape_configs: call('concat', [
          tuple([
            object({
              job_name: str('prometheus'),
              static_configs: tuple([
                object({ targets: tuple([str(`localhost:${PROMETHEUS_PORT}`)]) }),
              ]),
            }),
          ]),
          userJobs,
          cond(binary('==', v.incus_metrics, nil), tuple([]), tuple([incusJob])),
        ]),
      }),
      // Nulls (an address another environment has not published yet) are dropped, never sent as targets.
      cond(
        binary('==', call('length', [call('compact', [v.alertmanagers])]), num(0)),
        object({}),
        object({
          alerting: object({
            alertmanagers: tuple([
              object({
                static_configs: tuple([object({ targets: call('compact', [v.alertmanagers]) })]),
              }),
            ]),
          }),
        }),
      ),
    ]);
    const rules = object({
      groups: tuple([
        object({
          name: str('atlas'),
          rules: forList(
            'rule',
            v.alert_rules,
            object({
              alert: rule('alert'),
              expr: rule('expr'),
              for: rule('for_duration'),
              labels: object({ severity: rule('severity') }),
              annotations: object({ summary: rule('summary'), description: rule('description') }),
            }),
          ),
        }),
      ]),
    });
    const args = heredoc([
      literal(
        'ARGS="--config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/prometheus --storage.tsdb.retention.time=',
      ),
      interp(v.retention_time),
      {
        kind: 'if',
        cond: binary('!=', v.retention_size, nil),
        then: [literal(' --storage.tsdb.retention.size='), interp(v.retention_size)],
      },
      literal('"\n'),
    ]);
    const hasIncus = binary('!=', v.incus_metrics, nil);
    return {
      locals: {
        prometheus_config: {
          value: config,
          comment: 'prometheus.yml, built from the variables so every job is typed and validated.',
        },
        alert_rules: { value: rules },
        daemon_args: {
          value: args,
          comment: 'Read by the Debian unit from /etc/default/prometheus.',
        },
      },
      cloudInit: {
        config: {
          packages: ['prometheus'],
          writeFiles: [
            { path: '/etc/prometheus/prometheus.yml', content: ref('prometheus_yml') },
            { path: '/etc/prometheus/rules/atlas.yml', content: ref('alert_rules_yml') },
            { path: '/etc/default/prometheus', content: ref('daemon_args') },
            {
              path: `${TLS_DIR}/incus-metrics.crt`,
              content: ref('incus_metrics_certificate'),
              when: ref('incus_metrics_enabled'),
            },
            {
              path: `${TLS_DIR}/incus-metrics.key`,
              content: ref('incus_metrics_private_key'),
              permissions: '0600',
              when: ref('incus_metrics_enabled'),
            },
          ],
          runcmd: [
            // The TLS folder may be unused: create it either way (the unit's drop-in owns /prometheus).
            'install -d -o prometheus -g prometheus /etc/prometheus/tls',
            'chown -R prometheus:prometheus /etc/prometheus/tls',
            'systemctl restart prometheus',
          ],
        },
        vars: {
          prometheus_yml: call('yamlencode', [ref('local.prometheus_config')]),
          alert_rules_yml: call('yamlencode', [ref('local.alert_rules')]),
          daemon_args: ref('local.daemon_args'),
          incus_metrics_enabled: hasIncus,
          incus_metrics_certificate: cond(hasIncus, get(v.incus_metrics, 'certificate'), str('')),
          incus_metrics_private_key: cond(hasIncus, get(v.incus_metrics, 'private_key'), str('')),
        },
      },
      outputs: {
        endpoint: output({
          description: 'HTTP endpoint of the Prometheus API and UI.',
          value: tpl`http://${ref('var.instance_name')}.incus:${PROMETHEUS_PORT}`,
          type: T.string,
        }),
        metrics_target: output({
          description: 'host:port for scraping or federating this Prometheus.',
          value: tpl`${ref('var.instance_name')}.incus:${PROMETHEUS_PORT}`,
          type: T.string,
        }),
      },
    };
  },
});
