import { baseInfrastructure } from '@atlas/base';
import { coredns } from '@atlas/coredns';
import {
  defineEnvironment,
  defineSite,
  fromEnvironment,
  remoteOutput,
  remoteStateVariables,
} from '@atlas/core';
import {
  DEFAULT_STATE,
  defineEstate,
  remoteStateBlock,
  renderEstate,
  variableBlock,
} from '@atlas/generator';
import { attr, block, printFile } from '@atlas/hcl';
import { prometheus, scrapeJob } from '@atlas/prometheus';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const hasTerraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;

/**
 * What an environment renders to read another one's outputs, run by the real
 * engine: before the other side's first apply its state object does not
 * exist, and terraform_remote_state fails on a missing object whatever its
 * defaults, so the read is switched on by `<env>_applied`.
 */
describe.skipIf(!hasTerraform)('reading another environment before its first apply', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atlas-remote-state-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const env = 'edge-01';
  writeFileSync(
    join(dir, 'main.tf'),
    printFile({
      body: [
        remoteStateBlock(
          { environment: env, outputs: ['prometheus01_ipv4_address'] },
          DEFAULT_STATE,
        ),
        ...remoteStateVariables(env).map((v) => variableBlock(v.name, v.spec, v.ref)),
        block(
          'output',
          ['address'],
          [attr('value', remoteOutput(env, 'prometheus01_ipv4_address'))],
        ),
      ],
    }),
  );
  writeFileSync(join(dir, 'terraformrc'), '');
  const environment = {
    ...process.env,
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
    TF_CLI_CONFIG_FILE: join(dir, 'terraformrc'),
    // One attempt at the closed port instead of the S3 client's retries.
    AWS_MAX_ATTEMPTS: '1',
  };
  const terraform = (...args: string[]) =>
    spawnSync('terraform', [...args, '-input=false', '-no-color'], {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
      env: environment,
    });
  /** Terraform while this process serves the bucket (spawnSync would block the server). */
  const terraformAsync = (...args: string[]) =>
    new Promise<{ status: number | null; stderr: string }>((resolve) => {
      const child = spawn('terraform', [...args, '-input=false', '-no-color'], {
        cwd: dir,
        env: environment,
        timeout: 120_000,
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.on('close', (status) => resolve({ status, stderr }));
    });

  const plannedAddress = () => {
    const show = spawnSync('terraform', ['show', '-json', 'plan.bin'], {
      cwd: dir,
      encoding: 'utf8',
    });
    const planned = JSON.parse(show.stdout) as {
      planned_values: { outputs?: Record<string, { value?: unknown }> };
    };
    return planned.planned_values.outputs?.address?.value ?? null;
  };

  it('plans with the output null and no state to read (no "Unable to find remote state")', () => {
    expect(terraform('init').status).toBe(0);
    const plan = terraform('plan', '-out=plan.bin');
    expect(plan.stderr).toBe('');
    expect(plan.status).toBe(0);
    const show = spawnSync('terraform', ['show', '-json', 'plan.bin'], {
      cwd: dir,
      encoding: 'utf8',
    });
    const planned = JSON.parse(show.stdout) as {
      planned_values: { outputs?: Record<string, { value?: unknown }> };
    };
    expect(planned.planned_values.outputs?.address?.value ?? null).toBeNull();
    // The state key is the environment's real name, not the HCL identifier.
    expect(
      printFile({ body: [remoteStateBlock({ environment: env, outputs: ['x'] }, DEFAULT_STATE)] }),
    ).toContain('key                         = "edge-01/terraform.tfstate"');
  });

  /** A loopback S3 holding `state` (or nothing) at the environment's key, as Incus's bucket would. */
  async function withBucket<T>(state: string | undefined, run: (endpoint: string) => Promise<T>) {
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`);
      const url = new URL(req.url ?? '/', 'http://bucket');
      if (url.searchParams.get('list-type') === '2') {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end(
          '<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>atlas-terraform-state</Name><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>',
        );
      } else if (
        state !== undefined &&
        url.pathname === '/atlas-terraform-state/edge-01/terraform.tfstate'
      ) {
        res.writeHead(200, {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(state),
        });
        res.end(req.method === 'HEAD' ? undefined : state);
      } else {
        res.writeHead(404, { 'content-type': 'application/xml' });
        res.end(
          req.method === 'HEAD'
            ? undefined
            : '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
        );
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      return { result: await run(`http://127.0.0.1:${port}`), requests };
    } finally {
      server.close();
    }
  }

  const planAgainst = (endpoint: string) =>
    terraformAsync(
      'plan',
      '-out=plan.bin',
      '-var=edge_01_applied=true',
      `-var=edge_01_state_endpoint=${endpoint}`,
      '-var=edge_01_state_access_key=k',
      '-var=edge_01_state_secret_key=s',
    );

  it('fails on a state object that does not exist yet, which is why the read waits for the switch', async () => {
    const { result } = await withBucket(undefined, planAgainst);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain('Unable to find remote state');
  });

  it('reads the output once the other side is applied and the switch is on', async () => {
    const state = JSON.stringify({
      version: 4,
      terraform_version: '1.11.0',
      serial: 1,
      lineage: '3f1c2c4e-6a55-4a3e-9d0c-2b8f4e1a7c11',
      outputs: { prometheus01_ipv4_address: { value: '192.168.99.7', type: 'string' } },
      resources: [],
    });
    const { result, requests } = await withBucket(state, planAgainst);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(
      requests.some((r) => r.includes('/atlas-terraform-state/edge-01/terraform.tfstate')),
    ).toBe(true);
    expect(plannedAddress()).toBe('192.168.99.7');
  });
});

