import { testNetwork } from '@atlas/testing';
import { ConfigError, type NetworkAttachment } from '@atlas/core';
import { renderModules, writeTree } from '@atlas/generator';
import { printExpr } from '@atlas/hcl';
import { previewModule, previewModuleCall, type ModulePreview } from '@atlas/preview';
import { hasChecker, runChecker, summarizeModule, verifyTree } from '@atlas/verify';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  LISTEN_SCRIPT,
  ovnCentral,
  ovnCentralConfigSchema,
  ovnCentralModule,
  type OvnCentralConfig,
} from './index.js';

const attach = (mode: NetworkAttachment['mode']) => testNetwork(mode, 'management');
const seeds: OvnCentralConfig = { network: attach('ovn'), hostAddress: '192.168.71.5' };

function configErrors(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split('\n');
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const devices = (preview: ModulePreview) =>
  preview.resources['incus_profile.service']!.device as Array<Record<string, unknown>>;

describe('defaults', () => {
  it('keeps the databases on a 1GB volume at /var/lib/ovn, snapshotted @daily for 7d', () => {
    const c = ovnCentralConfigSchema.parse(seeds);
    expect(c).toMatchObject({
      name: 'ovn-central01',
      cpu: 1,
      memory: '512MB',
      rootDiskSize: '2GB',
      bridge: 'incusbr0',
      setNorthboundConnection: false,
      data: {
        enabled: true,
        size: '1GB',
        snapshots: { enabled: false, schedule: '@daily', expiry: '7d' },
      },
    });

    const preview = previewModuleCall(ovnCentral(seeds));
    expect(devices(preview).find((d) => d.name === 'data')).toEqual({
      name: 'data',
      type: 'disk',
      properties: { source: 'ovn-central01-data', pool: 'local', path: '/var/lib/ovn' },
    });
    expect(preview.resources['incus_storage_volume.data[0]']).toMatchObject({
      config: { size: '1GB' },
    });
  });
});

describe('the container', () => {
  it('sits on incusbr0 with only the base profile and publishes both databases on the host address', () => {
    const call = ovnCentral(seeds);
    expect(printExpr(call.args.get('profiles')!)).toBe('[module.base.container_base_profile]');
    const preview = previewModuleCall(call);
    expect(preview.validationErrors).toEqual([]);
    expect(devices(preview).filter((d) => d.name !== 'root' && d.name !== 'data')).toEqual([
      { name: 'eth0', type: 'nic', properties: { network: 'incusbr0' } },
      {
        name: 'northbound',
        type: 'proxy',
        properties: { listen: 'tcp:192.168.71.5:6641', connect: 'tcp:127.0.0.1:6641' },
      },
      {
        name: 'southbound',
        type: 'proxy',
        properties: { listen: 'tcp:192.168.71.5:6642', connect: 'tcp:127.0.0.1:6642' },
      },
    ]);
    expect(preview.resources['incus_server.ovn[0]']).toBeUndefined();
    expect(preview.outputs.northbound_connection).toBe('tcp:192.168.71.5:6641');
    expect(preview.outputs.southbound_connection).toBe('tcp:192.168.71.5:6642');
    expect(printExpr(call.northboundConnection)).toBe('module.ovn_central01.northbound_connection');
  });

  it('prints the seeds’ chassis set-up commands for its address', () => {
    const preview = previewModuleCall(ovnCentral(seeds));
    expect(preview.outputs.chassis_setup).toBe(
      [
        '# On each IncusOS node (fill in <node> and <node-ip>), run ovn-controller against the southbound database:',
        "incus admin os service edit ovn --target=<node> << 'EOF'",
        '{"config": {"database": "tcp:192.168.71.5:6642", "enabled": true, "tunnel_address": "<node-ip>"}}',
        'EOF',
        '# Then point Incus at the northbound database (done for you with set_northbound_connection):',
        'incus config set network.ovn.northbound_connection=tcp:192.168.71.5:6641',
        '',
      ].join('\n'),
    );
  });

  it('joins a bridge network of the estate when asked, and can set the Incus northbound connection', () => {
    const call = ovnCentral({
      network: attach('bridge'),
      hostAddress: '192.168.71.5',
      bridge: null,
      setNorthboundConnection: true,
    });
    expect(printExpr(call.args.get('profiles')!)).toBe(
      '[module.base.container_base_profile, module.base.network_profiles.management]',
    );
    const preview = previewModuleCall(call);
    expect(devices(preview).map((d) => d.name)).toEqual([
      'root',
      'data',
      'northbound',
      'southbound',
    ]);
    expect(preview.resources['incus_server.ovn[0]']).toEqual({
      config: { 'network.ovn.northbound_connection': 'tcp:192.168.71.5:6641' },
    });
  });

  it('installs Debian’s ovn-central and opens the databases to TCP at first boot', () => {
    const preview = previewModuleCall(ovnCentral(seeds));
    const userData = parse(preview.cloudInit!);
    expect(userData.packages).toEqual(['ovn-central=25.03.0-1']);
    expect(userData.runcmd).toEqual([
      'install -d -m 0755 /var/lib/ovn',
      'systemctl enable --now ovn-central',
      '/usr/local/sbin/ovn-central-listen',
    ]);
    expect(preview.files.get('/usr/local/sbin/ovn-central-listen')).toEqual({
      content: LISTEN_SCRIPT,
      permissions: '0755',
    });
    expect(LISTEN_SCRIPT).toContain('ovn-nbctl set-connection ptcp:6641\n');
    expect(LISTEN_SCRIPT).toContain('ovn-sbctl set-connection ptcp:6642\n');
  });
});

describe('validation', () => {
  const hcl = (inputs: Record<string, unknown>) =>
    previewModule(ovnCentralModule, {
      profiles: ['container-base'],
      host_address: '192.168.71.5',
      ...inputs,
    }).validationErrors;

  it('needs an IPv4 host address', () => {
    expect(configErrors(() => ovnCentral({ ...seeds, hostAddress: '192.168.71' }))).toEqual([
      'ovn-central01.hostAddress: expected an IPv4 address such as 10.10.0.1',
    ]);
    expect(hcl({ host_address: '192.168.71' })).toEqual([
      'var.host_address: Must be an IPv4 address such as 10.10.0.1.',
    ]);
  });

  it('needs a valid bridge name, and refuses the OVN overlay itself', () => {
    expect(configErrors(() => ovnCentral({ ...seeds, bridge: 'incus br0' }))).toEqual([
      expect.stringMatching(
        /^ovn-central01\.bridge: expected a name of letters, digits and hyphens/,
      ),
    ]);
    expect(hcl({ bridge_network: 'incus br0' })).toEqual([
      expect.stringMatching(/^var\.bridge_network: Must be a name of letters.*, or null\.$/),
    ]);
    expect(hcl({ bridge_network: null })).toEqual([]);
    expect(configErrors(() => ovnCentral({ ...seeds, bridge: null }))).toEqual([
      'ovn-central01.network: OVN central cannot run on the OVN network it serves: keep a bridge (e.g. "incusbr0") or attach a bridge network',
    ]);
  });

  it('applies the shared limits and snapshot rules', () => {
    expect(
      configErrors(() =>
        ovnCentral({ ...seeds, cpu: 0, data: { snapshots: { schedule: 'daily' } } }),
      ),
    ).toEqual([
      'ovn-central01.cpu: expected a whole number of CPUs from 1 to 64',
      expect.stringMatching(
        /^ovn-central01\.data\.snapshots\.schedule: expected a cron expression/,
      ),
    ]);
    expect(hcl({ cpu_limit: 0, snapshot_schedule: 'daily' })).toEqual([
      'var.cpu_limit: Must be a whole number of CPUs from 1 to 64.',
      expect.stringMatching(/^var\.snapshot_schedule: Must be a cron expression/),
    ]);
  });
});

describe('generated module and real checkers', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'atlas-ovn-central-'));
    await writeTree(join(root, 'generated'), renderModules([ovnCentralModule]));
  });
  afterAll(() => rm(root, { recursive: true, force: true }));

  it('passes every check', async () => {
    expect(await verifyTree(join(root, 'generated'))).toEqual([]);
  });

  it('declares the standard service resources plus the optional Incus OVN setting', async () => {
    const summary = await summarizeModule(join(root, 'generated/modules/ovn-central'));
    expect(summary.resources).toEqual([
      'incus_instance.this',
      'incus_profile.service',
      'incus_server.ovn',
      'incus_storage_volume.data',
    ]);
    expect(summary.outputs).toEqual([
      'ansible_vars',
      'chassis_setup',
      'data_volume_name',
      'instance_name',
      'ipv4_address',
      'northbound_connection',
      'profile_name',
      'southbound_connection',
    ]);
  });

  it.skipIf(!hasChecker('cloud-init'))('user-data passes cloud-init schema', async () => {
    const file = join(root, 'user-data.yaml');
    await writeFile(file, previewModuleCall(ovnCentral(seeds)).cloudInit!);
    const result = runChecker('cloud-init', ['schema', '--config-file', file]);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it.skipIf(!hasChecker('shellcheck'))('the first-boot script passes shellcheck', async () => {
    const file = join(root, 'ovn-central-listen');
    const script = previewModuleCall(ovnCentral(seeds)).files.get(
      '/usr/local/sbin/ovn-central-listen',
    );
    await writeFile(file, script!.content);
    const result = runChecker('shellcheck', [file]);
    expect(result.stdout).toBe('');
    expect(result.status).toBe(0);
  });
});
