import { defineEnvironment, type NetworkAttachment } from '@atlas/core';
import { defineEstate, renderEstate, renderModules, writeTree } from '@atlas/generator';
import { str } from '@atlas/hcl';
import { previewModule } from '@atlas/preview';
import { hasChecker, runChecker, summarizeModule, verifyTree } from '@atlas/verify';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cloudflared, cloudflaredConfigSchema, cloudflaredModule } from './index.js';

const network: NetworkAttachment = {
  kind: 'network-attachment',
  role: 'management',
  mode: 'bridge',
  profiles: [str('container-base'), str('management-network')],
  network: str('management'),
};
const profiles = ['container-base', 'management-network'];
// The shape of a real token: base64 of {"a":"<account>","t":"<tunnel id>","s":"<secret>"}.
const token = Buffer.from(
  JSON.stringify({ a: 'account-tag', t: '0b4c1c9e-2f5a-4c0e-9f55-3c1d2b7a9e10', s: 'c2VjcmV0' }),
).toString('base64');

async function inTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'atlas-cloudflared-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('cloudflared defaults', () => {
  it('carry the seeds: cloudflared01, 1 CPU, 256MB, 1GB root disk, metrics on 2000, stateless', () => {
    expect(cloudflaredConfigSchema.parse({ network })).toMatchObject({
      name: 'cloudflared01',
      cpu: 1,
      memory: '256MB',
      rootDiskSize: '1GB',
      metricsPort: 2000,
    });
    expect(cloudflaredModule.variables).not.toHaveProperty('enable_data_persistence');
  });
});

describe('cloudflared tunnel token', () => {
  it('is a sensitive root variable that decides whether the instance exists', () => {
    const cf = cloudflared({ network });
    expect(cf.tunnelToken).toMatchObject({
      name: 'cloudflared01_tunnel_token',
      spec: { sensitive: true, default: '', nullable: false },
    });
    expect(cf.options.inputs).toEqual([cf.tunnelToken]);
    expect(cf.args.get('tunnel_token')).toEqual(cf.tunnelToken.ref);
    expect(cf.options.count).toBeDefined();
    // A counted call is read through one(): null while no token is set.
    expect(cf.metrics.target).toEqual(cf.outputs.metrics_target);
    expect(JSON.stringify(cf.outputs.metrics_target)).toContain('"one"');
  });

  it('renders count from nonsensitive(token != "") in the environment', async () => {
    const cf = cloudflared({ network });
    const env = defineEnvironment({ name: 'iapetus', description: 'Test.', modules: [cf] });
    const files = renderEstate(
      defineEstate({ environments: [env], repository: 'https://example.com/atlas.git' }),
    );
    const main = files.get('environments/iapetus/main.tf')!;
    expect(main).toContain('# Created only when var.cloudflared01_tunnel_token is set.');
    expect(main).toContain('count  = nonsensitive(var.cloudflared01_tunnel_token != "") ? 1 : 0');
    const variables = files.get('environments/iapetus/variables.tf')!;
    expect(variables).toMatch(/variable "cloudflared01_tunnel_token" \{[^}]*sensitive\s+= true/);
    expect(files.get('environments/iapetus/terraform.tfvars.example')).not.toContain(token);
    await inTempDir(async (dir) => {
      await writeTree(join(dir, 'generated'), files);
      expect(await verifyTree(dir)).toEqual([]);
    });
  });

  it('is written to a root-only environment file, never to the unit or a command line', () => {
    const preview = previewModule(cloudflaredModule, { profiles, tunnel_token: token });
    const userData = parse(preview.cloudInit!) as {
      write_files: Array<{ path: string; owner?: string; permissions: string }>;
      runcmd: string[];
    };
    const envFile = userData.write_files.find((f) => f.path === '/etc/cloudflared/tunnel.env');
    expect(envFile).toMatchObject({ owner: 'root:root', permissions: '0600' });
    expect(preview.files.get('/etc/cloudflared/tunnel.env')?.content).toBe(
      `TUNNEL_TOKEN=${token}\n`,
    );
    const unit = preview.files.get('/etc/systemd/system/cloudflared.service')!.content;
    expect(unit).toContain('EnvironmentFile=/etc/cloudflared/tunnel.env');
    expect(unit).toContain(
      'ExecStart=/usr/bin/cloudflared tunnel --no-autoupdate --metrics 0.0.0.0:2000 run\n',
    );
    expect(unit).toContain('User=cloudflared');
    expect(unit).not.toContain(token);
    expect(userData.runcmd.join('\n')).not.toContain(token);
  });
});