describe('an environment whose name is not an HCL identifier', () => {
  it('is read under its own state key (edge-01/…), through the identifier edge_01', () => {
    const edgeSite = defineSite({
      environment: 'edge-01',
      hosts: [{ name: 'edge', lanAddress: '192.168.71.30' }],
    });
    const hubSite = defineSite({
      environment: 'hub',
      hosts: [{ name: 'hub', lanAddress: '192.168.71.10' }],
    });
    const networks = { production: { ipv4: '10.10.0.1/24' }, management: { ipv4: '10.20.0.1/24' } };
    const edge = baseInfrastructure({ mode: 'physical', parent: 'eno1', networks, site: edgeSite });
    const hub = baseInfrastructure({ networks, site: hubSite });
    // A LAN-attached DNS server: only edge-01's state knows the address DHCP gave it.
    const dns = coredns({
      name: 'coredns01',
      network: edge.attach('production'),
      zone: 'example.net',
      incusDns: '10.20.0.1',
    });
    const scraper = prometheus({
      name: 'prometheus01',
      network: hub.attach('management'),
      scrapeJobs: [scrapeJob('dns', fromEnvironment('edge-01', dns))],
    });
    const files = renderEstate(
      defineEstate({
        repository: 'https://example.com/atlas.git',
        environments: [
          defineEnvironment({
            name: 'edge-01',
            site: edgeSite,
            description: 'Edge.',
            modules: [edge.call, dns],
          }),
          defineEnvironment({
            name: 'hub',
            site: hubSite,
            description: 'Hub.',
            modules: [hub.call, scraper],
          }),
        ],
      }),
    );
    const main = files.get('environments/hub/main.tf')!;
    expect(main).toContain('data "terraform_remote_state" "edge_01" {');
    expect(main).toContain('key                         = "edge-01/terraform.tfstate"');
    expect(main).toContain('count   = var.edge_01_applied ? 1 : 0');
    // Null until edge-01 is applied, and then its LAN address.
    expect(main).toContain(
      'one(data.terraform_remote_state.edge_01[*].outputs.coredns01_ipv4_address) == null ? null : "${one(data.terraform_remote_state.edge_01[*].outputs.coredns01_ipv4_address)}:9153"',
    );
    expect(files.get('environments/edge-01/outputs.tf')).toContain(
      'output "coredns01_ipv4_address"',
    );
  });
});
