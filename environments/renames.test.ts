import { baseInfrastructure } from '@atlas/base';
import { ConfigError, defineEnvironment } from '@atlas/core';
import {
  defineEstate,
  keptVolumes,
  main,
  removedStatefulServices,
  renderEstate,
  selectEnvironment,
  syncTree,
} from '@atlas/generator';
import { loki } from '@atlas/loki';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Renames keep data (moved {}), and removing a stateful service is called out. The engine
// proof (apply, rename, plan: zero destroys) is in engine.test.ts.

const base = baseInfrastructure({ networks: { management: { ipv4: '10.40.0.1/24' } } });
const network = base.attach('management');
const lab = (modules: Parameters<typeof defineEnvironment>[0]['modules']) =>
  defineEnvironment({ name: 'lab', description: 'Test.', modules });

describe('a renamed service', () => {
  const files = renderEstate(
    defineEstate({
      repository: 'https://example.com/atlas.git',
      environments: [lab([base.call, loki({ name: 'logs01', renamedFrom: 'loki01', network })])],
    }),
  );
  const main_tf = files.get('environments/lab/main.tf')!;

  it('moves its state to the new name', () => {
    expect(main_tf).toContain(
      '# logs01 was loki01: its state moves, and its instance and data volume keep their Incus names.\nmoved {\n  from = module.loki01\n  to   = module.logs01\n}\n',
    );
  });

  it('keeps its Incus instance name, and with it the data volume name', () => {
    expect(main_tf).toMatch(/module "logs01" \{[^}]*instance_name\s+= "loki01"/);
  });

  it('cannot take the name of a service that is still there', () => {
    const both = () =>
      lab([
        base.call,
        loki({ name: 'loki01', network }),
        loki({ name: 'logs01', renamedFrom: 'loki01', network, profileName: 'logs' }),
      ]);
    expect(both).toThrow(ConfigError);
    try {
      both();
    } catch (error) {
      expect((error as ConfigError).issues).toContainEqual({
        path: ['lab', 'logs01', 'renamedFrom'],
        message: expect.stringContaining('"loki01" is still a module of this environment'),
      });
    }
  });
});

describe('module call names', () => {
  const render = (service: Parameters<typeof loki>[0]) =>
    renderEstate(
      defineEstate({
        repository: 'https://example.com/atlas.git',
        environments: [lab([base.call, loki(service)])],
      }),
    ).get('environments/lab/main.tf')!;

  it('are snake_case, and state under the hyphenated name Atlas wrote before moves to it', () => {
    const main_tf = render({ name: 'loki-01', network });
    expect(main_tf).toMatch(/module "loki_01" \{[^}]*instance_name\s+= "loki-01"/);
    expect(main_tf).not.toContain('module "loki-01"');
    expect(main_tf).toContain(
      "# Module calls are named in snake_case: loki-01's state moves to loki_01, and Incus names stay as they are.\nmoved {\n  from = module.loki-01\n  to   = module.loki_01\n}\n",
    );
  });

  it('need no moved block when they are already identifiers without hyphens', () => {
    expect(render({ name: 'loki01', network })).not.toContain('moved {');
  });

  it('chain the moves of a rename from a hyphenated name: old spelling, snake_case, new name', () => {
    const main_tf = render({ name: 'logs01', renamedFrom: 'loki-01', network });
    const moves = [...main_tf.matchAll(/moved \{\n {2}from = (\S+)\n {2}to {3}= (\S+)\n\}/g)].map(
      (m) => `${m[1]} -> ${m[2]}`,
    );
    expect(moves).toEqual(['module.loki-01 -> module.loki_01', 'module.loki_01 -> module.logs01']);
    expect(main_tf).toMatch(/module "logs01" \{[^}]*instance_name\s+= "loki-01"/);
  });
});

describe('pnpm generate after removing a stateful service', () => {
  // Inside the workspace so the fixtures' `@atlas/*` imports resolve; git ignores `.generated-*/`.
  const fixtures = join(import.meta.dirname, '.generated-renames-fixtures');
  const scratch: string[] = [fixtures];
  afterAll(() => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));

  const estate = (services: string) => `
import { baseInfrastructure } from '@atlas/base';
import { defineEnvironment } from '@atlas/core';
import { defineEstate } from '@atlas/generator';
import { loki } from '@atlas/loki';

const base = baseInfrastructure({ networks: { management: { ipv4: '10.40.0.1/24' } } });
const network = base.attach('management');
export default defineEstate({
  repository: 'https://example.com/atlas.git',
  environments: [defineEnvironment({ name: 'lab', description: 'Test.', modules: [base.call, ${services}] })],
});
`;
  async function generate(name: string, source: string, out: string) {
    await mkdir(fixtures, { recursive: true });
    const file = join(fixtures, `${name}.ts`);
    await writeFile(file, source);
    const errors: string[] = [];
    const code = await main(['generate', '--config', file, '--out', out], {
      log() {},
      error: (...args: unknown[]) => errors.push(args.join(' ')),
    });
    return { code, errors };
  }

  it('warns that the next apply destroys its data volume, and says how a rename keeps it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-removal-'));
    scratch.push(dir);
    const out = join(dir, 'generated');
    const services =
      "loki({ name: 'loki01', network }), loki({ name: 'loki02', network, profileName: 'loki2', data: { enabled: false } })";
    expect((await generate('before', estate(services), out)).code).toBe(0);
    const after = await generate('after', estate(''), out);
    expect(after.code).toBe(0);
    // loki02 kept no data, so only loki01 is called out.
    expect(after.errors).toEqual([
      `warning: environments/lab/main.tf: loki01 is no longer in the estate, so the next apply destroys its data volume "loki01-data". If it was renamed, give the new service renamedFrom: 'loki01' to keep it.`,
    ]);
  });

  it('says nothing when the service was renamed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-removal-'));
    scratch.push(dir);
    const out = join(dir, 'generated');
    expect((await generate('named', estate("loki({ name: 'loki01', network })"), out)).code).toBe(
      0,
    );
    const renamed = await generate(
      'renamed',
      estate("loki({ name: 'logs01', renamedFrom: 'loki01', network })"),
      out,
    );
    expect(renamed).toEqual({ code: 0, errors: [] });
  });
});

