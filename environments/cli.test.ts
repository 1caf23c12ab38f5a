import { main } from '@atlas/generator';
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Fixtures live inside the workspace so their `@atlas/*` imports resolve.
const FIXTURES = join(import.meta.dirname, '.test-fixtures');
let out: string;

async function treeHash(root: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (dir: string): Promise<void> => {
    for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else
        hash
          .update(relative(root, full))
          .update('\0')
          .update(await readFile(full))
          .update('\0');
    }
  };
  await walk(root);
  return hash.digest('hex');
}

/** An estate file: the iapetus shape with `grafana` options patched in. */
function fixture(grafanaOptions: string, extra = ''): string {
  return `
import { baseInfrastructure } from '@atlas/base';
import { defineEnvironment } from '@atlas/core';
import { defineEstate } from '@atlas/generator';
import { grafana } from '@atlas/grafana';
import { prometheus } from '@atlas/prometheus';

const base = baseInfrastructure({ networks: { management: { ipv4: '10.20.0.1/24' } } });
const network = base.attach('management');
const prometheus01 = prometheus({ name: 'prometheus01', network });
${extra}
const grafana01 = grafana({ name: 'grafana01', network, domain: 'grafana.example.com', ${grafanaOptions} });
export default defineEstate({
  repository: 'https://example.com/atlas.git',
  environments: [defineEnvironment({ name: 'iapetus', description: 'Test.', modules: [base.call, prometheus01, grafana01] })],
});
`;
}

async function run(name: string, source: string) {
  const file = join(FIXTURES, `${name}.ts`);
  await writeFile(file, source);
  const lines: string[] = [];
  const log = {
    log: (...a: unknown[]) => lines.push(a.join(' ')),
    error: (...a: unknown[]) => lines.push(a.join(' ')),
  };
  const before = await treeHash(out);
  const code = await main(['generate', '--config', file, '--out', out], log);
  return { code, output: lines.join('\n'), unchanged: (await treeHash(out)) === before };
}

beforeAll(async () => {
  await mkdir(FIXTURES, { recursive: true });
  out = join(await mkdtemp(join(tmpdir(), 'atlas-cli-')), 'generated');
  await writeFile(join(FIXTURES, 'good.ts'), fixture('datasources: [{ source: prometheus01 }]'));
  expect(
    await main(['generate', '--config', join(FIXTURES, 'good.ts'), '--out', out], {
      log() {},
      error() {},
    } as never),
  ).toBe(0);
});
afterAll(() => rm(FIXTURES, { recursive: true, force: true }));

