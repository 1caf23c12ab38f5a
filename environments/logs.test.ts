import { printExpr } from '@atlas/hcl';
import { previewModule } from '@atlas/preview';
import { hasChecker, runChecker } from '@atlas/verify';
import { describe, expect, it } from 'vitest';
import { atlasEstate } from './index.js';

/**
 * Logs that arrive: every instance uploads its journal to the Alloy of its own
 * environment (systemd-journal-upload → systemd-journal-remote), which ships
 * it to Loki with `environment` (a static label) and `instance` (the entry's
 * host name) labels; each environment's Incus daemon logs to Loki itself.
 */
const estate = atlasEstate();

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
      expect(printExpr(url!), call.name).toContain(`module.${alloy!.name}.`);
      expect(
        call.options.links?.some((l) => l.arg === 'journal_upload_url'),
        `${call.name}: the link is in the link table`,
      ).toBe(true);
    }
  });

  it('ships the Incus daemon’s own logs to Loki', () => {
    expect(env.modules.map((m) => m.definition.name)).toContain('incus-loki');
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
