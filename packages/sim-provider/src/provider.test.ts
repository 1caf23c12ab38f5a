import { X509Certificate } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngineWorkspace, findEngine, type EngineWorkspace } from './index.js';

const engine = findEngine();
if (!engine)
  console.log('simulated provider checks skipped: neither tofu nor terraform is on PATH');

const PROVIDERS = `terraform {
  required_providers {
    incus = {
      source  = "lxc/incus"
      version = ">= 1.1.0, < 2.0.0"
    }
    tls = {
      source = "hashicorp/tls"
    }
  }
}
`;

const ESTATE = `${PROVIDERS}
resource "incus_network" "lan" {
  name   = "management"
  config = { "ipv4.address" = "10.20.0.1/24" }
}

resource "incus_profile" "net" {
  name = "management-network"
  device {
    name       = "eth0"
    type       = "nic"
    properties = { network = incus_network.lan.name }
  }
}

resource "incus_instance" "web" {
  name     = "web01"
  image    = "images:debian/12"
  profiles = [incus_profile.net.name]
}

resource "tls_private_key" "metrics" {
  algorithm   = "ECDSA"
  ecdsa_curve = "P384"
}

resource "tls_self_signed_cert" "metrics" {
  private_key_pem       = tls_private_key.metrics.private_key_pem
  validity_period_hours = 24
  allowed_uses          = ["client_auth"]
  subject {
    common_name = "metrics"
  }
}

output "address" {
  value = incus_instance.web.ipv4_address
}

output "certificate" {
  value = tls_self_signed_cert.metrics.cert_pem
}
`;

