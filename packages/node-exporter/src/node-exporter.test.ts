import { testNetwork } from '@atlas/testing';
import { renderModules, writeTree } from '@atlas/generator';
import { printExpr } from '@atlas/hcl';
import { previewModule, previewModuleCall } from '@atlas/preview';
import { hasChecker, runChecker, summarizeModule, verifyTree } from '@atlas/verify';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  HOST_MOUNTS,
  NODE_EXPORTER_DEFAULTS,
  nodeExporter,
  nodeExporterConfigSchema,
  nodeExporterModule,
  nodeExporters,
} from './index.js';

const network = testNetwork();
const profiles = ['container-base', 'management-network'];

async function inTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'atlas-node-exporter-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('node-exporter defaults', () => {
  it('carry the seeds: 1 CPU, 128MB, 1GB root disk, port 9100, no data volume', () => {
    const c = nodeExporterConfigSchema.parse({ network });
    expect(c).toMatchObject({
      name: 'node-exporter01',
      cpu: 1,
      memory: '128MB',
      rootDiskSize: '1GB',
      port: 9100,
      cluster: false,
    });
    const v = nodeExporterModule.variables;
    expect([
      v.cpu_limit?.default,
      v.memory_limit?.default,
      v.root_disk_size?.default,
      v.listen_port.default,
    ]).toEqual([1, '128MB', '1GB', 9100]);
    expect(v).not.toHaveProperty('enable_data_persistence');
    expect(() => nodeExporter({ network, data: { enabled: true } } as never)).toThrow(
      /keeps no data/,
    );
  });

  it('name the profile after the instance, so exporters never share one', () => {
    const call = nodeExporter({ name: 'node-exporter02', network });
    expect(previewModuleCall(call).resources['incus_profile.service']?.name).toBe(
      'node-exporter02',
    );
    expect(NODE_EXPORTER_DEFAULTS.profileName).toBe(NODE_EXPORTER_DEFAULTS.instanceName);
  });
});

describe('node-exporter in a cluster', () => {
  it('needs targetNode when the environment is a cluster', () => {
    expect(() => nodeExporter({ network, cluster: true })).toThrow(
      /node-exporter01\.targetNode: required in a cluster/,
    );
    const pinned = nodeExporter({ network, cluster: true, targetNode: 'node2' });
    expect(previewModuleCall(pinned).resources['incus_instance.this']?.target).toBe('node2');
  });

  it('nodeExporters gives one pinned exporter per member', () => {
    const exporters = nodeExporters({
      nodes: ['node1', 'node2', 'node3'],
      network,
      memory: '256MB',
    });
    // Module call names are snake_case; the instances keep their names.
    expect(exporters.map((e) => e.name)).toEqual([
      'node_exporter01',
      'node_exporter02',
      'node_exporter03',
    ]);
    expect(exporters.map((e) => printExpr(e.args.get('instance_name')!))).toEqual([
      '"node-exporter01"',
      '"node-exporter02"',
      '"node-exporter03"',
    ]);
    const previews = exporters.map(previewModuleCall);
    expect(previews.map((p) => p.resources['incus_instance.this']?.target)).toEqual([
      'node1',
      'node2',
      'node3',
    ]);
    expect(new Set(previews.map((p) => p.resources['incus_profile.service']?.name)).size).toBe(3);
    expect(previews.every((p) => p.variables.memory_limit === '256MB')).toBe(true);
    expect(exporters[2]?.metrics.target).toEqual(exporters[2]?.outputs.metrics_target);
    expect(previews[2]?.outputs.metrics_target).toBe('node-exporter03.incus:9100');
  });

  it('nodeExporters rejects an empty or repeated member list', () => {
    expect(() => nodeExporters({ nodes: [], network })).toThrow(
      /node-exporter\.nodes: expected at least one cluster member/,
    );
    expect(() => nodeExporters({ nodes: ['node1', 'node1'], network })).toThrow(
      /each member can be listed once/,
    );
  });
});

describe('node-exporter validation', () => {
  it.each([
    [{ cpu: 0 }, 'cpu_limit', 0, 'whole number of CPUs'],
    [{ memory: '128 MB' }, 'memory_limit', '128 MB', 'a size such as 512MB'],
    [{ rootDiskSize: '1G' }, 'root_disk_size', '1G', 'a size such as 512MB'],
    [{ port: 70000 }, 'listen_port', 70000, 'port number from 1 to 65535'],
  ])('rejects %j in zod and in the module', (bad, variable, value, message) => {
    expect(() => nodeExporter({ network, ...bad })).toThrow(new RegExp(message));
    const preview = previewModule(nodeExporterModule, { profiles, [variable]: value });
    expect(preview.validationErrors.join('\n')).toMatch(
      new RegExp(`var\\.${variable}: .*${message}`),
    );
  });
});

describe('node-exporter module', () => {
  const preview = previewModule(nodeExporterModule, { profiles, target_node: 'node1' });

  it('mounts /proc, /sys and / of the host read-only on the profile', () => {
    const devices = preview.resources['incus_profile.service']?.device as Array<{
      name: string;
      type: string;
      properties: Record<string, string>;
    }>;
    const host = devices.filter((d) => d.name.startsWith('host-'));
    expect(host).toEqual([
      {
        name: 'host-proc',
        type: 'disk',
        properties: { source: '/proc', path: '/host/proc', readonly: 'true' },
      },
      {
        name: 'host-sys',
        type: 'disk',
        properties: { source: '/sys', path: '/host/sys', readonly: 'true' },
      },
      {
        name: 'host-root',
        type: 'disk',
        properties: { source: '/', path: '/host/root', readonly: 'true' },
      },
    ]);
    expect(devices.some((d) => d.type === 'proxy')).toBe(false);
  });

  it('points the exporter at the mounted host paths through the Debian ARGS file', () => {
    const args = preview.files.get('/etc/default/prometheus-node-exporter')?.content;
    expect(args).toBe(
      'ARGS="--path.procfs=/host/proc --path.sysfs=/host/sys --path.rootfs=/host/root --web.listen-address=:9100"\n',
    );
    for (const m of HOST_MOUNTS) expect(args).toContain(`${m.flag}=${m.path}`);
    expect(preview.cloudInit).toContain('apt-get install -y --no-install-recommends');
    expect(preview.cloudInit).toContain('systemctl enable prometheus-node-exporter');
  });

  it('outputs the endpoint and the scrape target', () => {
    expect(preview.outputs).toMatchObject({
      endpoint: 'http://node-exporter01.incus:9100',
      metrics_target: 'node-exporter01.incus:9100',
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

  it('renders a valid, tofu-fmt exact module', async () => {
    await inTempDir(async (dir) => {
      await writeTree(join(dir, 'generated'), renderModules([nodeExporterModule]));
      expect(await verifyTree(dir)).toEqual([]);
      const summary = await summarizeModule(join(dir, 'generated/modules/node-exporter'));
      // The forward publishes it in OVN mode, as proxy devices do on bridges (a cluster's other members).
      expect(summary.resources).toEqual([
        'incus_instance.this',
        'incus_network_forward.this',
        'incus_profile.service',
      ]);
      expect(summary.outputs).toEqual(expect.arrayContaining(['endpoint', 'metrics_target']));
      expect(summary.variables.target_node).toMatchObject({ required: false });
    });
  });
});
