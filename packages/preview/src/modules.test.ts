import { grafana, grafanaModule } from '@atlas/grafana';
import { ref } from '@atlas/hcl';
import type { NetworkAttachment } from '@atlas/core';
import { loki, lokiModule } from '@atlas/loki';
import {
  DEFAULT_ALERT_RULES,
  federationJob,
  prometheus,
  prometheusModule,
} from '@atlas/prometheus';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { previewModule, previewModuleCall } from './preview.js';

// The previews of the real service modules: the files cloud-init writes must be what the programs expect.
const network: NetworkAttachment = {
  kind: 'network-attachment',
  role: 'management',
  mode: 'bridge',
  profiles: [ref('module.base.container_profile'), ref('module.base.management_profile')],
  network: ref('module.base.networks.management'),
};
const fileOf = (preview: { files: ReadonlyMap<string, { content: string }> }, path: string) => {
  const file = preview.files.get(path);
  if (!file) throw new Error(`no file ${path}; files: ${[...preview.files.keys()].join(', ')}`);
  return file.content;
};

describe('prometheus', () => {
  const cluster = prometheus({ name: 'prometheus02', network });
  const config = {
    name: 'prometheus01',
    network,
    scrapeJobs: [{ name: 'grafana', targets: ['grafana01.incus:3000'] }, federationJob(cluster)],
  };

  it('writes prometheus.yml with typed scrape jobs, defaults filled in, and no alerting unless asked', () => {
    const preview = previewModuleCall(prometheus(config));
    expect(preview.validationErrors).toEqual([]);
    const yml = parse(fileOf(preview, '/etc/prometheus/prometheus.yml'));
    expect(yml).toEqual({
      global: { scrape_interval: '15s', evaluation_interval: '15s' },
      rule_files: ['/etc/prometheus/rules/*.yml'],
      scrape_configs: [
        { job_name: 'prometheus', static_configs: [{ targets: ['localhost:9090'] }] },
        {
          job_name: 'grafana',
          metrics_path: '/metrics',
          scheme: 'http',
          honor_labels: false,
          static_configs: [{ targets: ['grafana01.incus:3000'], labels: {} }],
        },
        {
          job_name: 'federate-prometheus02',
          metrics_path: '/federate',
          scheme: 'http',
          honor_labels: true,
          params: { 'match[]': ['{job=~".+"}'] },
          // Another module's output: known only after apply.
          static_configs: [{ targets: ['(known after apply)'], labels: {} }],
        },
      ],
    });
  });

  it('adds the Alertmanagers when there are some', () => {
    const preview = previewModuleCall(
      prometheus({ ...config, alertmanagers: ['alertmanager01.incus:9093'] }),
    );
    const yml = parse(fileOf(preview, '/etc/prometheus/prometheus.yml'));
    expect(yml.alerting).toEqual({
      alertmanagers: [{ static_configs: [{ targets: ['alertmanager01.incus:9093'] }] }],
    });
  });

  it('writes the alert rules, the daemon arguments and, only when set, the Incus client certificate', () => {
    const preview = previewModule(prometheusModule, {
      profiles: ['base', 'net'],
      retention_size: '90GB',
      incus_metrics: { address: '10.0.0.1:8443', certificate: 'CERT\n', private_key: 'KEY\n' },
    });
    const rules = parse(fileOf(preview, '/etc/prometheus/rules/atlas.yml'));
    expect(rules.groups[0].rules).toHaveLength(DEFAULT_ALERT_RULES.length);
    expect(rules.groups[0].rules[0]).toEqual({
      alert: 'ServiceDown',
      expr: 'up == 0',
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: '{{ $labels.job }} on {{ $labels.instance }} is down',
        description: '{{ $labels.instance }} has not answered scrapes for more than 2 minutes.',
      },
    });
    expect(fileOf(preview, '/etc/default/prometheus')).toBe(
      'ARGS="--config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/prometheus --storage.tsdb.retention.time=30d --storage.tsdb.retention.size=90GB"\n',
    );
    expect(preview.files.get('/etc/prometheus/tls/incus-metrics.key')).toEqual({
      content: 'KEY\n',
      permissions: '0600',
    });
    const incus = parse(fileOf(preview, '/etc/prometheus/prometheus.yml')).scrape_configs.at(-1);
    expect(incus).toMatchObject({
      job_name: 'incus',
      static_configs: [{ targets: ['10.0.0.1:8443'] }],
    });

    const without = previewModule(prometheusModule, { profiles: ['base', 'net'] });
    expect([...without.files.keys()].filter((p) => p.includes('/tls/'))).toEqual([]);
  });

  it('rejects in HCL the limits zod rejects, with the rule messages', () => {
    expect(() => prometheus({ ...config, cpu: 0 })).toThrow(/whole number of CPUs/);
    expect(() => prometheus({ ...config, memory: '2 GB' })).toThrow(/expected a size/);
    const preview = previewModule(prometheusModule, {
      profiles: ['base', 'net'],
      cpu_limit: 0,
      memory_limit: '2 GB',
    });
    expect(preview.validationErrors).toEqual([
      'var.cpu_limit: Must be a whole number of CPUs from 1 to 64.',
      'var.memory_limit: Must be a size such as 512MB or 2GiB (a whole number followed by kB, MB, GB, TB, KiB, MiB, GiB, TiB; no space).',
    ]);
  });
});

