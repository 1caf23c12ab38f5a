import { testNetwork } from '@atlas/testing';
import { renderModules, writeTree } from '@atlas/generator';
import { str } from '@atlas/hcl';
import { previewModule, previewModuleCall } from '@atlas/preview';
import { checkCloudInit, checkContent, hasChecker, verifyTree } from '@atlas/verify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DEFAULT_ALERT_RULES,
  PROMETHEUS_DEFAULTS,
  federationJob,
  prometheus,
  prometheusConfigSchema,
  prometheusModule,
  scrapeJob,
} from './index.js';

const network = testNetwork();
// Literal addresses, so the rendered config is complete (another module's output is known only at apply).
const target = (name: string) => ({ name, metrics: { target: str(`${name}.incus:9090`) } });
const fileOf = (preview: ReturnType<typeof previewModuleCall>, path: string) => {
  const file = preview.files.get(path);
  if (!file) throw new Error(`cloud-init writes no ${path}`);
  return file.content;
};

describe('prometheus defaults', () => {
  it("carry the seeds' sizing, volume and snapshot policy", () => {
    const c = prometheusConfigSchema.parse({ network });
    expect(c).toMatchObject({
      name: 'prometheus01',
      cpu: 2,
      memory: '2GB',
      rootDiskSize: '2GB',
      retention: { time: '30d' },
    });
    expect(c.data).toMatchObject({
      enabled: true,
      size: '100GB',
      snapshots: { enabled: false, schedule: '@weekly', expiry: '2w' },
    });
    expect(PROMETHEUS_DEFAULTS.dataVolume.mountPath).toBe('/prometheus');
  });

  it("ship the seeds' alert rules", () => {
    expect(DEFAULT_ALERT_RULES.map((r) => r.alert)).toEqual([
      'ServiceDown',
      'ServiceFlapping',
      'HighMemoryUsage',
      'CriticalMemoryUsage',
      'HostOutOfMemory',
      'HostHighMemoryPressure',
      'DiskSpaceWarning',
      'DiskSpaceCritical',
      'HighCPUUsage',
      'HighLoadAverage',
    ]);
  });
});

describe('prometheus validation, in zod and in the module', () => {
  it.each([
    [{ cpu: 0 }, 'cpu_limit', { cpu_limit: 0 }, 'whole number of CPUs'],
    [{ memory: '2 GB' }, 'memory_limit', { memory_limit: '2 GB' }, '512MB or 2GiB'],
    [
      { retention: { time: '30 days' } },
      'retention_time',
      { retention_time: '30 days' },
      'duration',
    ],
    [
      { retention: { size: '90 GiB' } },
      'retention_size',
      { retention_size: '90 GiB' },
      'Prometheus units',
    ],
    [
      { data: { snapshots: { schedule: 'nightly' } } },
      'snapshot_schedule',
      { snapshot_schedule: 'nightly' },
      'cron',
    ],
  ])('%j is rejected', (bad, variable, hclInput, message) => {
    expect(() => prometheus({ network, ...bad } as never)).toThrow(new RegExp(message));
    const preview = previewModule(prometheusModule, { profiles: ['base', 'net'], ...hclInput });
    expect(preview.validationErrors.join('\n')).toMatch(
      new RegExp(`var\\.${variable}: .*${message}`),
    );
  });

  it('rejects duplicate scrape job names', () => {
    expect(() =>
      prometheus({
        network,
        scrapeJobs: [scrapeJob('x', target('a')), scrapeJob('x', target('b'))],
      }),
    ).toThrow(/job name "x" is used twice/);
    const preview = previewModule(prometheusModule, {
      profiles: ['base'],
      scrape_jobs: [
        { name: 'x', targets: ['a:1'] },
        { name: 'x', targets: ['b:1'] },
      ],
    });
    expect(preview.validationErrors.join('\n')).toMatch(/unique/);
  });
});