describe('cloudflared validation', () => {
  it.each([
    [{ cpu: 65 }, 'cpu_limit', 65, 'whole number of CPUs'],
    [{ memory: '256M' }, 'memory_limit', '256M', 'a size such as 512MB'],
    [{ metricsPort: 0 }, 'metrics_port', 0, 'port number from 1 to 65535'],
  ])('rejects %j in zod and in the module', (bad, variable, value, message) => {
    expect(() => cloudflared({ network, ...bad })).toThrow(new RegExp(message));
    const preview = previewModule(cloudflaredModule, {
      profiles,
      tunnel_token: token,
      [variable]: value,
    });
    expect(preview.validationErrors.join('\n')).toMatch(
      new RegExp(`var\\.${variable}: .*${message}`),
    );
  });

  it('rejects what is not a tunnel token, such as the tunnel id', () => {
    const preview = previewModule(cloudflaredModule, {
      profiles,
      tunnel_token: '0b4c1c9e-2f5a-4c0e-9f55-3c1d2b7a9e10',
    });
    expect(preview.validationErrors).toEqual([
      'var.tunnel_token: Must be a tunnel token as the Cloudflare dashboard shows it (base64 text starting with "eyJ").',
    ]);
  });

  it('rejects options it does not know', () => {
    expect(() => cloudflared({ network, tunnelToken: token } as never)).toThrow(
      /cloudflared01.tunnelToken: Unrecognized key: "tunnelToken"/,
    );
  });
});

describe('cloudflared module', () => {
  const preview = previewModule(cloudflaredModule, { profiles, tunnel_token: token });

  it("installs cloudflared from Cloudflare's apt repository and enables the unit", () => {
    const runcmd = (parse(preview.cloudInit!) as { runcmd: string[] }).runcmd;
    expect(runcmd).toContain(
      'curl -fsSL https://pkg.cloudflare.com/cloudflare-main.gpg | gpg --dearmor -o /etc/apt/keyrings/cloudflare-main.gpg',
    );
    expect(runcmd).toContain(
      'echo "deb [signed-by=/etc/apt/keyrings/cloudflare-main.gpg] https://pkg.cloudflare.com/cloudflared any main" > /etc/apt/sources.list.d/cloudflare-main.list',
    );
    expect(runcmd.slice(-3)).toEqual([
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -o Dpkg::Options::=--force-confold cloudflared=2025.9.1',
      'systemctl daemon-reload',
      'systemctl enable --now cloudflared',
    ]);
  });

  it('outputs the metrics endpoint of the seeds', () => {
    expect(preview.outputs).toMatchObject({
      metrics_endpoint: 'http://cloudflared01.incus:2000',
      metrics_target: 'cloudflared01.incus:2000',
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

  it('renders a valid, tofu-fmt exact module with a sensitive token variable', async () => {
    await inTempDir(async (dir) => {
      await writeTree(join(dir, 'generated'), renderModules([cloudflaredModule]));
      expect(await verifyTree(dir)).toEqual([]);
      const summary = await summarizeModule(join(dir, 'generated/modules/cloudflared'));
      expect(summary.variables.tunnel_token).toEqual({ required: true, sensitive: true });
      expect(summary.resources).toEqual(['incus_instance.this', 'incus_profile.service']);
      expect(summary.outputs).toEqual(
        expect.arrayContaining(['metrics_endpoint', 'metrics_target']),
      );
    });
  });
});