describe('grafana', () => {
  it('provisions the datasources from other modules’ endpoints', () => {
    const prometheus01 = prometheus({ name: 'prometheus01', network });
    const loki01 = loki({ name: 'loki01', network });
    const call = grafana({
      name: 'grafana01',
      network,
      domain: 'grafana.example.com',
      datasources: [{ source: prometheus01, isDefault: true }, { source: loki01 }],
    });
    const preview = previewModule(grafanaModule, {
      ...Object.fromEntries(call.args),
      admin_password: 'correct horse battery staple',
    });
    expect(preview.validationErrors).toEqual([]);
    const provisioning = fileOf(preview, '/etc/grafana/provisioning/datasources/atlas.yaml');
    expect(parse(provisioning)).toEqual({
      apiVersion: 1,
      datasources: [
        {
          name: 'prometheus01',
          type: 'prometheus',
          access: 'proxy',
          url: '(known after apply)',
          isDefault: true,
          editable: false,
        },
        {
          name: 'loki01',
          type: 'loki',
          access: 'proxy',
          url: '(known after apply)',
          isDefault: false,
          editable: false,
        },
      ],
    });
    expect(fileOf(preview, '/etc/grafana/grafana.ini')).toContain(
      'domain = grafana.example.com\nroot_url = https://grafana.example.com/\n',
    );
    expect(preview.files.get('/etc/grafana/admin_password')).toEqual({
      content: 'correct horse battery staple',
      permissions: '0640',
    });
  });

  it('rejects a short password and two default datasources', () => {
    const preview = previewModule(grafanaModule, {
      profiles: ['base', 'net'],
      domain: 'grafana.example.com',
      admin_password: 'short',
      datasources: [
        { name: 'a', type: 'prometheus', url: 'http://a', is_default: true },
        { name: 'b', type: 'loki', url: 'http://b', is_default: true },
      ],
    });
    expect(preview.validationErrors).toEqual([
      'var.admin_password: Must be at least 12 characters.',
      'var.datasources: At most one datasource can be the default.',
    ]);
  });
});

describe('loki', () => {
  it('configures compactor retention from the retention settings', () => {
    const preview = previewModuleCall(
      loki({
        name: 'loki01',
        network,
        retention: { period: '2160h', deleteDelay: '24h' },
        externalAccess: { hostPort: 3100 },
      }),
    );
    expect(preview.validationErrors).toEqual([]);
    const config = parse(fileOf(preview, '/etc/loki/config.yml'));
    expect(config.compactor).toEqual({
      working_directory: '/loki/compactor',
      retention_enabled: true,
      retention_delete_delay: '24h',
      delete_request_store: 'filesystem',
    });
    expect(config.limits_config).toEqual({ retention_period: '2160h' });
    expect(preview.resources['incus_profile.service']!.device).toContainEqual({
      name: 'http-tcp',
      type: 'proxy',
      properties: { listen: 'tcp:0.0.0.0:3100', connect: 'tcp:127.0.0.1:3100' },
    });
  });

  it('rejects retention shorter than Loki allows, as zod does', () => {
    expect(() => loki({ network, retention: { period: '12h' } })).toThrow(/at least 24h/);
    const preview = previewModule(lokiModule, {
      profiles: ['base', 'net'],
      retention_period: '12h',
      retention_delete_delay: '1h',
    });
    expect(preview.validationErrors).toEqual([
      'var.retention_period: Must be whole hours such as 720h, and at least 24h.',
      'var.retention_delete_delay: Must be whole hours such as 2h, and at least 2h.',
    ]);
  });
});
