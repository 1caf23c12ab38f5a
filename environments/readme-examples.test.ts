import { verifyTree } from '@atlas/verify';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const MODULES = join(ROOT, 'generated', 'modules');

/** The HCL block under `## Usage` in a module README, as a reader would copy it. */
function usageExample(readme: string): string | undefined {
  return /^## Usage\n[\s\S]*?^```hcl\n([\s\S]*?)^```$/m.exec(readme)?.[1];
}

/*
 * `hclcheck validate` (HashiCorp's HCL library, checks like `tofu validate` at
 * the configuration level) from the shared tools beside the repository, when
 * they are there: `<repo>/../shared` in CI, `<worktree>/../../shared` in a
 * worktree. `terraform validate` would need the incus provider installed.
 */
const HCLCHECK = [
  process.env.ATLAS_HCLCHECK,
  join(ROOT, '..', 'shared', 'tools', 'hclcheck'),
  join(ROOT, '..', '..', 'shared', 'tools', 'hclcheck'),
].find((p): p is string => p !== undefined && existsSync(p));

describe('module README usage examples, copied out into a root module', async () => {
  const names = (await readdir(MODULES)).sort();
  let scratch: string;

  // Like a reader: each example becomes examples/<module>/main.tf two levels
  // below a folder holding modules/, which is where its `source` points.
  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'atlas-readme-examples-'));
    await symlink(MODULES, join(scratch, 'modules'));
    for (const name of names) {
      const example = usageExample(await readFile(join(MODULES, name, 'README.md'), 'utf8'));
      if (example === undefined) continue;
      await mkdir(join(scratch, 'examples', name), { recursive: true });
      await writeFile(join(scratch, 'examples', name, 'main.tf'), example);
    }
  });
  afterAll(() => rm(scratch, { recursive: true, force: true }));

  it('every module README has one', async () => {
    expect(await readdir(join(scratch, 'examples'))).toEqual(names);
  });

  it('each is a complete root module: it parses, is tofu-fmt exact, declares what it uses and calls the module correctly', async () => {
    expect(await verifyTree(join(scratch, 'examples'))).toEqual([]);
  });

  it('each declares the providers it needs and its provider versions', async () => {
    for (const name of names) {
      const example = await readFile(join(scratch, 'examples', name, 'main.tf'), 'utf8');
      expect(example, name).toMatch(/^terraform \{\n {2}required_version = ">= [\d.]+"\n/);
      expect(example, name).toMatch(/required_providers \{/);
    }
  });

  it.skipIf(HCLCHECK === undefined)('each passes hclcheck validate', () => {
    const result = spawnSync(HCLCHECK!, ['validate', 'examples'], {
      cwd: scratch,
      encoding: 'utf8',
      timeout: 60_000,
    });
    const report = `${result.stdout}${result.stderr}`;
    expect(report).toContain(`validate: ${names.length} modules, 0 problems`);
    expect(result.status, report).toBe(0);
  });

  it('a broken example fails the same check (the check can fail)', async () => {
    const broken = await mkdtemp(join(tmpdir(), 'atlas-readme-broken-'));
    try {
      await symlink(MODULES, join(broken, 'modules'));
      await mkdir(join(broken, 'examples', 'grafana'), { recursive: true });
      const example = await readFile(join(scratch, 'examples', 'grafana', 'main.tf'), 'utf8');
      // The old, incomplete form: a module call using an undeclared var.profiles.
      const call = example.slice(example.indexOf('module "grafana"'));
      await writeFile(join(broken, 'examples', 'grafana', 'main.tf'), call);
      const problems = await verifyTree(join(broken, 'examples'));
      expect(problems.map((p) => p.message).join('\n')).toMatch(/var\.profiles/);
    } finally {
      await rm(broken, { recursive: true, force: true });
    }
  });
});

describe("the root README's outputs and switches tables", async () => {
  const { default: estate } = await import('./index.js');
  const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
  const section = /^## Outputs and switches\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
  /** Each table row's backticked names, with the cells after them (environment marks, notes). */
  const rows = [...section.matchAll(/^\| (`[^|]*`)\s*\|(.*)\|$/gm)].map(([, names, rest]) => ({
    names: [...names!.matchAll(/`([^`]+)`/g)].map((m) => m[1]!),
    cells: rest!.split('|').map((c) => c.trim()),
  }));
  const ENVIRONMENT_COLUMNS = ['iapetus', 'cluster01'];

  it.each(ENVIRONMENT_COLUMNS)(
    "lists every output of %s in that environment's column, and none it lacks",
    (name) => {
      const env = estate.environments.find((e) => e.name === name)!;
      const column = ENVIRONMENT_COLUMNS.indexOf(name);
      const listed = rows.filter((r) => r.cells[column] === '✓').flatMap((r) => r.names);
      const group = (output: string) =>
        output.endsWith('_instances')
          ? '<group>_instances'
          : output.endsWith('_ansible_vars')
            ? '<group>_ansible_vars'
            : output;
      const outputs = [...new Set(Object.keys(env.outputs).map(group))].sort();
      expect([...listed].sort()).toEqual(outputs);
    },
  );

  it('lists every root switch (enable_*) of both environments', () => {
    const switches = new Set(
      estate.environments.flatMap((e) =>
        e.variables.filter((v) => v.name.startsWith('enable_')).map((v) => v.name),
      ),
    );
    expect(switches.size).toBeGreaterThan(0);
    const listed = rows.flatMap((r) => r.names).filter((n) => n.startsWith('enable_'));
    expect(listed.sort()).toEqual([...switches].sort());
  });
});
