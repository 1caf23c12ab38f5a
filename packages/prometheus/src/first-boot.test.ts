import { testNetwork } from '@atlas/testing';
import { previewModuleCall } from '@atlas/preview';
import { hasChecker } from '@atlas/verify';
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { PROMETHEUS_DEFAULTS, prometheus, prometheusModule } from './index.js';
import { previewModule } from '@atlas/preview';

const DROP_IN = '/etc/systemd/system/prometheus.service.d/atlas-data-owner.conf';
const MOUNT = PROMETHEUS_DEFAULTS.dataVolume.mountPath;
const CLOUD_CFG = '/etc/cloud/cloud.cfg';

const preview = previewModuleCall(prometheus({ network: testNetwork() }));
const userData = parse(preview.cloudInit!) as {
  packages: string[];
  write_files: Array<{ path: string; content: string; defer?: boolean }>;
  runcmd: string[];
};
const dropIn = userData.write_files.find((f) => f.path === DROP_IN);
/** The commands the drop-in runs as root before every start, `+` taken off. */
const preStart = (dropIn?.content ?? '')
  .split('\n')
  .filter((l) => l.startsWith('ExecStartPre=+'))
  .map((l) => l.slice('ExecStartPre=+'.length).split(' '));

describe('first boot: pinned package versions', () => {
  const packagesOf = (p: { cloudInit?: string }) =>
    (parse(p.cloudInit!) as { packages: string[] }).packages;

  it('installs the Debian 13 version the package declares, and the one an estate sets instead', () => {
    expect(PROMETHEUS_DEFAULTS.packageVersions).toEqual({ prometheus: '2.53.3+ds1-2' });
    const moved = prometheus({
      network: testNetwork(),
      packageVersions: { prometheus: '2.53.3+ds1-3' },
    });
    expect(packagesOf(previewModuleCall(moved))).toEqual(['prometheus=2.53.3+ds1-3']);
    // The same default in the estate is not repeated in main.tf.
    const same = prometheus({
      network: testNetwork(),
      packageVersions: { prometheus: '2.53.3+ds1-2' },
    });
    expect(same.args.has('package_versions')).toBe(false);
  });

  it('refuses a version that is not exact, in the builder and in the module', () => {
    expect(() =>
      prometheus({ network: testNetwork(), packageVersions: { prometheus: 'latest' } }),
    ).toThrow(/packageVersions\.prometheus: expected an exact Debian package version/);
    const p = previewModule(prometheusModule, {
      profiles: ['base'],
      package_versions: { prometheus: 'latest' },
    });
    expect(p.validationErrors.join('\n')).toMatch(/var\.package_versions: Each version must be/);
  });
});

describe('first boot: the data volume is the service account before Debian starts prometheus', () => {
  it('writes the drop-in ahead of the package install, so the install-time start already has it', () => {
    // cloud-init writes undeferred write_files in its init stage (write-files); its final stage
    // installs `packages` (package-update-upgrade-install, when Debian's postinst starts the
    // unit), then deferred files and runcmd: a deferred drop-in would come too late.
    expect(userData.packages).toEqual(['prometheus=2.53.3+ds1-2']);
    expect(dropIn).toBeDefined();
    expect(dropIn!.defer).toBeUndefined();
    expect(dropIn!.content).toContain(`RequiresMountsFor=${MOUNT}\n`);
    expect(preStart).toEqual([
      ['/usr/bin/install', '-d', '-o', 'prometheus', '-g', 'prometheus', MOUNT],
      ['/usr/bin/chown', '-R', 'prometheus:prometheus', MOUNT],
    ]);
    // runcmd no longer races the unit for the volume; it only restarts with the written config.
    expect(userData.runcmd.join('\n')).not.toContain(` ${MOUNT}`);
  });

  it.skipIf(!hasChecker('cloud-init') || !existsSync(CLOUD_CFG))(
    "matches the order of Debian's cloud-init: write-files, then the package install, then deferred files",
    () => {
      const stages = parse(readFileSync(CLOUD_CFG, 'utf8')) as Record<string, unknown[]>;
      const names = (stage: string) => (stages[stage] ?? []).map((m) => String(m));
      expect(names('cloud_init_modules')).toContain('write-files');
      const final = names('cloud_final_modules');
      expect(final.indexOf('package-update-upgrade-install')).toBeGreaterThanOrEqual(0);
      expect(final.indexOf('package-update-upgrade-install')).toBeLessThan(
        final.indexOf('write-files-deferred'),
      );
    },
  );

  const root = process.getuid?.() === 0;
  const account = spawnSync('id', ['-u', 'prometheus']).status === 0;
  // The real binary comes with promtool in Debian's prometheus package.
  const real = hasChecker('promtool') && root && account;

  const work = mkdtempSync(join(tmpdir(), 'atlas-prometheus-boot-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const freePort = () =>
    new Promise<number>((resolve) => {
      const server = createServer().listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
    });

  it.skipIf(!real)(
    'the real prometheus fails on a root-owned volume, and runs once the drop-in has run',
    async () => {
      chmodSync(work, 0o755);
      const config = join(work, 'prometheus.yml');
      writeFileSync(config, 'global:\n  scrape_interval: 15s\n');
      chmodSync(config, 0o644);
      // What Incus mounts: a root-owned folder the service account cannot write.
      const volume = join(work, 'volume');
      mkdirSync(volume, { mode: 0o755 });
      const port = await freePort();
      const args = [
        '-u',
        'prometheus',
        '--',
        'prometheus',
        `--config.file=${config}`,
        `--storage.tsdb.path=${volume}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ];

      const before = spawnSync('runuser', args, { encoding: 'utf8', timeout: 30_000 });
      expect(before.status).not.toBe(0);
      expect(before.stderr).toMatch(/permission denied/i);

      for (const [command, ...rest] of preStart) {
        const ran = spawnSync(
          command!,
          rest.map((a) => (a === MOUNT ? volume : a)),
          { encoding: 'utf8' },
        );
        expect(ran.status, ran.stderr).toBe(0);
      }

      const server = spawn('runuser', args, { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      server.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      try {
        let ready = false;
        for (let i = 0; i < 60 && !ready && server.exitCode === null; i++) {
          await new Promise((r) => setTimeout(r, 500));
          ready = await fetch(`http://127.0.0.1:${port}/-/ready`).then(
            (r) => r.ok,
            () => false,
          );
        }
        expect(ready, stderr).toBe(true);
      } finally {
        server.kill('SIGTERM');
        await new Promise((r) => server.once('exit', r));
      }
    },
    60_000,
  );
});