describe('the record of data volumes in the manifest', () => {
  const scratch: string[] = [];
  afterAll(() => Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true }))));
  const outDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-volumes-'));
    scratch.push(dir);
    return join(dir, 'generated');
  };
  const estateOf = (...services: Parameters<typeof loki>[0][]) =>
    defineEstate({
      repository: 'https://example.com/atlas.git',
      environments: [lab([base.call, ...services.map(loki)])],
    });
  /** What pnpm generate does: warn from the last run's record, then write the files and the new record. */
  const generate = (out: string, estate: ReturnType<typeof estateOf>) => {
    const warnings = removedStatefulServices(out, estate);
    syncTree(out, { files: renderEstate(estate), volumes: keptVolumes(estate) });
    return warnings;
  };

  it('lists each kept volume by environment and call, one line each, and not a volume switched off', async () => {
    const out = await outDir();
    generate(
      out,
      estateOf(
        { name: 'loki-01', network },
        { name: 'loki02', network, profileName: 'loki2', data: { enabled: false } },
      ),
    );
    const manifest = await readFile(join(out, '.atlas-manifest.json'), 'utf8');
    expect(manifest).toContain(
      '  "volumes": {\n    "lab/loki_01": {"instance":"loki-01","volume":"loki-01-data"}\n  }\n',
    );
  });

  it('follows a renamed call, and names it by its new name when it leaves later', async () => {
    const out = await outDir();
    generate(out, estateOf({ name: 'loki01', network }));
    expect(generate(out, estateOf({ name: 'logs01', renamedFrom: 'loki01', network }))).toEqual([]);
    expect(generate(out, estateOf())).toEqual([
      `environments/lab/main.tf: logs01 is no longer in the estate, so the next apply destroys its data volume "loki01-data". If it was renamed, give the new service renamedFrom: 'logs01' to keep it.`,
    ]);
  });

  it('follows the snake_case move of a hyphenated name, and suggests the name the service had', async () => {
    const out = await outDir();
    generate(out, estateOf({ name: 'loki-01', network }));
    expect(generate(out, estateOf({ name: 'logs01', renamedFrom: 'loki-01', network }))).toEqual(
      [],
    );
    const other = await outDir();
    generate(other, estateOf({ name: 'loki-01', network }));
    expect(generate(other, estateOf())).toEqual([
      `environments/lab/main.tf: loki_01 is no longer in the estate, so the next apply destroys its data volume "loki-01-data". If it was renamed, give the new service renamedFrom: 'loki-01' to keep it.`,
    ]);
  });

  it('warns when a kept service switches its persistence off, and not when it leaves without data', async () => {
    const out = await outDir();
    generate(out, estateOf({ name: 'loki01', network }));
    expect(generate(out, estateOf({ name: 'loki01', network, data: { enabled: false } }))).toEqual([
      'environments/lab/main.tf: loki01 no longer keeps its data (data.enabled is false), so the next apply destroys its data volume "loki01-data".',
    ]);
    expect(generate(out, estateOf())).toEqual([]);
  });

  it('warns when a service names another data volume', async () => {
    const out = await outDir();
    generate(out, estateOf({ name: 'loki01', network }));
    expect(
      generate(out, estateOf({ name: 'loki01', network, data: { name: 'logs-data' } })),
    ).toEqual([
      'environments/lab/main.tf: loki01 now names its data volume "logs-data", so the next apply destroys "loki01-data" and creates an empty one.',
    ]);
  });

  it('says nothing after a manifest from before the record, and records the volumes from then on', async () => {
    const out = await outDir();
    generate(out, estateOf({ name: 'loki01', network }));
    const path = join(out, '.atlas-manifest.json');
    const old = (await readFile(path, 'utf8')).replace(/,\n {2}"volumes": \{[^}]*\}\n {2}\}/, '');
    expect(old).not.toContain('volumes');
    await writeFile(path, old);
    expect(generate(out, estateOf({ name: 'loki02', network, profileName: 'loki2' }))).toEqual([]);
    expect(generate(out, estateOf())).toEqual([
      expect.stringContaining('loki02 is no longer in the estate'),
    ]);
  });

  it('leaves the record of environments an --env run does not answer for', async () => {
    const out = await outDir();
    const two = (services: Parameters<typeof loki>[0][]) =>
      defineEstate({
        repository: 'https://example.com/atlas.git',
        environments: [
          lab([base.call, ...services.map(loki)]),
          defineEnvironment({
            name: 'other',
            description: 'Test.',
            modules: [base.call, loki({ name: 'loki09', network })],
          }),
        ],
      });
    generate(out, two([{ name: 'loki01', network }]));
    const only = selectEnvironment(two([]), 'lab')!;
    expect(removedStatefulServices(out, only.estate, only.owns)).toEqual([
      expect.stringContaining('environments/lab/main.tf: loki01 is no longer in the estate'),
    ]);
    syncTree(out, {
      files: renderEstate(only.estate),
      volumes: keptVolumes(only.estate),
      scope: only.owns,
    });
    const manifest = await readFile(join(out, '.atlas-manifest.json'), 'utf8');
    expect(manifest).toContain('"other/loki09"');
    expect(manifest).not.toContain('"lab/loki01"');
  });
});
