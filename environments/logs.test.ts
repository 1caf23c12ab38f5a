import { printExpr } from '@atlas/hcl';
import { mosquitto as mosquittoBuilder } from '@atlas/mosquitto';
import { previewModule } from '@atlas/preview';
import { freeLoopbackPort, hasChecker, runChecker } from '@atlas/verify';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BRIDGE, atlasEstate } from './index.js';
import { iapetusShared } from './iapetus.js';

/**
 * Logs that arrive: every instance uploads its journal to the Alloy of its own
 * environment (systemd-journal-upload → systemd-journal-remote), which ships
 * it to Loki with `environment` (a static label) and `instance` (the entry's
 * host name) labels; each environment's Incus daemon logs to Loki itself.
 */
const estate = atlasEstate();
const { base, loki01: loki } = iapetusShared(BRIDGE);

// Loki does not ship its own journal into itself; the Alloys read theirs directly; OVN central
// sits on the host bridge, outside the environment's networks.
const KEEPS_ITS_JOURNAL = new Set(['loki', 'alloy', 'ovn-central']);

describe.each(estate.environments.map((env) => [env.name, env] as const))('%s', (name, env) => {
  const instances = env.modules.filter((m) => 'journal_upload_url' in m.definition.variables);
  const alloy = env.modules.find((m) => m.definition.name === 'alloy');

  it("has an Alloy that labels what it ships with the environment's name", () => {
    expect(alloy, 'an alloy module call').toBeDefined();
    expect(printExpr(alloy!.args.get('labels')!)).toContain(`environment = "${name}"`);
  });

  it('uploads the journal of every other instance to that Alloy', () => {
    const uploading = instances.filter((m) => !KEEPS_ITS_JOURNAL.has(m.definition.name));
    expect(uploading.length).toBeGreaterThanOrEqual(4);
    for (const call of uploading) {
      const url = call.args.get('journal_upload_url');
      expect(url, call.name).toBeDefined();
      const link = call.options.links?.find((l) => l.arg === 'journal_upload_url');
      expect(link?.producer.instance, `${call.name}: the link is in the link table`).toBe(
        alloy!.name,
      );
      // Alloy's own output where they share a network (and member); else the port published on its member.
      expect(printExpr(url!), call.name).toContain(
        link?.kind === 'published' ? `http://${link.address}` : `module.${alloy!.name}.`,
      );
    }
  });

  it('ships the Incus daemon’s own logs to Loki', () => {
    expect(env.modules.map((m) => m.definition.name)).toContain('incus-loki');
  });
});

describe('journalTo', () => {
  const cluster01 = estate.environments.find((e) => e.name === 'cluster01')!;
  const mosquitto = cluster01.modules.find((m) => m.name === 'mosquitto01')!;

  it('takes a journal receiver only, naming the option otherwise', () => {
    const network = base.attach('production');
    expect(() => mosquittoBuilder({ name: 'mqtt', network, journalTo: loki as never })).toThrow(
      /mqtt\.journalTo: expected a journal receiver/,
    );
    expect(mosquitto.args.has('journal_upload_url')).toBe(true);
  });
});

describe('the upload script every instance runs on first boot', () => {
  const mosquitto = estate.environments
    .find((e) => e.name === 'cluster01')!
    .modules.find((m) => m.name === 'mosquitto01')!;
  const preview = previewModule(mosquitto.definition, {
    ...Object.fromEntries(mosquitto.args),
    journal_upload_url: 'http://10.20.0.42:19532',
  });
  const script = preview.instanceConfig?.['cloud-init.vendor-data'];

  it('is vendor-data that points systemd-journal-upload at the receiver', () => {
    expect(script).toMatch(/^#!\/bin\/sh\n/);
    expect(script).toContain('\n[Upload]\nURL=http://10.20.0.42:19532\n');
    expect(script).toContain('systemctl enable systemd-journal-upload.service');
  });

  it.skipIf(!hasChecker('shellcheck'))('passes shellcheck', () => {
    const result = runChecker('shellcheck', ['--shell=sh', '-'], { input: script as string });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

const JOURNAL_REMOTE = '/usr/lib/systemd/systemd-journal-remote';
const JOURNAL_UPLOAD = '/usr/lib/systemd/systemd-journal-upload';
const transport = existsSync(JOURNAL_REMOTE) && existsSync(JOURNAL_UPLOAD);

describe.skipIf(!transport && !process.env.CI)('the journal, uploaded to the receiver', () => {
  it("arrives with the sending instance's host name, the instance label Alloy ships", async () => {
    const env = estate.environments.find((e) => e.name === 'cluster01')!;
    const alloy = env.modules.find((m) => m.definition.name === 'alloy')!;
    const dropIn = previewModule(alloy.definition, Object.fromEntries(alloy.args)).files.get(
      '/etc/systemd/system/systemd-journal-remote.service.d/atlas.conf',
    )!.content;
    // The receiver as its unit runs it, on a loopback port instead of the socket unit's descriptor.
    const execStart = /^ExecStart=(\S+) (.+)$/m.exec(dropIn)!;
    expect(execStart[1]).toBe(JOURNAL_REMOTE);
    const dir = mkdtempSync(join(tmpdir(), 'atlas-journal-'));
    const port = await freeLoopbackPort();
    const flags = execStart[2]!
      .split(' ')
      .map((f) =>
        f === '--listen-http=-3'
          ? `--listen-http=127.0.0.1:${port}`
          : f.replace(/^--output=.*/, `--output=${dir}/received/`),
      );
    spawnSync('mkdir', ['-p', join(dir, 'received')]);
    const receiver = spawn(JOURNAL_REMOTE, flags, { stdio: 'ignore' });
    try {
      // One entry as mosquitto01's journald writes it.
      const made = spawnSync(JOURNAL_REMOTE, [`--output=${dir}/mosquitto01.journal`, '-'], {
        input: [
          '__REALTIME_TIMESTAMP=1700000000000000',
          '_HOSTNAME=mosquitto01',
          '_SYSTEMD_UNIT=mosquitto.service',
          'PRIORITY=6',
          'MESSAGE=broker started',
          '',
          '',
        ].join('\n'),
        encoding: 'utf8',
        timeout: 10_000,
      });
      expect(made.status, made.stderr).toBe(0);
      // The URL the vendor-data script writes, for a receiver at this address.
      const mosquitto = env.modules.find((m) => m.name === 'mosquitto01')!;
      const script = previewModule(mosquitto.definition, {
        ...Object.fromEntries(mosquitto.args),
        journal_upload_url: `http://127.0.0.1:${port}`,
      }).instanceConfig!['cloud-init.vendor-data']!;
      const url = /^URL=(.+)$/m.exec(script)![1]!;
      let entries: { _HOSTNAME?: string; MESSAGE?: string }[] = [];
      for (let attempt = 0; attempt < 20 && entries.length === 0; attempt++) {
        const upload = spawnSync(
          JOURNAL_UPLOAD,
          [`--url=${url}`, `--file=${dir}/mosquitto01.journal`, '--follow=no'],
          { encoding: 'utf8', timeout: 10_000 },
        );
        if (upload.status === 0) {
          const read = spawnSync(
            'journalctl',
            [`--directory=${dir}/received`, '--output=json', '--no-pager'],
            { encoding: 'utf8', timeout: 10_000 },
          );
          entries = read.stdout
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line));
        }
        if (entries.length === 0) await new Promise((r) => setTimeout(r, 250));
      }
      expect(entries).toEqual([
        expect.objectContaining({ _HOSTNAME: 'mosquitto01', MESSAGE: 'broker started' }),
      ]);
    } finally {
      receiver.kill('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