describe('atlas generate with bad input', () => {
  it.each([
    ['cpu-zero', 'cpu: 0', 'grafana01.cpu: expected a whole number of CPUs from 1 to 64'],
    ['cpu-too-many', 'cpu: 65', 'grafana01.cpu: expected a whole number of CPUs from 1 to 64'],
    [
      'cpu-word',
      "cpu: 'two' as never",
      'grafana01.cpu: expected a whole number of CPUs from 1 to 64',
    ],
    ['memory-space', "memory: '2 GB'", 'grafana01.memory: expected a size such as 512MB or 2GiB'],
    ['domain', "domain: 'Not A Domain'", 'grafana01.domain: expected a lower-case DNS name'],
  ])(
    '%s: names the field, exits 2 and leaves generated/ untouched',
    async (name, option, message) => {
      const source = fixture(option).replace(
        /domain: 'grafana\.example\.com', (domain: 'Not A Domain')/,
        '$1',
      );
      const result = await run(name, source);
      expect(result.code).toBe(2);
      expect(result.output).toContain(message);
      expect(result.output).not.toMatch(/\n\s+at /);
      expect(result.unchanged).toBe(true);
    },
  );

  it('rejects duplicate instance names', async () => {
    const source = fixture('', '').replace(
      'modules: [base.call, prometheus01, grafana01]',
      "modules: [base.call, prometheus01, grafana01, prometheus({ name: 'prometheus01', network })]",
    );
    const result = await run('duplicate', source);
    expect(result.code).toBe(2);
    expect(result.output).toContain(
      'iapetus.prometheus01: module name "prometheus01" is used more than once',
    );
    expect(result.unchanged).toBe(true);
  });

  it('rejects a datasource pointing at a module outside the environment', async () => {
    const result = await run(
      'foreign-datasource',
      fixture(
        'datasources: [{ source: prometheus02 }]',
        "const prometheus02 = prometheus({ name: 'prometheus02', network });",
      ),
    );
    expect(result.code).toBe(2);
    expect(result.output).toContain(
      'iapetus.grafana01.datasources[0].url: refers to module "prometheus02", which is not part of environment "iapetus"',
    );
    expect(result.unchanged).toBe(true);
  });

  it('refuses a link with no reachable form: names both ends and what would make it reachable', async () => {
    const source = `
import { baseInfrastructure } from '@atlas/base';
import { defineEnvironment, defineSite, fromEnvironment } from '@atlas/core';
import { defineEstate } from '@atlas/generator';
import { federationJob, prometheus } from '@atlas/prometheus';

const networks = { management: { ipv4: '10.20.0.1/24' } };
const hubSite = defineSite({ environment: 'hub', hosts: [{ name: 'hub', lanAddress: '192.168.71.10' }] });
const edgeSite = defineSite({
  environment: 'edge',
  hosts: [{ name: 'm1', lanAddress: '192.168.71.21' }, { name: 'm2', lanAddress: '192.168.71.22' }],
  storage: { pool: 'remote', driver: 'ceph' },
});
const hub = baseInfrastructure({ networks, site: hubSite });
const edge = baseInfrastructure({ networks, site: edgeSite });
const edgePrometheus = prometheus({ name: 'prometheus01', network: edge.attach('management') });
const hubPrometheus = prometheus({
  name: 'prometheus01',
  network: hub.attach('management'),
  scrapeJobs: [federationJob(fromEnvironment('edge', edgePrometheus))],
});
export default defineEstate({
  repository: 'https://example.com/atlas.git',
  environments: [
    defineEnvironment({ name: 'hub', site: hubSite, description: 'Test.', modules: [hub.call, hubPrometheus] }),
    defineEnvironment({ name: 'edge', site: edgeSite, description: 'Test.', modules: [edge.call, edgePrometheus] }),
  ],
});
`;
    const result = await run('unreachable-link', source);
    expect(result.code).toBe(2);
    expect(result.output).toContain(
      'hub.prometheus01.scrape_jobs: prometheus01 (hub) cannot reach prometheus01 (edge, management network, bridge)',
    );
    expect(result.output).toContain('pin it with targetNode to one of m1, m2');
    expect(result.output).not.toMatch(/\n\s+at /);
    expect(result.unchanged).toBe(true);
  });

  it('--check lists drifted files and exits 1 without writing', async () => {
    const file = join(FIXTURES, 'drift.ts');
    await writeFile(file, fixture("datasources: [{ source: prometheus01 }], memory: '2GB'"));
    const lines: string[] = [];
    const before = await treeHash(out);
    const code = await main(['generate', '--check', '--config', file, '--out', out], {
      log: (l: string) => lines.push(l),
      error: (l: string) => lines.push(l),
    } as never);
    expect(code).toBe(1);
    expect(lines.join('\n')).toContain(`modified ${out}/environments/iapetus/main.tf`);
    expect(await treeHash(out)).toBe(before);
  });

  it('the real executable prints no stack trace and exits 2', () => {
    const bin = join(import.meta.dirname, '..', 'packages', 'generator', 'src', 'bin.ts');
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@atlas/source',
        bin,
        'generate',
        '--config',
        join(FIXTURES, 'cpu-zero.ts'),
        '--out',
        out,
      ],
      { encoding: 'utf8', cwd: import.meta.dirname },
    );
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('grafana01.cpu: expected a whole number of CPUs from 1 to 64');
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
