import {
  T,
  input,
  output,
  packageInfo,
  regexRule,
  rejecting,
  variable,
  variablesOf,
  type Validation,
} from '@atlas/core';
import {
  GRAFANA_APT_REPOSITORY,
  aptRepositoryInstall,
  incusServiceModule,
  pinnedPackage,
} from '@atlas/incus-service';
import {
  binary,
  call,
  forList,
  heredoc,
  interp,
  literal,
  num,
  object,
  ref,
  str,
  toExpr,
  tpl,
  tuple,
  cond,
  nil,
} from '@atlas/hcl';
import { z } from 'zod';

export const GRAFANA_PORT = 3000;

/** The seeds' sizing, volume and snapshot policy for Grafana. */
export const GRAFANA_DEFAULTS = {
  instanceName: 'grafana01',
  profileName: 'grafana',
  cpu: 2,
  memory: '1GB',
  rootDiskSize: '2GB',
  dataVolume: {
    size: '10GB',
    mountPath: '/var/lib/grafana',
    snapshots: { schedule: '@daily', expiry: '7d' },
  },
  // Grafana's apt repository (apt.grafana.com stable), not Debian: a vendor version.
  packageVersions: { grafana: '12.2.1' },
} as const;

export const DATASOURCE_TYPES = ['prometheus', 'loki', 'alertmanager'] as const;

const ds = (field: string) => ref(`ds.${field}`);

/** Grafana's own inputs, declared once: the builder's options and the module's variables. */
export const GRAFANA_INPUTS = {
  domain: input(
    rejecting(
      regexRule(
        '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$',
        'a lower-case DNS name such as grafana.example.com',
      ),
      'Grafana.Example.com',
    ),
    {
      type: T.string,
      description:
        'Public host name Grafana is served under (server.domain and root_url), e.g. grafana.example.com.',
      example: 'grafana.example.com',
    },
  ),
  admin_user: input(z.string().min(1), {
    type: T.string,
    description: 'Name of the Grafana admin account.',
    default: 'admin',
  }),
};
const PASSWORD_FILE = '/etc/grafana/admin_password';