describe.skipIf(!engine)(`the simulated providers under ${engine?.name}`, () => {
  let dir: string;
  let ws: EngineWorkspace;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-provider-'));
    ws = await createEngineWorkspace(join(dir, 'workspace'), engine!);
  });
  afterAll(async () => {
    await ws.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function project(name: string, hcl: string): Promise<string> {
    const cwd = join(dir, name);
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, 'main.tf'), hcl);
    return cwd;
  }
  const ok = async (cwd: string, args: string[], reattach?: boolean) => {
    const result = await ws.run(
      cwd,
      [...args, '-no-color'],
      reattach === undefined ? {} : { reattach },
    );
    expect(result.code, `${args.join(' ')}\n${result.stderr}`).toBe(0);
    return result.stdout;
  };

  it('installs from the mirror, and plans and applies as a plugin the engine starts (mutual TLS)', async () => {
    const cwd = await project('started', ESTATE);
    await ok(cwd, ['init']);
    expect(await readFile(join(cwd, '.terraform.lock.hcl'), 'utf8')).toMatch(
      /provider "registry\.(terraform|opentofu)\.io\/lxc\/incus" \{\n  version     = "1\.1\.1"/,
    );
    await ok(cwd, ['apply', '-auto-approve'], false);
    expect(await ok(cwd, ['plan', '-detailed-exitcode'])).toContain('No changes.');
    const outputs = JSON.parse(await ok(cwd, ['output', '-json']));
    // Inside the network's CIDR, and not the gateway.
    expect(outputs.address.value).toMatch(/^10\.20\.0\.(\d+)$/);
    expect(outputs.address.value).not.toBe('10.20.0.1');
    const certificate = new X509Certificate(outputs.certificate.value);
    expect(certificate.subject).toBe('CN=metrics');
    expect(certificate.verify(certificate.publicKey)).toBe(true);
  });

  it('rejects a value outside the schema choices, naming the attribute', async () => {
    const cwd = await project(
      'invalid',
      `${PROVIDERS}\nresource "incus_instance" "web" {\n  name = "web01"\n  type = "vm"\n}\n`,
    );
    await ok(cwd, ['init']);
    const result = await ws.run(cwd, ['validate', '-no-color']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('type value must be one of: "container", "virtual-machine"');
  });

  it("refuses an image on a remote that neither the client's defaults nor the provider block declare", async () => {
    const instance = `resource "incus_instance" "atlantis" {\n  name  = "atlantis01"\n  image = "ghcr:runatlantis/atlantis:v0.35.0"\n}\n`;
    const bare = await project('no-remote', `${PROVIDERS}\n${instance}`);
    await ok(bare, ['init']);
    const refused = await ws.run(bare, ['plan', '-no-color']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('The remote "ghcr" doesn\'t exist');
    const declared = await project(
      'oci-remote',
      `${PROVIDERS}\nprovider "incus" {\n  remote {\n    name     = "ghcr"\n    address  = "https://ghcr.io"\n    protocol = "oci"\n    public   = true\n  }\n}\n\n${instance}`,
    );
    await ok(declared, ['init']);
    expect(await ok(declared, ['plan'])).toContain('1 to add');
  });

  it('imports an object it applied, a moved block keeps it, and state moves across types', async () => {
    const cwd = await project('kept', ESTATE);
    await ok(cwd, ['init']);
    await ok(cwd, ['apply', '-auto-approve']);
    await ok(cwd, ['state', 'rm', 'incus_profile.net']);
    await ok(cwd, ['import', 'incus_profile.net', 'management-network']);
    expect(await ok(cwd, ['plan', '-detailed-exitcode'])).toContain('No changes.');
    await writeFile(
      join(cwd, 'main.tf'),
      `${ESTATE.replace('"incus_instance" "web"', '"incus_instance" "site"').replaceAll('incus_instance.web.', 'incus_instance.site.')}\nmoved {\n  from = incus_instance.web\n  to   = incus_instance.site\n}\n`,
    );
    const plan = await ws.run(cwd, ['plan', '-detailed-exitcode', '-no-color']);
    expect(plan.stdout).toContain('has moved to incus_instance.site');
    expect(plan.stdout).toContain('0 to destroy');

    // Across resource types the engine asks the provider to convert the state (MoveResourceState).
    const pool = `${PROVIDERS}\nresource "incus_storage_pool" "data" {\n  name   = "data"\n  driver = "dir"\n}\n`;
    const moving = await project('moving', pool);
    await ok(moving, ['init']);
    await ok(moving, ['apply', '-auto-approve']);
    await writeFile(
      join(moving, 'main.tf'),
      `${PROVIDERS}\nmoved {\n  from = incus_storage_pool.data\n  to   = incus_storage_bucket.data\n}\n\n` +
        `resource "incus_storage_bucket" "data" {\n  name = "data"\n  pool = "data"\n}\n`,
    );
    const moved = await ws.run(moving, ['plan', '-no-color']);
    expect(moved.code, moved.stderr).toBe(0);
    // Converted by the provider, not refused: a pool is no bucket, so it is then replaced.
    expect(moved.stdout).toContain('# (moved from incus_storage_pool.data)');
    expect(plan.stdout).not.toContain('must be replaced');
  });

  it('holds objects made before the first apply: creating one fails, an import block adopts it', async () => {
    // IncusOS's own bridge, as `incus network show incusbr0` reads it back.
    const existing = {
      type: 'incus_network',
      values: {
        name: 'incusbr0',
        type: 'bridge',
        description: '',
        config: { 'ipv4.address': '10.47.0.1/24', 'ipv4.nat': 'true' },
        managed: true,
      },
    };
    const seeded = await createEngineWorkspace(join(dir, 'seeded'), engine!);
    seeded.seed([existing]);
    try {
      const hcl = `${PROVIDERS}
resource "incus_network" "default" {
  name   = "incusbr0"
  config = { "ipv4.address" = "10.47.0.1/24", "ipv4.nat" = "true" }
}
`;
      const cwd = await project('seeded', hcl);
      const run = (args: string[]) => seeded.run(cwd, [...args, '-no-color']);
      expect((await run(['init'])).code).toBe(0);
      const created = await run(['apply', '-auto-approve']);
      expect(created.code).toBe(1);
      expect(created.stderr).toContain('incus_network "incusbr0" already exists');

      await writeFile(
        join(cwd, 'main.tf'),
        `${hcl}
import {
  to = incus_network.default
  id = "incusbr0"
}
`,
      );
      const plan = await run(['plan']);
      expect(plan.stdout).toMatch(/Plan: 1 to import, 0 to add, 0 to change, 0 to destroy\./);
      expect((await run(['apply', '-auto-approve'])).code).toBe(0);
      expect((await run(['plan', '-detailed-exitcode'])).stdout).toContain('No changes.');

      // An ID that names nothing is an error, as with Incus.
      await writeFile(
        join(cwd, 'main.tf'),
        `${PROVIDERS}
resource "incus_profile" "gone" {
  name = "gone"
}

import {
  to = incus_profile.gone
  id = "gone"
}
`,
      );
      const missing = await run(['plan']);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('cannot import incus_profile "gone"');
    } finally {
      await seeded.close();
    }
  });
});

const CLUSTER_NETWORKS = (perMember: boolean) => `${PROVIDERS}
${
  perMember
    ? `resource "incus_network" "member" {
  for_each = toset(["node1", "node2"])

  name   = "lan"
  type   = "macvlan"
  target = each.key
  config = { parent = "eno1" }
}
`
    : ''
}
resource "incus_network" "lan" {
  name   = "lan"
  type   = "macvlan"
  config = ${perMember ? '{}' : '{ parent = "eno1" }'}
  ${perMember ? 'depends_on = [incus_network.member]' : ''}
}
`;

describe.skipIf(!engine)(`the simulated Incus as a cluster, under ${engine?.name}`, () => {
  let dir: string;
  let ws: EngineWorkspace;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-cluster-'));
    ws = await createEngineWorkspace(join(dir, 'workspace'), engine!, {
      members: ['node1', 'node2'],
      sharedPools: ['remote'],
    });
  });
  afterAll(async () => {
    await ws.close();
    await rm(dir, { recursive: true, force: true });
  });

  const applied = async (name: string, hcl: string) => {
    const cwd = join(dir, name);
    await mkdir(cwd, { recursive: true });
    await writeFile(join(cwd, 'main.tf'), hcl);
    const init = await ws.run(cwd, ['init', '-no-color']);
    expect(init.code, init.stderr).toBe(0);
    return ws.run(cwd, ['apply', '-auto-approve', '-no-color']);
  };

  it('refuses a network that is not pending on every member first, as Incus does', async () => {
    const result = await applied('no-members', CLUSTER_NETWORKS(false));
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'Network not pending on any member (use --target <member> first)',
    );
  });

  it('creates it once it is pending on every member, without the member-specific parent', async () => {
    const result = await applied('members', CLUSTER_NETWORKS(true));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain('Apply complete! Resources: 3 added');
  });

  it('places a volume on a member-local pool only with its member; a shared pool needs none', async () => {
    const volume = (pool: string, target?: string) =>
      `${PROVIDERS}\nresource "incus_storage_volume" "data" {\n  name = "data"\n  pool = "${pool}"\n${target ? `  target = "${target}"\n` : ''}}\n`;
    const local = await applied('local', volume('local'));
    expect(local.code).toBe(1);
    expect(local.stderr).toContain('it is local to each member and no target was given');
    expect((await applied('placed', volume('local', 'node2'))).code).toBe(0);
    expect((await applied('shared', volume('remote'))).code).toBe(0);
    const stray = await applied('stray', volume('local', 'node9'));
    expect(stray.stderr).toContain('cluster member "node9" not found');
  });
});
