import { T, defineEnvironment, envVariable, type NetworkAttachment } from '@atlas/core';
import { defineEstate, renderEstate, renderModules, writeTree } from '@atlas/generator';
import { ref, str } from '@atlas/hcl';
import { previewModule, previewModuleCall } from '@atlas/preview';
import { hasChecker, runChecker, summarizeModule, verifyTree } from '@atlas/verify';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  EMPTY_USER_DATA,
  INCUS_VM_DEFAULTS,
  incusVm,
  incusVmConfigSchema,
  incusVmModule,
} from './index.js';

const network: NetworkAttachment = {
  kind: 'network-attachment',
  role: 'management',
  mode: 'bridge',
  profiles: [str('container-base'), str('management-network')],
  network: str('management'),
};
const profiles = ['container-base', 'management-network'];

/** The hybrid pattern's bootstrap: just enough for Ansible, plus a file from another module. */
const bootstrap = incusVm({
  name: 'builder01',
  network,
  cpu: 4,
  memory: '4GB',
  cloudInit: {
    packages: ['python3', 'python3-apt'],
    writeFiles: [
      { path: '/etc/motd', content: 'Built by ${USER} on %{ host }\n' },
      { path: '/etc/builder/ca.pem', content: ref('var.ca_certificate'), permissions: '0640' },
    ],
    runcmd: ['systemctl enable --now ssh', ['touch', '/var/lib/builder-ready']],
  },
});

async function inTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'atlas-incus-vm-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('incus-vm defaults', () => {
  it('are 2 CPU, 2GB, 10GB root disk, and a 20GB /srv/data volume that is off', () => {
    const c = incusVmConfigSchema.parse({ network });
    expect(c).toMatchObject({ name: 'vm01', cpu: 2, memory: '2GB', rootDiskSize: '10GB' });
    expect(c.data).toEqual({
      enabled: false,
      size: '20GB',
      snapshots: {
        enabled: false,
        schedule: '@daily',
        expiry: '7d',
        pattern: "auto-{{ creation_date|date:'2006-01-02_15-04-05' }}",
      },
    });
    const v = incusVmModule.variables;
    expect([
      v.cpu_limit?.default,
      v.memory_limit?.default,
      v.root_disk_size?.default,
      v.enable_data_persistence?.default,
      v.data_volume_size?.default,
      v.snapshot_schedule?.default,
      v.snapshot_expiry?.default,
      v.user_data.default,
    ]).toEqual([2, '2GB', '10GB', false, '20GB', '@daily', '7d', EMPTY_USER_DATA]);
    expect(INCUS_VM_DEFAULTS.dataVolume.mountPath).toBe('/srv/data');
  });

  it('create no volume and pass no user-data unless asked', () => {
    const vm = incusVm({ network });
    expect([...vm.args.keys()]).toEqual(['instance_name', 'profiles', 'cpu_limit', 'memory_limit']);
    const preview = previewModuleCall(vm);
    expect(preview.resources).not.toHaveProperty('incus_storage_volume.data[0]');
    expect(preview.cloudInit).toBe(EMPTY_USER_DATA);
  });

  it('mount the data volume at /srv/data when enabled', () => {
    const vm = incusVm({ network, data: { enabled: true, snapshots: { enabled: true } } });
    expect(vm.args.get('enable_data_persistence')).toMatchObject({ kind: 'bool', value: true });
    const preview = previewModuleCall(vm);
    expect(preview.resources['incus_storage_volume.data[0]']).toMatchObject({
      name: 'vm01-data',
      config: { size: '20GB', 'snapshots.schedule': '@daily', 'snapshots.expiry': '7d' },
    });
    const devices = preview.resources['incus_profile.service']?.device as Array<{
      name: string;
      properties: Record<string, string>;
    }>;
    expect(devices.find((d) => d.name === 'data')?.properties).toMatchObject({
      source: 'vm01-data',
      path: '/srv/data',
    });
  });

  it('limit memory without the container-only limits.memory.enforce, which Incus refuses on a VM', () => {
    const config = previewModuleCall(incusVm({ network })).resources['incus_profile.service']
      ?.config as Record<string, string>;
    expect(config).toEqual({ 'limits.cpu': '2', 'limits.memory': '2GB' });
  });

  it('name the profile after the VM', () => {
    expect(previewModuleCall(bootstrap).resources['incus_profile.service']?.name).toBe('builder01');
  });
});

describe('incus-vm instance', () => {
  const preview = previewModuleCall(bootstrap);

  it('is a virtual machine that apply waits on until its agent and address are up', () => {
    expect(preview.resources['incus_instance.this']).toMatchObject({
      type: 'virtual-machine',
      image: 'images:debian/trixie/cloud',
      wait_for: [{ type: 'agent' }, { type: 'ipv4' }],
    });
    // Environments render the module a call carries: it must be the VM one.
    expect(bootstrap.definition).toBe(incusVmModule);
  });

  it("boots with the caller's typed cloud-init", () => {
    const userData = parse(preview.cloudInit!) as Record<string, unknown>;
    expect(userData).toMatchObject({
      package_update: true,
      packages: ['python3', 'python3-apt'],
      runcmd: ['systemctl enable --now ssh', ['touch', '/var/lib/builder-ready']],
    });
    expect(preview.files.get('/etc/motd')?.content).toBe('Built by ${USER} on %{ host }\n');
    expect(preview.files.get('/etc/builder/ca.pem')).toEqual({
      content: '(known after apply)',
      permissions: '0640',
    });
  });

  it.skipIf(!hasChecker('cloud-init'))('the user-data passes cloud-init schema', async () => {
    await inTempDir(async (dir) => {
      const file = join(dir, 'user-data.yaml');
      await writeFile(file, preview.cloudInit!);
      const result = runChecker('cloud-init', ['schema', '--config-file', file]);
      expect(result.stdout + result.stderr).toContain('Valid cloud-config');
      expect(result.status).toBe(0);
    });
  });
});