/** S2: Grafana with datasources provisioned from other modules' outputs. */
export const grafanaModule = incusServiceModule({
  name: 'grafana',
  package: packageInfo(import.meta.url),
  description:
    "Grafana in an Incus system container: datasources provisioned from other modules' outputs, public domain for the Cloudflare tunnel, and admin credentials from a sensitive variable.",
  defaults: GRAFANA_DEFAULTS,
  // Owns the root-owned volume before any start of grafana-server (a restore included).
  dataOwner: { unit: 'grafana-server', user: 'grafana', group: 'grafana' },
  variables: {
    ...variablesOf(GRAFANA_INPUTS),
    admin_password: variable({
      type: T.string,
      description: 'Password of the Grafana admin account.',
      sensitive: true,
      validations: (self): Validation[] => [
        {
          condition: binary('>=', call('length', [self]), num(12)),
          errorMessage: 'Must be at least 12 characters.',
          rejects: '<short>',
        },
      ],
      example: ref('var.grafana_admin_password'),
    }),
    datasources: variable({
      type: T.list(
        T.object({
          name: T.string,
          type: T.string,
          url: T.string,
          is_default: T.optional(T.bool, false),
        }),
      ),
      description: 'Datasources to provision; pass other modules\' endpoint outputs as "url".',
      default: [],
      validations: (self): Validation[] => [
        {
          condition: call('alltrue', [
            forList('ds', self, call('contains', [toExpr([...DATASOURCE_TYPES]), ds('type')])),
          ]),
          errorMessage: `Each datasource "type" must be one of ${DATASOURCE_TYPES.join(', ')}.`,
          rejects: [{ name: 'influx', type: 'influxdb', url: 'http://influx01.incus:8086' }],
        },
        {
          condition: binary(
            '<=',
            call('length', [forList('ds', self, ds('name'), { cond: ds('is_default') })]),
            num(1),
          ),
          errorMessage: 'At most one datasource can be the default.',
          rejects: [
            { name: 'a', type: 'prometheus', url: 'http://a.incus:9090', is_default: true },
            { name: 'b', type: 'prometheus', url: 'http://b.incus:9090', is_default: true },
          ],
        },
        {
          condition: binary(
            '==',
            call('length', [call('distinct', [forList('ds', self, ds('name'))])]),
            call('length', [self]),
          ),
          errorMessage: 'Datasource names must be unique.',
          rejects: [
            { name: 'a', type: 'prometheus', url: 'http://a.incus:9090' },
            { name: 'a', type: 'loki', url: 'http://a.incus:3100' },
          ],
        },
      ],
      example: tuple([
        object({
          name: str('Prometheus'),
          type: str('prometheus'),
          url: str('http://prometheus01.incus:9090'),
          is_default: toExpr(true),
        }),
      ]),
    }),
  },
  build: (v) => {
    const datasources = object({
      apiVersion: num(1),
      // A datasource whose address is not known yet (null) is left out rather than provisioned with url: null.
      datasources: forList(
        'ds',
        v.datasources,
        call('merge', [
          object({
            name: ds('name'),
            type: ds('type'),
            access: str('proxy'),
            url: ds('url'),
            isDefault: ds('is_default'),
            editable: toExpr(false),
          }),
          // Grafana's Alertmanager datasource speaks to Prometheus's Alertmanager only with this set.
          cond(
            binary('==', ds('type'), str('alertmanager')),
            object({ jsonData: object({ implementation: str('prometheus') }) }),
            object({}),
          ),
        ]),
        { cond: binary('!=', ds('url'), nil) },
      ),
    });
    const ini = heredoc([
      literal('[server]\nhttp_port = '),
      literal(String(GRAFANA_PORT)),
      literal('\ndomain = '),
      interp(v.domain),
      literal('\nroot_url = https://'),
      interp(v.domain),
      literal(
        '/\n\n[paths]\ndata = /var/lib/grafana\nprovisioning = /etc/grafana/provisioning\n\n[security]\nadmin_user = ',
      ),
      interp(v.admin_user),
      literal(
        `\nadmin_password = $__file{${PASSWORD_FILE}}\n\n[analytics]\nreporting_enabled = false\ncheck_for_updates = false\n`,
      ),
    ]);
    return {
      locals: {
        datasources: {
          value: datasources,
          comment: 'Grafana provisioning file: one entry per datasource, none editable in the UI.',
        },
        grafana_ini: {
          value: ini,
          comment:
            'The password stays out of grafana.ini: Grafana reads it from a root-owned file.',
        },
      },
      cloudInit: {
        config: {
          packages: ['curl', 'gnupg', 'ca-certificates'],
          writeFiles: [
            { path: '/etc/grafana/grafana.ini', content: ref('grafana_ini') },
            {
              path: '/etc/grafana/provisioning/datasources/atlas.yaml',
              content: ref('datasources_yaml'),
            },
            { path: PASSWORD_FILE, content: ref('admin_password'), permissions: '0640' },
          ],
          runcmd: [
            ...aptRepositoryInstall(GRAFANA_APT_REPOSITORY, [pinnedPackage('grafana')]),
            `chgrp grafana ${PASSWORD_FILE} /etc/grafana/grafana.ini`,
            'chown -R grafana:grafana /var/lib/grafana',
            'systemctl enable grafana-server',
            'systemctl restart grafana-server',
          ],
        },
        vars: {
          grafana_ini: ref('local.grafana_ini'),
          datasources_yaml: call('yamlencode', [ref('local.datasources')]),
          admin_password: v.admin_password,
        },
      },
      outputs: {
        endpoint: output({
          description: 'Internal HTTP endpoint of Grafana.',
          value: tpl`http://${ref('var.instance_name')}.incus:${GRAFANA_PORT}`,
          type: T.string,
        }),
        url: output({
          description: 'Public URL of Grafana (through the Cloudflare tunnel).',
          value: tpl`https://${v.domain}/`,
          type: T.string,
        }),
        metrics_target: output({
          description: "host:port for Prometheus to scrape Grafana's metrics.",
          value: tpl`${ref('var.instance_name')}.incus:${GRAFANA_PORT}`,
          type: T.string,
        }),
      },
    };
  },
});
