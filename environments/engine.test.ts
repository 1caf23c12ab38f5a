import { baseInfrastructure } from '@atlas/base';
import { defineEnvironment } from '@atlas/core';
import { defineEstate, removedStatefulServices, renderEstate } from '@atlas/generator';
import { loki } from '@atlas/loki';
import {
  createEngineWorkspace,
  findEngine,
  pem,
  selfSignedCertificate,
  type EngineWorkspace,
} from '@atlas/sim-provider';
import {
  checkCloudInit,
  checkContent,
  hasChecker,
  type CheckerName,
  type CheckerResult,
} from '@atlas/verify';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { atlasEstate, type NetworkChoice } from './index.js';

// The real engine (OpenTofu when on PATH, else Terraform) over what Atlas generates, with the
// simulated lxc/incus and hashicorp/tls providers of @atlas/sim-provider: validate every
// module and root module; for each network mode, the documented bring-up order
// iapetus -> cluster01 -> iapetus with local state, each environment planned, applied and
// planned again (which must be empty).

const GENERATED = join(import.meta.dirname, '..', 'generated');
const MODES: Record<string, NetworkChoice> = {
  bridge: { mode: 'bridge' },
  physical: { mode: 'physical', parent: 'eno1' },
  ovn: { mode: 'ovn', parent: 'uplink' },
};
const ENVIRONMENTS = ['iapetus', 'cluster01'] as const;
const OTHER = { iapetus: 'cluster01', cluster01: 'iapetus' } as const;

const engine = findEngine();
const required = Boolean(process.env.CI); // as @atlas/verify's hasChecker
if (!engine) {
  const line = 'engine checks skipped: neither tofu nor terraform is on PATH';
  if (required) throw new Error(`${line}, and CI requires them`);
  console.log(line);
}

interface Step {
  readonly what: string;
  readonly ok: boolean;
  readonly detail: string;
  readonly ms: number;
}

const report = new Map<string, Step[]>();
const scratch: string[] = [];
const workspaces: EngineWorkspace[] = [];

async function scratchDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

async function workspace(): Promise<EngineWorkspace> {
  const ws = await createEngineWorkspace(await scratchDir('atlas-engine-'), engine!);
  workspaces.push(ws);
  return ws;
}

/** Runs one engine command, records it under `row`, and says whether it did what `expect` wants. */
async function step(
  row: string,
  ws: EngineWorkspace,
  cwd: string,
  what: string,
  args: string[],
  accept: (code: number) => boolean = (code) => code === 0,
): Promise<{ ok: boolean }> {
  const started = Date.now();
  const result = await ws.run(cwd, args);
  const ok = accept(result.code);
  const detail = ok ? summary(result.stdout) : `${result.stderr}\n${result.stdout}`.trim();
  const steps = report.get(row) ?? [];
  steps.push({
    what,
    ok,
    detail,
    ms: Date.now() - started,
  });
  report.set(row, steps);
  return { ok };
}

// "Plan: 3 to add, 0 to change, 0 to destroy." or "No changes."; the rest is noise in a report.
const summary = (stdout: string): string =>
  stdout.match(/Plan: [^\n]*|No changes\.|Apply complete![^\n]*|Success![^\n]*/)?.[0] ?? '';

// Each test runs dozens of engine commands; on two busy cores that can take minutes.
const TIMEOUT_MS = 600_000;

const EMPTY_PLAN = (code: number) => code === 0; // -detailed-exitcode: 2 means changes

async function writeFiles(root: string, files: ReadonlyMap<string, string>) {
  for (const [path, content] of files) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
}

// The tfvars examples hold <placeholders>, which the modules' validations rightly reject;
// these are values of the right shape for the variables whose placeholders cannot pass.
const TEST_PEM = (() => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const now = Date.now();
  const der = selfSignedCertificate({
    commonName: 'atlas-engine-test',
    isCa: false,
    uses: ['client_auth', 'digital_signature'],
    notBefore: new Date(now),
    notAfter: new Date(now + 3_600_000),
    serial: Buffer.from([1]),
    publicKey,
    privateKey,
  });
  return {
    certificate: pem('CERTIFICATE', der),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
})();
const TEST_VALUES: readonly [RegExp, string][] = [
  [/_certificate$/, heredoc(TEST_PEM.certificate)],
  [/_client_key$|_private_key$/, heredoc(TEST_PEM.key)],
  [/_users$/, '{ operator = "correct-horse-battery" }'],
  [/_fingerprint$/, `"${'ab'.repeat(32)}"`],
  [/_url$/, '"https://hooks.example.com/engine-test"'],
];
function heredoc(text: string): string {
  return `<<-EOT\n${text}EOT`;
}

