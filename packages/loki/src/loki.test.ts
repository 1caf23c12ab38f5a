import { testNetwork } from '@atlas/testing';
import type { NetworkAttachment } from '@atlas/core';
import { renderModules, writeTree } from '@atlas/generator';
import { previewModule, previewModuleCall } from '@atlas/preview';
import { checkCloudInit, hasChecker, verifyTree } from '@atlas/verify';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loki, lokiConfigSchema, lokiModule } from './index.js';

const attach = (mode: NetworkAttachment['mode']) => testNetwork(mode, 'management');
const network = attach('bridge');

describe('loki', () => {
  it('defaults to the seeds: 2 CPU, 2GB, 50GB at /loki, weekly snapshots kept 2w, 720h retention with a 2h delete delay', () => {
    const c = lokiConfigSchema.parse({ network });
    expect(c).toMatchObject({
      name: 'loki01',
      cpu: 2,
      memory: '2GB',
      retention: { period: '720h', deleteDelay: '2h' },
    });
    expect(c.data).toMatchObject({
      size: '50GB',
      snapshots: { schedule: '@weekly', expiry: '2w' },
    });
  });

  it.each([
    [{ retention: { deleteDelay: '1h' } }, 'retention_delete_delay', '1h', 'at least 2h'],
    [{ retention: { deleteDelay: '90m' } }, 'retention_delete_delay', '90m', 'whole hours'],
    [{ retention: { period: '12h' } }, 'retention_period', '12h', 'at least 24h'],
    [{ retention: { period: '30d' } }, 'retention_period', '30d', 'whole hours'],
  ])('rejects %j in zod and in the module', (bad, variable, value, message) => {
    expect(() => loki({ network, ...bad })).toThrow(new RegExp(message, 'i'));
    const preview = previewModule(lokiModule, { profiles: ['base'], [variable]: value });
    expect(preview.validationErrors.join('\n')).toMatch(
      new RegExp(`var\\.${variable}: .*${message}`, 'i'),
    );
  });

  it("installs the pinned release from Grafana's apt repository, moved through package_versions", () => {
    const installOf = (inputs: Record<string, unknown>) =>
      (
        parse(previewModule(lokiModule, { profiles: ['base'], ...inputs }).cloudInit!) as {
          runcmd: string[];
        }
      ).runcmd.find((c) => /apt-get install /.test(c));
    expect(lokiModule.variables.package_versions).toBeDefined();
    expect(installOf({})).toMatch(/ loki=3\.5\.3$/);
    expect(installOf({ package_versions: { loki: '3.6.0' } })).toMatch(/ loki=3\.6\.0$/);
  });

  it('enforces retention through the compactor', () => {
    const preview = previewModuleCall(
      loki({ network, retention: { period: '2160h', deleteDelay: '24h' } }),
    );
    const config = parse(preview.files.get('/etc/loki/config.yml')!.content);
    expect(config.compactor).toMatchObject({
      retention_enabled: true,
      retention_delete_delay: '24h',
      delete_request_store: 'filesystem',
    });
    expect(config.limits_config.retention_period).toBe('2160h');
    expect(config.common.path_prefix).toBe('/loki');
  });

  it('publishes the API through a proxy device only when asked, and only in bridge mode', () => {
    const devices = (c: Parameters<typeof loki>[0]) =>
      (
        previewModuleCall(loki(c)).resources['incus_profile.service']!.device as Array<{
          type: string;
          properties: Record<string, string>;
        }>
      )
        .filter((d) => d.type === 'proxy')
        .map((d) => d.properties.listen);
    expect(devices({ network })).toEqual([]);
    expect(devices({ network, externalAccess: { hostPort: 3101 } })).toEqual(['tcp:0.0.0.0:3101']);
    expect(devices({ network: attach('physical'), externalAccess: { hostPort: 3101 } })).toEqual(
      [],
    );
  });

  it.skipIf(!hasChecker('cloud-init'))('the user-data passes cloud-init schema', () => {
    const result = checkCloudInit(previewModuleCall(loki({ network })).cloudInit!);
    expect(result.stdout + result.stderr).toContain('Valid cloud-config');
  });

  it('renders a valid, tofu-fmt exact module', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-loki-'));
    try {
      await writeTree(join(dir, 'generated'), renderModules([lokiModule]));
      expect(await verifyTree(dir)).toEqual([]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the standard service variables reject what Incus would', () => {
  it.each([
    ['instance_name', '01loki', 'starts with a letter'],
    ['profile_name', 'loki profile', 'starts with a letter'],
    ['profiles', ['default', 'management-network'], 'Do not use the "default" profile'],
    ['root_disk_size', '2 GB', 'size such as 512MB'],
    ['data_volume_size', '50', 'size such as 512MB'],
    ['data_volume_name', 'loki_data', 'starts with a letter'],
    ['snapshot_expiry', '2 weeks', 'Incus expiry'],
    ['snapshot_schedule', 'weekly', 'cron expression'],
    [
      'proxy_devices',
      { http: { listen: '0.0.0.0:3100', connect: 'tcp:127.0.0.1:3100' } },
      'tcp:ADDRESS:PORT',
    ],
  ])('%s = %j', (variable, value, message) => {
    const preview = previewModule(lokiModule, { profiles: ['base', 'net'], [variable]: value });
    expect(preview.validationErrors).toEqual([expect.stringContaining(message)]);
    expect(preview.validationErrors[0]).toMatch(new RegExp(`^var\\.${variable}: `));
  });
});
