import { previewModule } from '@atlas/preview';
import { hasChecker } from '@atlas/verify';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { prometheusModule } from './index.js';

// iapetus's own series carry no environment label in its TSDB; cluster01's
// arrive through /federate with cluster01's external label. Container and
// exporter names are the same in both environments.
const both = (series: string, values: string) => [
  { series: `${series.slice(0, -1)}}`, values },
  { series: `${series.slice(0, -1)}, environment="cluster01"}`, values },
];

const tests = {
  rule_files: ['atlas.yml'],
  evaluation_interval: '1m',
  tests: [
    {
      interval: '1m',
      input_series: [
        ...both('up{job="node", instance="node-exporter01.incus:9100"}', '0x20'),
        ...both(
          'incus_cpu_seconds_total{job="incus", name="prometheus01", cpu="0", mode="user"}',
          '0+60x20',
        ),
        ...both('incus_cpu_effective_total{job="incus", name="prometheus01"}', '1x20'),
      ],
      alert_rule_test: [
        {
          eval_time: '5m',
          alertname: 'ServiceDown',
          exp_alerts: [{}, { environment: 'cluster01' }].map((env) => ({
            exp_labels: {
              severity: 'critical',
              job: 'node',
              instance: 'node-exporter01.incus:9100',
              ...env,
            },
            exp_annotations: {
              summary: 'node on node-exporter01.incus:9100 is down',
              description:
                'node-exporter01.incus:9100 has not answered scrapes for more than 2 minutes.',
            },
          })),
        },
        {
          eval_time: '15m',
          alertname: 'HighCPUUsage',
          exp_alerts: [{}, { environment: 'cluster01' }].map((env) => ({
            exp_labels: { severity: 'warning', name: 'prometheus01', ...env },
            exp_annotations: {
              summary: 'Container prometheus01 uses over 80% of its CPU',
              description: 'CPU use of prometheus01 has been 100% for 10 minutes.',
            },
          })),
        },
      ],
    },
  ],
};

describe('the standard alert rules over two environments federated together', () => {
  it.skipIf(!hasChecker('promtool'))(
    'ServiceDown and HighCPUUsage fire once per environment for the same instance names',
    () => {
      const rules = previewModule(prometheusModule, { profiles: ['base'] }).files.get(
        '/etc/prometheus/rules/atlas.yml',
      )!.content;
      const dir = mkdtempSync(join(tmpdir(), 'atlas-federated-rules-'));
      try {
        writeFileSync(join(dir, 'atlas.yml'), rules);
        writeFileSync(join(dir, 'tests.yml'), stringify(tests));
        const result = spawnSync('promtool', ['test', 'rules', 'tests.yml'], {
          cwd: dir,
          encoding: 'utf8',
          timeout: 60_000,
        });
        expect(result.stdout + result.stderr).toContain('SUCCESS');
        expect(result.status).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});