async function testValues(example: string): Promise<string> {
  const lines: string[] = [];
  for (const [, name, given] of (await readFile(example, 'utf8')).matchAll(
    /^([a-z0-9_]+) = (.*)$/gm,
  )) {
    // A "<…>" placeholder is refused by the variable's own validation until it is replaced.
    const value =
      TEST_VALUES.find(([pattern]) => pattern.test(name!))?.[1] ??
      (/^"<.*>"$/.test(given!) ? `"engine-test-${name}"` : undefined);
    if (value) lines.push(`${name} = ${value}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Local state instead of S3, and any remote state read from the other side's local file. */
async function overrideBackends(tree: string) {
  for (const environment of ENVIRONMENTS) {
    const other = OTHER[environment];
    const main = await readFile(join(tree, 'environments', environment, 'main.tf'), 'utf8');
    const readsOther = main.includes(`data "terraform_remote_state" "${other}" {`);
    await writeFile(
      join(tree, 'environments', environment, 'engine_override.tf'),
      `terraform {\n  backend "local" {\n    path = "${join(tree, `${environment}.tfstate`)}"\n  }\n}\n` +
        (readsOther
          ? `\ndata "terraform_remote_state" "${other}" {\n  backend = "local"\n  config = {\n` +
            `    path = "${join(tree, `${other}.tfstate`)}"\n  }\n}\n`
          : ''),
    );
    const example = join(tree, 'environments', environment, 'terraform.tfvars.example');
    await cp(example, join(tree, 'environments', environment, 'terraform.tfvars'));
    await writeFile(
      join(tree, 'environments', environment, 'engine.auto.tfvars'),
      await testValues(example),
    );
  }
}

describe.skipIf(!engine)(`the real engine (${engine?.name ?? 'none'}) over generated/`, () => {
  beforeAll(() => {
    console.log(`engine: ${engine!.name} at ${engine!.path}`);
  });
  afterAll(async () => {
    await Promise.all(workspaces.map((ws) => ws.close()));
    await Promise.all(scratch.map((dir) => rm(dir, { recursive: true, force: true })));
    const lines = [...report].map(
      ([row, steps]) =>
        `${row.padEnd(28)} ${steps.map((s) => `${s.what} ${s.ok ? 'ok' : 'FAILED'} (${(s.ms / 1000).toFixed(1)}s${s.detail && s.ok ? `, ${s.detail}` : ''})`).join(' | ')}`,
    );
    console.log(`${engine!.name} results:\n${lines.join('\n')}`);
  }, 60_000);

  it.concurrent(
    "validates every module and both bootstraps, runs the modules' own tests and validates their README usage",
    async () => {
      const ws = await workspace();
      const tree = await scratchDir('atlas-modules-');
      await cp(GENERATED, tree, { recursive: true });
      const modules = (await readdir(join(tree, 'modules'))).map((name) => `modules/${name}`);
      const roots = [...modules, ...ENVIRONMENTS.map((env) => `environments/${env}/bootstrap`)];
      const failures: string[] = [];
      // A few lanes: each command is mostly the engine starting up and waiting on the provider.
      const queue = [...roots];
      const lane = async () => {
        for (let root = queue.shift(); root !== undefined; root = queue.shift()) await check(root);
      };
      const check = async (root: string) => {
        const cwd = join(tree, root);
        const init = await step(root, ws, cwd, 'init', ['init', '-backend=false', '-no-color']);
        const valid =
          init.ok && (await step(root, ws, cwd, 'validate', ['validate', '-no-color'])).ok;
        // tests/module.tftest.hcl: the mock-provider tests every generated module ships.
        const tested =
          valid &&
          (!root.startsWith('modules/') ||
            (await step(root, ws, cwd, 'test', ['test', '-no-color'])).ok);
        const documented =
          tested && (!root.startsWith('modules/') || (await validateUsage(root, ws, tree)));
        if (!documented) failures.push(root);
      };
      await Promise.all([lane(), lane(), lane()]);
      failures.sort();
      expect(failures, details(failures)).toEqual([]);
    },
    TIMEOUT_MS,
  );

  it.concurrent(
    'keeps a renamed service and its data (moved), and warns before a removal destroys data',
    async () => {
      const ws = await workspace();
      const tree = await scratchDir('atlas-renames-');
      const cwd = join(tree, 'environments', 'lab');
      const render = async (estate: ReturnType<typeof labEstate>) => {
        const files = renderEstate(estate);
        const warnings = await removedStatefulServices(tree, files);
        await writeFiles(tree, files);
        return warnings;
      };
      const row = 'renames';
      await render(labEstate({ name: 'loki01' }));
      await writeFile(
        join(cwd, 'engine_override.tf'),
        `terraform {\n  backend "local" {\n    path = "${join(tree, 'lab.tfstate')}"\n  }\n}\n`,
      );
      expect((await step(row, ws, cwd, 'init', ['init', '-no-color'])).ok).toBe(true);
      expect((await step(row, ws, cwd, 'apply', ['apply', '-auto-approve', '-no-color'])).ok).toBe(
        true,
      );

      // Renamed: the state moves, nothing is replaced or destroyed, generate has nothing to say.
      expect(await render(labEstate({ name: 'logs01', renamedFrom: 'loki01' }))).toEqual([]);
      // A module under a new name is a new module call: init installs it, as Atlantis does every run.
      expect((await step(row, ws, cwd, 'init (renamed)', ['init', '-no-color'])).ok).toBe(true);
      const renamed = await ws.run(cwd, ['plan', '-no-color']);
      expect(renamed.code, renamed.stderr).toBe(0);
      expect(renamed.stdout).toContain(
        'module.loki01.incus_storage_volume.data[0] has moved to module.logs01.incus_storage_volume.data[0]',
      );
      expect(renamed.stdout).toContain(
        'module.loki01.incus_instance.this has moved to module.logs01.incus_instance.this',
      );
      expect(renamed.stdout).toMatch(/Plan: 0 to add, \d+ to change, 0 to destroy\.|No changes\./);
      expect(
        (await step(row, ws, cwd, 'apply (renamed)', ['apply', '-auto-approve', '-no-color'])).ok,
      ).toBe(true);

      // Removed: generate names the volume the next apply destroys, and the plan does destroy it.
      expect(await render(labEstate())).toEqual([
        `environments/lab/main.tf: logs01 is no longer in the estate, so the next apply destroys its data volume "loki01-data". If it was renamed, give the new service renamedFrom: 'logs01' to keep it.`,
      ]);
      const removed = await ws.run(cwd, ['plan', '-no-color']);
      expect(removed.code, removed.stderr).toBe(0);
      expect(removed.stdout).toContain(
        'module.logs01.incus_storage_volume.data[0] will be destroyed',
      );
    },
  );

  it.concurrent(
    'moves state from the hyphenated call name earlier releases wrote to its snake_case name',
    async () => {
      const ws = await workspace();
      const tree = await scratchDir('atlas-snake-');
      const cwd = join(tree, 'environments', 'lab');
      const row = 'snake_case';
      const files = renderEstate(labEstate({ name: 'loki-01' }));
      const main = files.get('environments/lab/main.tf')!;
      expect(main).toContain('from = module.loki-01\n  to   = module.loki_01\n');
      // What Atlas wrote before call names were snake_case: the name as given, no moved block.
      const before = main
        .replace(/\n# Module calls are named in snake_case[^\n]*\nmoved \{\n[^}]*\}\n/, '')
        .replaceAll('module "loki_01"', 'module "loki-01"')
        .replaceAll('module.loki_01.', 'module.loki-01.');
      expect(before).not.toContain('loki_01');
      await writeFiles(tree, new Map([...files, ['environments/lab/main.tf', before]]));
      await writeFile(
        join(cwd, 'engine_override.tf'),
        `terraform {\n  backend "local" {\n    path = "${join(tree, 'lab.tfstate')}"\n  }\n}\n`,
      );
      expect((await step(row, ws, cwd, 'init', ['init', '-no-color'])).ok).toBe(true);
      expect((await step(row, ws, cwd, 'apply', ['apply', '-auto-approve', '-no-color'])).ok).toBe(
        true,
      );

      await writeFiles(tree, files);
      expect((await step(row, ws, cwd, 'init (snake_case)', ['init', '-no-color'])).ok).toBe(true);
      const plan = await ws.run(cwd, ['plan', '-no-color']);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(
        'module.loki-01.incus_storage_volume.data[0] has moved to module.loki_01.incus_storage_volume.data[0]',
      );
      expect(plan.stdout).toContain(
        'module.loki-01.incus_instance.this has moved to module.loki_01.incus_instance.this',
      );
      expect(plan.stdout).toMatch(/Plan: 0 to add, \d+ to change, 0 to destroy\.|No changes\./);
    },
  );

  it.concurrent.each(Object.entries(MODES))(
    'brings up the estate in %s mode: iapetus, cluster01, iapetus again',
    async (mode, network) => {
      const tree = await scratchDir(`atlas-${mode}-`);
      if (mode === 'bridge') await cp(GENERATED, tree, { recursive: true });
      else
        await writeFiles(tree, renderEstate(atlasEstate({ iapetus: network, cluster01: network })));
      await overrideBackends(tree);
      // Each environment has its own Incus: its own simulated daemon.
      const ws = { iapetus: await workspace(), cluster01: await workspace() };
      const failures: string[] = [];
      const bringUp = async (
        environment: (typeof ENVIRONMENTS)[number],
        round: string,
        { final }: { final: boolean },
      ) => {
        const row = `${mode} ${environment}${round}`;
        const cwd = join(tree, 'environments', environment);
        const on = ws[environment];
        const run = (what: string, args: string[], accept?: (code: number) => boolean) =>
          step(row, on, cwd, what, [...args, '-no-color'], accept);
        // Each plan must pass, the first one too: before the other environment's first apply
        // the estate reads none of its state (the <env>_applied switches are off).
        const planned =
          (round !== '' || (await run('init', ['init'])).ok) &&
          (await run('validate', ['validate'])).ok &&
          (await run('plan', ['plan', '-out=tfplan', '-detailed-exitcode'], (c) => c !== 1));
        const ok =
          planned &&
          planned.ok &&
          (await run('apply', ['apply', 'tfplan'])).ok &&
          (await run('re-plan', ['plan', '-out=final', '-detailed-exitcode'], EMPTY_PLAN)).ok &&
          (!final || (await checkPlannedConfigs(row, on, cwd)));
        if (!ok) failures.push(row);
      };
      await bringUp('iapetus', '', { final: false });
      await bringUp('cluster01', '', { final: true });
      await bringUp('iapetus', ' (round 2)', { final: true });
      expect(failures, details(failures)).toEqual([]);
    },
    TIMEOUT_MS,
  );
});

// A module README's usage example is a complete root module (terraform block, the variables
// it reads, the module call), meant to be copied into a folder beside the environments.
const USAGE = /```hcl\n(terraform \{\n[^]*?)```/;

/** The README's usage example, copied out as the root module it is, then init and validate. */
async function validateUsage(root: string, ws: EngineWorkspace, tree: string): Promise<boolean> {
  const name = root.slice('modules/'.length);
  const usage = (await readFile(join(tree, root, 'README.md'), 'utf8')).match(USAGE)?.[1];
  const row = `${root} README`;
  if (usage === undefined) {
    report.set(row, [{ what: 'usage', ok: false, detail: 'no usage example found', ms: 0 }]);
    return false;
  }
  const dir = join(tree, 'environments', `readme-${name}`);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'main.tf'), usage);
  return (
    (await step(row, ws, dir, 'init', ['init', '-backend=false', '-no-color'])).ok &&
    (await step(row, ws, dir, 'validate', ['validate', '-no-color'])).ok
  );
}

interface PlannedResource {
  readonly address: string;
  readonly type: string;
  readonly values: Record<string, unknown>;
}
interface PlannedModule {
  readonly resources?: readonly PlannedResource[];
  readonly child_modules?: readonly PlannedModule[];
}
const plannedResources = (module: PlannedModule): PlannedResource[] => [
  ...(module.resources ?? []),
  ...(module.child_modules ?? []).flatMap(plannedResources),
];

interface WrittenFile {
  readonly path: string;
  readonly content?: string;
  readonly encoding?: string;
}

// The real checker for each kind of file the services write, by path.
const FILE_CHECKS: readonly {
  readonly path: RegExp;
  readonly checker: CheckerName;
  readonly args: (file: string) => string[];
  readonly name: string;
}[] = [
  {
    path: /prometheus\.yml$/,
    checker: 'promtool',
    args: (f) => ['check', 'config', '--syntax-only', f],
    name: 'prometheus.yml',
  },
  {
    path: /\/prometheus\/rules\/[^/]+\.yml$/,
    checker: 'promtool',
    args: (f) => ['check', 'rules', f],
    name: 'rules.yml',
  },
  {
    path: /alertmanager\.yml$/,
    checker: 'amtool',
    args: (f) => ['check-config', f],
    name: 'alertmanager.yml',
  },
  { path: /\/usr\/local\/sbin\/[^/]+$/, checker: 'shellcheck', args: (f) => [f], name: 'script' },
];

// The modes render many identical files; each distinct one is checked once (cloud-init's
// schema check alone takes about a second).
const checked = new Map<string, CheckerResult>();
function checkedOnce(checker: string, content: string, check: () => CheckerResult): CheckerResult {
  const key = createHash('sha256').update(checker).update('\0').update(content).digest('hex');
  const result = checked.get(key) ?? check();
  checked.set(key, result);
  return result;
}

/**
 * The cloud-init user-data of every instance in the saved plan (`show -json`), through
 * `cloud-init schema`, and each file it writes through that file's own checker.
 */
async function checkPlannedConfigs(
  row: string,
  ws: EngineWorkspace,
  cwd: string,
): Promise<boolean> {
  const started = Date.now();
  const shown = await ws.run(cwd, ['show', '-json', 'final']);
  const problems: string[] = [];
  const counts = new Map<string, number>();
  const count = (what: string) => counts.set(what, (counts.get(what) ?? 0) + 1);
  const plan = JSON.parse(shown.stdout) as { planned_values: { root_module: PlannedModule } };
  for (const resource of plannedResources(plan.planned_values.root_module)) {
    const config = resource.values.config as Record<string, string> | null;
    const userData =
      resource.type === 'incus_instance' ? config?.['cloud-init.user-data'] : undefined;
    if (userData === undefined) continue;
    if (hasChecker('cloud-init')) {
      const result = checkedOnce('cloud-init', userData, () => checkCloudInit(userData));
      count('cloud-init');
      if (!`${result.stdout}${result.stderr}`.includes('Valid cloud-config'))
        problems.push(`${resource.address}: cloud-init schema: ${result.stdout}${result.stderr}`);
    }
    const written =
      (parseYaml(userData) as { write_files?: WrittenFile[] } | null)?.write_files ?? [];
    for (const file of written) {
      const check = FILE_CHECKS.find((c) => c.path.test(file.path));
      if (!check || !hasChecker(check.checker)) continue;
      const content = /^b(ase)?64$/.test(file.encoding ?? '')
        ? Buffer.from(file.content ?? '', 'base64').toString()
        : (file.content ?? '');
      const result = checkedOnce(check.checker, content, () =>
        checkContent(check.checker, content, check.args, check.name),
      );
      count(check.checker);
      if (result.status !== 0)
        problems.push(
          `${resource.address} ${file.path}: ${check.checker}: ${result.stdout}${result.stderr}`,
        );
    }
  }
  const ok = shown.code === 0 && problems.length === 0 && (counts.get('cloud-init') ?? 1) > 0;
  const steps = report.get(row) ?? [];
  steps.push({
    what: 'configs',
    ok,
    detail: ok
      ? [...counts].map(([checker, n]) => `${checker} ${n}`).join(', ')
      : `${shown.stderr}\n${problems.join('\n')}`,
    ms: Date.now() - started,
  });
  report.set(row, steps);
  return ok;
}

/**
 * A one-service estate ("lab": a network and a Loki with its data volume), for the rename
 * and removal checks; `loki` is the Loki's name and, after a rename, its former one.
 */
function labEstate(service?: { name: string; renamedFrom?: string }) {
  const base = baseInfrastructure({
    mode: 'bridge',
    networks: { management: { ipv4: '10.40.0.1/24' } },
  });
  const modules = service
    ? [base.call, loki({ ...service, network: base.attach('management') })]
    : [base.call];
  return defineEstate({
    environments: [defineEnvironment({ name: 'lab', description: 'Rename checks.', modules })],
    repository: 'https://example.com/atlas.git',
  });
}

function details(rows: string[]): string {
  return rows
    .map((row) => {
      const failed = report.get(row)?.find((s) => !s.ok);
      return `${row}: ${failed?.what} failed\n${failed?.detail}`;
    })
    .join('\n\n');
}