describe('prometheus configuration', () => {
  const preview = previewModuleCall(
    prometheus({
      network,
      retention: { time: '15d', size: '90GB' },
      scrapeJobs: [
        scrapeJob('grafana', target('grafana01')),
        federationJob({ ...target('prometheus02') } as never),
      ],
      alertmanagers: ['alertmanager01.incus:9093'],
    }),
  );

  it('renders scrape jobs, federation and alerting from typed input', () => {
    expect(preview.validationErrors).toEqual([]);
    const config = parse(fileOf(preview, '/etc/prometheus/prometheus.yml'));
    expect(config.scrape_configs.map((j: { job_name: string }) => j.job_name)).toEqual([
      'prometheus',
      'grafana',
      'federate-prometheus02',
    ]);
    expect(config.scrape_configs[2]).toMatchObject({
      metrics_path: '/federate',
      honor_labels: true,
      params: { 'match[]': ['{job=~".+"}'] },
    });
    expect(config.alerting.alertmanagers[0].static_configs[0].targets).toEqual([
      'alertmanager01.incus:9093',
    ]);
    expect(fileOf(preview, '/etc/default/prometheus')).toContain(
      '--storage.tsdb.retention.time=15d --storage.tsdb.retention.size=90GB',
    );
  });

  it('scrapes Incus over mTLS only when a client certificate is given', () => {
    const inputs = {
      profiles: ['base'],
      incus_metrics: { address: '10.20.0.1:8443', certificate: 'CERT', private_key: 'KEY' },
    };
    const withIncus = previewModule(prometheusModule, inputs);
    const config = parse(withIncus.files.get('/etc/prometheus/prometheus.yml')!.content);
    expect(config.scrape_configs.at(-1)).toMatchObject({
      job_name: 'incus',
      scheme: 'https',
      metrics_path: '/1.0/metrics',
      tls_config: { cert_file: '/etc/prometheus/tls/incus-metrics.crt' },
    });
    expect(withIncus.files.get('/etc/prometheus/tls/incus-metrics.key')).toMatchObject({
      content: 'KEY',
      permissions: '0600',
    });
    const without = previewModule(prometheusModule, { profiles: ['base'] });
    expect([...without.files.keys()].some((p) => p.includes('incus-metrics'))).toBe(false);
  });

  it.skipIf(!hasChecker('promtool'))('prometheus.yml passes promtool check config', () => {
    const result = checkContent(
      'promtool',
      fileOf(preview, '/etc/prometheus/prometheus.yml'),
      (f) => ['check', 'config', f],
      'prometheus.yml',
    );
    expect(result.stderr + result.stdout).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it.skipIf(!hasChecker('promtool'))('the alert rules pass promtool check rules', () => {
    const result = checkContent(
      'promtool',
      fileOf(preview, '/etc/prometheus/rules/atlas.yml'),
      (f) => ['check', 'rules', f],
      'atlas.yml',
    );
    expect(result.stdout).toContain(`SUCCESS: ${DEFAULT_ALERT_RULES.length} rules found`);
    expect(result.status).toBe(0);
  });

  it.skipIf(!hasChecker('cloud-init'))('the user-data passes cloud-init schema', () => {
    const result = checkCloudInit(preview.cloudInit!);
    expect(result.stdout + result.stderr).toContain('Valid cloud-config');
  });
});

describe('the prometheus module', () => {
  it('is valid, tofu-fmt exact OpenTofu', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-prometheus-'));
    try {
      await writeTree(join(dir, 'generated'), renderModules([prometheusModule]));
      expect(await verifyTree(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('prometheus rules the module checks from HCL', () => {
  it.each([
    [
      'scrape_jobs',
      [{ name: 'x', targets: ['a:1'], scheme: 'ftp' }],
      'scheme" must be http or https',
    ],
    ['evaluation_interval', '1 minute', 'duration'],
    [
      'alert_rules',
      [
        {
          alert: 'A',
          expr: 'up == 0',
          for_duration: '1m',
          severity: 'page',
          summary: 's',
          description: 'd',
        },
      ],
      'critical, warning or info',
    ],
  ])('%s = %j', (variable, value, message) => {
    const preview = previewModule(prometheusModule, { profiles: ['base'], [variable]: value });
    expect(preview.validationErrors.join('\n')).toMatch(
      new RegExp(`var\\.${variable}: .*${message}`),
    );
  });
});

describe('prometheus before another environment is applied', () => {
  it('sends alerts to no null target (no [null], no http:///api/v2/alerts)', () => {
    const pending = previewModule(prometheusModule, { profiles: ['base'], alertmanagers: [null] });
    const config = parse(pending.files.get('/etc/prometheus/prometheus.yml')!.content);
    expect(config).not.toHaveProperty('alerting');
    const known = previewModule(prometheusModule, {
      profiles: ['base'],
      alertmanagers: [null, '192.168.71.11:9093'],
      external_labels: { environment: 'iapetus' },
    });
    const ready = parse(known.files.get('/etc/prometheus/prometheus.yml')!.content);
    expect(ready.alerting.alertmanagers[0].static_configs[0].targets).toEqual([
      '192.168.71.11:9093',
    ]);
    expect(ready.global.external_labels).toEqual({ environment: 'iapetus' });
  });
});
