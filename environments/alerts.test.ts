import { DEFAULT_ALERT_RULES } from '@atlas/prometheus';
import { previewModule } from '@atlas/preview';
import { freeLoopbackPort, hasChecker } from '@atlas/verify';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { atlasEstate } from './index.js';

/** cluster01's alertmanager.yml as its module renders it, the secrets given values. */
function cluster01AlertmanagerConfig(): Record<string, unknown> {
  const env = atlasEstate().environments.find((e) => e.name === 'cluster01')!;
  const call = env.modules.find((m) => m.name === 'alertmanager01')!;
  // The secrets are root variables, known only at apply.
  const preview = previewModule(call.definition, {
    ...Object.fromEntries(call.args),
    smtp_auth_password: 'an SMTP password',
    slack_api_url: 'https://hooks.slack.com/services/T0/B0/XYZ',
  });
  return parse(preview.files.get('/etc/prometheus/alertmanager.yml')!.content);
}

/** Labels as the standard Prometheus rules give them (packages/prometheus/src/alert-rules.promtool.yml). */
const container = { job: 'incus', instance: '192.168.71.5:8443', environment: 'cluster01' };
const alert = (alertname: string, severity: string, labels: Record<string, string>) => ({
  labels: { alertname, severity, ...container, ...labels },
  annotations: { summary: alertname },
});

describe.skipIf(!hasChecker('amtool'))("cluster01's Alertmanager", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'atlas-alerts-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('passes amtool check-config and routes critical and warning alerts to receivers that notify', async () => {
    const config = cluster01AlertmanagerConfig();
    // The secret files the config names are written by cloud-init; amtool only checks the YAML.
    const file = join(dir, 'alertmanager.yml');
    await writeFile(file, stringify(config));
    const check = spawnSync('amtool', ['check-config', file], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(check.stdout + check.stderr).toContain('SUCCESS');

    const route = (labels: string) => {
      const r = spawnSync(
        'amtool',
        ['config', 'routes', 'test', `--config.file=${file}`, ...labels.split(' ')],
        { encoding: 'utf8', timeout: 30_000 },
      );
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.trim();
    };
    const receivers = new Map(
      (config.receivers as { name: string; [integration: string]: unknown }[]).map((r) => [
        r.name,
        Object.keys(r).filter((k) => k.endsWith('_configs')),
      ]),
    );
    for (const labels of [
      'alertname=ServiceDown severity=critical',
      'alertname=HighCPUUsage severity=warning',
    ]) {
      const receiver = route(labels);
      expect(receivers.get(receiver)?.length, `${labels} → ${receiver}`).toBeGreaterThan(0);
    }
    expect(route('alertname=ServiceDown severity=critical')).not.toBe(
      route('alertname=HighCPUUsage severity=warning'),
    );
    expect(receivers.get(route('alertname=ServiceDown severity=critical'))).toEqual(
      expect.arrayContaining(['slack_configs', 'email_configs']),
    );
  });

  it("inhibits only by alerts Prometheus's standard rules raise", () => {
    const rules = cluster01AlertmanagerConfig().inhibit_rules as {
      source_matchers: string[];
      target_matchers: string[];
    }[];
    const named = rules
      .flatMap((r) => [...r.source_matchers, ...r.target_matchers])
      .map((m) => /^alertname="(.+)"$/.exec(m)?.[1]);
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(DEFAULT_ALERT_RULES.map((r) => r.alert)).toContain(name);
  });

  it('mutes a warning while its critical alert fires for the same container, in the real Alertmanager', async () => {
    // Receivers without integrations: the test must not notify anyone, nor leave loopback.
    const config = cluster01AlertmanagerConfig();
    const silent = {
      ...config,
      global: { resolve_timeout: '5m' },
      receivers: (config.receivers as { name: string }[]).map((r) => ({ name: r.name })),
    };
    const file = join(dir, 'inhibit.yml');
    await writeFile(file, stringify(silent));
    const [web, cluster] = [await freeLoopbackPort(), await freeLoopbackPort()];
    const daemon = spawn(
      'prometheus-alertmanager',
      [
        `--config.file=${file}`,
        `--storage.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${web}`,
        `--cluster.listen-address=`,
        `--cluster.advertise-address=127.0.0.1:${cluster}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let log = '';
    daemon.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const url = `http://127.0.0.1:${web}`;
    try {
      const deadline = Date.now() + 30_000;
      const until = async <T>(probe: () => Promise<T | undefined>): Promise<T> => {
        for (;;) {
          const value = await probe().catch(() => undefined);
          if (value !== undefined) return value;
          if (Date.now() > deadline || daemon.exitCode !== null)
            throw new Error(`Alertmanager did not get there in time:\n${log}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      };
      await until(async () => ((await fetch(`${url}/-/ready`)).ok ? true : undefined));

      const posted = await fetch(`${url}/api/v2/alerts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([
          alert('CriticalMemoryUsage', 'critical', { name: 'loki01' }),
          alert('HighMemoryUsage', 'warning', { name: 'loki01' }),
          // Another container's warning stays: only its own critical alert mutes it.
          alert('HighMemoryUsage', 'warning', { name: 'grafana01' }),
          alert('DiskSpaceCritical', 'critical', { name: 'loki01', mountpoint: '/loki' }),
          alert('DiskSpaceWarning', 'warning', { name: 'loki01', mountpoint: '/loki' }),
          alert('DiskSpaceWarning', 'warning', { name: 'loki01', mountpoint: '/' }),
        ]),
      });
      expect(posted.status).toBe(200);

      type Listed = {
        labels: Record<string, string>;
        status: { state: string; inhibitedBy: string[] };
      };
      const states = await until(async () => {
        const listed = (await (await fetch(`${url}/api/v2/alerts`)).json()) as Listed[];
        return listed.length === 6 ? listed : undefined;
      });
      const state = (alertname: string, labels: Record<string, string>) =>
        states.find(
          (a) =>
            a.labels.alertname === alertname &&
            Object.entries(labels).every(([k, v]) => a.labels[k] === v),
        )?.status.state;
      expect({
        memoryWarning: state('HighMemoryUsage', { name: 'loki01' }),
        otherContainer: state('HighMemoryUsage', { name: 'grafana01' }),
        memoryCritical: state('CriticalMemoryUsage', { name: 'loki01' }),
        diskWarning: state('DiskSpaceWarning', { mountpoint: '/loki' }),
        otherMount: state('DiskSpaceWarning', { mountpoint: '/' }),
        diskCritical: state('DiskSpaceCritical', { mountpoint: '/loki' }),
      }).toEqual({
        memoryWarning: 'suppressed',
        otherContainer: 'active',
        memoryCritical: 'active',
        diskWarning: 'suppressed',
        otherMount: 'active',
        diskCritical: 'active',
      });
    } finally {
      daemon.kill('SIGTERM');
      if (daemon.exitCode === null) await new Promise((resolve) => daemon.once('exit', resolve));
    }
  }, 60_000);
});
