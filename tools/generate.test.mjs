import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// `pnpm generate` as users run it: the launcher, its cache in a folder of its own.
const launcher = join(import.meta.dirname, 'generate.mjs');
let work, fixtures;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'atlas-launcher-'));
  // Inside the workspace, so the fixtures' `@atlas/*` imports resolve.
  mkdirSync(join(import.meta.dirname, '.test-fixtures'), { recursive: true });
  fixtures = mkdtempSync(join(import.meta.dirname, '.test-fixtures', 'launcher-'));
});
afterAll(() => {
  rmSync(work, { recursive: true, force: true });
  rmSync(fixtures, { recursive: true, force: true });
});

const ESTATE = `
import { baseInfrastructure } from '@atlas/base';
import { defineEnvironment } from '@atlas/core';
import { defineEstate } from '@atlas/generator';
import { grafana } from '@atlas/grafana';
import { grafanaOptions } from './settings.js';

const base = baseInfrastructure({ networks: { management: { ipv4: '10.20.0.1/24' } } });
const grafana01 = grafana({ name: 'grafana01', network: base.attach('management'), ...grafanaOptions });
export default defineEstate({
  repository: 'https://example.com/atlas.git',
  environments: [defineEnvironment({ name: 'iapetus', description: 'Test.', modules: [base.call, grafana01] })],
});
`;

/** An estate folder whose settings.ts (imported by estate.ts) holds `options`. */
function estate(name, options) {
  const dir = join(fixtures, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'estate.ts'), ESTATE);
  settings(dir, options);
  return dir;
}
const settings = (dir, options) =>
  writeFileSync(join(dir, 'settings.ts'), `export const grafanaOptions = { ${options} };\n`);

function generate(dir, ...args) {
  const result = spawnSync(
    process.execPath,
    [
      launcher,
      'generate',
      '--config',
      join(dir, 'estate.ts'),
      '--out',
      join(dir, 'out/generated'),
      ...args,
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, ATLAS_GENERATE_CACHE: join(work, dir.split('/').pop()) },
    },
  );
  return { status: result.status, output: result.stdout + result.stderr };
}
const mainTf = (dir) =>
  readFileSync(join(dir, 'out/generated/environments/iapetus/main.tf'), 'utf8');
/** Bundles kept for the estate in `dir`: one folder per content key, beside inputs.json. */
const bundles = (dir) => {
  const cache = join(work, dir.split('/').pop());
  return readdirSync(cache).flatMap((estate) =>
    readdirSync(join(cache, estate)).filter((f) => f !== 'inputs.json'),
  );
};

describe('pnpm generate (tools/generate.mjs)', () => {
  it('renders an edit to an imported file on the next run, and reuses the bundle when nothing changed', () => {
    const dir = estate('edit', "domain: 'one.example.com'");
    expect(generate(dir).status).toBe(0);
    expect(mainTf(dir)).toContain('one.example.com');
    expect(generate(dir).status).toBe(0);
    expect(bundles(dir)).toHaveLength(1);
    const [before] = bundles(dir);

    settings(dir, "domain: 'two.example.com'");
    const check = generate(dir, '--check');
    expect(check.status).toBe(1);
    expect(check.output).toContain('environments/iapetus/main.tf');
    expect(generate(dir).status).toBe(0);
    expect(mainTf(dir)).toContain('two.example.com');
    expect(mainTf(dir)).not.toContain('one.example.com');
    expect(bundles(dir)).toHaveLength(1);
    expect(bundles(dir)).not.toContain(before);
  });

  it('reports a bad value in the estate as the command does: the field, exit 2, nothing written', () => {
    const dir = estate('bad-value', "domain: 'grafana.example.com', cpu: 0");
    const result = generate(dir);
    expect(result.status).toBe(2);
    expect(result.output).toContain('grafana01.cpu: expected a whole number of CPUs from 1 to 64');
    expect(result.output).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });

  it('reports an estate that is not valid TypeScript with its file and line, exit 2, nothing written', () => {
    const dir = estate('syntax', "domain: 'grafana.example.com'");
    writeFileSync(join(dir, 'settings.ts'), 'export const grafanaOptions = { domain: ;\n');
    const result = generate(dir);
    expect(result.status).toBe(2);
    expect(result.output).toMatch(/settings\.ts:1:/);
    expect(result.output).not.toMatch(/\n\s+at /);
    expect(existsSync(join(dir, 'out'))).toBe(false);
  });
});