describe('incus-vm validation', () => {
  it.each([
    [{ cpu: 65 }, 'cpu_limit', 65, 'whole number of CPUs'],
    [{ memory: '2 GB' }, 'memory_limit', '2 GB', 'a size such as 512MB'],
    [{ rootDiskSize: '10' }, 'root_disk_size', '10', 'a size such as 512MB'],
    [{ data: { size: '20gb' } }, 'data_volume_size', '20gb', 'a size such as 512MB'],
    [
      { data: { snapshots: { schedule: 'daily' } } },
      'snapshot_schedule',
      'daily',
      'a cron expression',
    ],
    [{ data: { snapshots: { expiry: '7 days' } } }, 'snapshot_expiry', '7 days', 'an Incus expiry'],
    [
      { data: { snapshots: { pattern: 'auto-{{creation_date}}' } } },
      'snapshot_pattern',
      'auto-{{creation_date}}',
      'a snapshot name pattern',
    ],
  ])('rejects %j in zod and in the module', (bad, variable, value, message) => {
    expect(() => incusVm({ network, ...bad })).toThrow(new RegExp(message));
    const preview = previewModule(incusVmModule, { profiles, [variable]: value });
    expect(preview.validationErrors.join('\n')).toMatch(
      new RegExp(`var\\.${variable}: .*${message}`),
    );
  });

  it('rejects user-data that is not a cloud-config document', () => {
    const preview = previewModule(incusVmModule, {
      profiles,
      user_data: 'packages:\n  - python3\n',
    });
    expect(preview.validationErrors).toEqual([
      'var.user_data: Must be a cloud-config document: its first line is exactly "#cloud-config", without which cloud-init does not read the YAML.',
    ]);
  });

  it.each([
    [
      { writeFiles: [{ path: 'etc/motd', content: 'x' }] },
      /\.writeFiles\[0\]\.path: expected an absolute path/,
    ],
    [
      { writeFiles: [{ path: '/etc/motd', content: 'x', permissions: '644' }] },
      /\.writeFiles\[0\]\.permissions: expected an octal mode such as 0644/,
    ],
    [
      { writeFiles: [{ path: '/etc/motd', content: 'x', when: ref('var.motd') }] },
      /\.writeFiles\[0\]\.when: not supported for a VM/,
    ],
    [
      {
        writeFiles: [
          { path: '/etc/motd', content: 'x' },
          { path: '/etc/motd', content: 'y' },
        ],
      },
      /\.writeFiles\[1\]\.path: \/etc\/motd is written twice/,
    ],
    [{ packages: ['Python3'] }, /\.packages\[0\]: expected a Debian package name/],
    [{ bootcmd: ['true'] }, /\.bootcmd: Unrecognized key: "bootcmd"/],
  ])('rejects cloud-init %j', (cloudInit, message) => {
    expect(() => incusVm({ name: 'vm02', network, cloudInit } as never)).toThrow(
      new RegExp(`vm02\\.cloudInit${message.source}`),
    );
  });
});

describe('incus-vm module', () => {
  it('renders a valid, tofu-fmt exact module', async () => {
    await inTempDir(async (dir) => {
      await writeTree(join(dir, 'generated'), renderModules([incusVmModule]));
      expect(await verifyTree(dir)).toEqual([]);
      const summary = await summarizeModule(join(dir, 'generated/modules/incus-vm'));
      expect(summary.resources).toEqual([
        'incus_instance.this',
        'incus_profile.service',
        'incus_storage_volume.data',
      ]);
      expect(summary.variables.user_data).toEqual({ required: false, sensitive: false });
    });
  });

  it('renders the user-data as a heredoc in the environment', async () => {
    const caCertificate = envVariable('ca_certificate', {
      type: T.string,
      description: 'CA certificate (PEM) the builder trusts.',
    });
    const env = defineEnvironment({
      name: 'cluster01',
      description: 'Test.',
      modules: [bootstrap],
      variables: [caCertificate],
    });
    const files = renderEstate(
      defineEstate({ environments: [env], repository: 'https://example.com/atlas.git' }),
    );
    const main = files.get('environments/cluster01/main.tf')!;
    expect(main).toMatch(/ {2}user_data += <<-EOT\n {4}#cloud-config\n/);
    expect(main).toContain('content: ${jsonencode(var.ca_certificate)}');
    // Literal template markers in file contents are escaped, so HCL does not read them.
    expect(main).toContain('Built by $${USER} on %%{ host }');
    expect(files.get('modules/incus-vm/main.tf')).toContain('type     = "virtual-machine"');
    await inTempDir(async (dir) => {
      await writeTree(join(dir, 'generated'), files);
      expect(await verifyTree(dir)).toEqual([]);
    });
  });
});
