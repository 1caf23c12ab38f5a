import { baseInfrastructure } from '@atlas/base';
import {
  ATLANTIS_DATA_DIR,
  adopt,
  atlantisBackendFile,
  atlantisVarFile,
  defineEnvironment,
} from '@atlas/core';
import {
  defineEstate,
  keptVolumes,
  removedStatefulServices,
  renderEstate,
  syncTree,
} from '@atlas/generator';
import { loki } from '@atlas/loki';
import {
  createEngineWorkspace,
  findEngine,
  INCUS_OS_DEFAULTS,
  pem,
  selfSignedCertificate,
  type EngineWorkspace,
  type SimulatedCluster,
} from '@atlas/sim-provider';
import {
  checkCloudInit,
  checkContent,
  hasChecker,
  type CheckerName,
  type CheckerResult,
} from '@atlas/verify';
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CLUSTER01_NODES, CLUSTER01_STORAGE } from './cluster01.js';
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

async function workspace(cluster?: SimulatedCluster): Promise<EngineWorkspace> {
  const ws = await createEngineWorkspace(await scratchDir('atlas-engine-'), engine!, cluster);
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

/** The lab root module in `cwd` keeps its state in `tree`/lab.tfstate (no S3 here). */
function keepStateIn(cwd: string, tree: string): Promise<void> {
  return writeFile(
    join(cwd, 'engine_override.tf'),
    `terraform {\n  backend "local" {\n    path = "${join(tree, 'lab.tfstate')}"\n  }\n}\n`,
  );
}

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
        // As pnpm generate does: warn from the manifest's record, then write files and record.
        const warnings = removedStatefulServices(tree, estate);
        syncTree(tree, { files: renderEstate(estate), volumes: keptVolumes(estate) });
        return warnings;
      };
      const row = 'renames';
      await render(labEstate({ name: 'loki01' }));
      await keepStateIn(cwd, tree);
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
    'adopts a network made before Atlas through an import block: plan imports it, apply, empty re-plan',
    async () => {
      const ws = await workspace();
      // A host where the management bridge was made by hand (incus network create management …).
      ws.seed([
        {
          type: 'incus_network',
          values: {
            name: 'management',
            type: 'bridge',
            description: '',
            managed: true,
            config: { 'ipv4.address': '10.40.0.1/24', 'ipv4.nat': 'true', 'ipv6.address': 'none' },
          },
        },
      ]);
      const row = 'imports';
      const render = async (tree: string, adopted: boolean) => {
        await writeFiles(tree, renderEstate(adoptionEstate(adopted)));
        const cwd = join(tree, 'environments', 'lab');
        await keepStateIn(cwd, tree);
        return cwd;
      };

      // Without the import the apply stops where Incus would: the network is already there.
      const plain = await render(await scratchDir('atlas-imports-plain-'), false);
      expect((await step(row, ws, plain, 'init', ['init', '-no-color'])).ok).toBe(true);
      const clash = await ws.run(plain, ['apply', '-auto-approve', '-no-color']);
      expect(clash.code).toBe(1);
      expect(clash.stderr).toContain('incus_network "management" already exists');

      const cwd = await render(await scratchDir('atlas-imports-'), true);
      expect(await readFile(join(cwd, 'main.tf'), 'utf8')).toContain(
        'import {\n  to = module.base.incus_network.this["management"]\n  id = "management"\n}\n',
      );
      expect((await step(row, ws, cwd, 'init (adopting)', ['init', '-no-color'])).ok).toBe(true);
      const plan = await ws.run(cwd, ['plan', '-out=tfplan', '-no-color']);
      expect(plan.code, plan.stderr).toBe(0);
      expect(plan.stdout).toContain(
        'module.base.incus_network.this["management"] will be imported',
      );
      expect(plan.stdout).toMatch(/Plan: 1 to import, \d+ to add, 0 to change, 0 to destroy\./);
      expect((await step(row, ws, cwd, 'apply', ['apply', '-no-color', 'tfplan'])).ok).toBe(true);
      expect(
        (
          await step(
            row,
            ws,
            cwd,
            're-plan',
            ['plan', '-detailed-exitcode', '-no-color'],
            EMPTY_PLAN,
          )
        ).ok,
      ).toBe(true);
    },
    TIMEOUT_MS,
  );

  it.concurrent(
    'cluster01 operator interface: switches adopt existing state (moved), turn Incus metrics and logging off, outputs have values and descriptions',
    async () => {
      const ws = await workspace();
      const tree = await scratchDir('atlas-switches-');
      await cp(GENERATED, tree, { recursive: true });
      await overrideBackends(tree);
      const cwd = join(tree, 'environments', 'cluster01');
      const row = 'switches cluster01';
      const run = (what: string, args: string[], accept?: (code: number) => boolean) =>
        step(row, ws, cwd, what, [...args, '-no-color'], accept);
      const files = ['main.tf', 'outputs.tf'] as const;
      const current = Object.fromEntries(
        await Promise.all(files.map(async (f) => [f, await readFile(join(cwd, f), 'utf8')])),
      ) as Record<(typeof files)[number], string>;
      // The root module as it was before the switches: the same calls without count or moved.
      const SWITCHED = /(incus_metrics|incus_loki)/.source;
      for (const f of files)
        await writeFile(
          join(cwd, f),
          current[f]
            .replace(
              new RegExp(`# Created only when var\\.enable_${SWITCHED} is true\\.\\n`, 'g'),
              '',
            )
            .replace(new RegExp(` *count *= var\\.enable_${SWITCHED} \\? 1 : 0\\n`, 'g'), '')
            .replace(new RegExp(`\\n# ${SWITCHED} can be switched off now[^]*?\\n}\\n`, 'g'), '')
            .replace(
              new RegExp(`one\\(module\\.${SWITCHED}\\[\\*\\]\\.(\\w+)\\)`, 'g'),
              'module.$1.$2',
            ),
        );
      // (Other moved blocks, e.g. from hyphenated call names, are not the switches' business.)
      expect(await readFile(join(cwd, 'main.tf'), 'utf8')).not.toMatch(
        new RegExp(`count|module\\.${SWITCHED}\\[0\\]`),
      );
      expect((await run('init', ['init'])).ok).toBe(true);
      expect((await run('apply (before)', ['apply', '-auto-approve'])).ok).toBe(true);

      // With the switches (on by default), the existing objects move to index 0: nothing else.
      for (const f of files) await writeFile(join(cwd, f), current[f]);
      const adopted = await ws.run(cwd, ['plan', '-no-color']);
      expect(adopted.code, adopted.stderr).toBe(0);
      expect(adopted.stdout).toContain(
        'module.incus_metrics.incus_certificate.metrics has moved to module.incus_metrics[0].incus_certificate.metrics',
      );
      expect(adopted.stdout).toMatch(
        /# module\.incus_loki\.\S+ has moved to module\.incus_loki\[0\]\./,
      );
      expect(adopted.stdout).not.toMatch(/will be (created|destroyed)|must be replaced/);
      expect((await run('apply (switches on)', ['apply', '-auto-approve'])).ok).toBe(true);

      const outputs = async () =>
        JSON.parse((await ws.run(cwd, ['output', '-json', '-no-color'])).stdout) as Record<
          string,
          { value: unknown }
        >;
      const on = await outputs();
      expect(on.node_exporter_endpoints?.value).toEqual({
        node1: 'http://node-exporter01.incus:9100',
        node2: 'http://node-exporter02.incus:9100',
        node3: 'http://node-exporter03.incus:9100',
      });
      expect(on.alloy_endpoint?.value).toBe('http://alloy01.incus:12345');
      expect(on.alloy_loki_target?.value).toBe('http://192.168.71.10:3100/loki/api/v1/push');
      expect(on.incus_metrics_endpoint?.value).toMatch(/^https:\/\/.+:8443\/1\.0\/metrics$/);
      expect(on.incus_loki_logging_name?.value).toBe('loki01');
      expect(on.forgejo_runner_instances?.value).toEqual(['forgejo-runner01']);
      if (hasChecker('ansible-inventory')) {
        // The generated inventory over this state: every system-container service is a group.
        const listed = spawnSync('ansible-inventory', ['--list'], {
          cwd: join(cwd, 'ansible'),
          env: { ...process.env, ATLAS_TOFU: engine!.path },
          encoding: 'utf8',
          timeout: 120_000,
        });
        expect(listed.status, listed.stderr).toBe(0);
        const inventory = JSON.parse(listed.stdout) as {
          _meta: { hostvars: Record<string, Record<string, unknown>> };
          [group: string]: unknown;
        };
        const groups = Object.fromEntries(
          Object.entries(inventory)
            .filter(([g]) => !['_meta', 'all', 'ungrouped'].includes(g))
            .map(([g, v]) => [g, (v as { hosts: string[] }).hosts]),
        );
        expect(groups).toEqual({
          alertmanager: ['alertmanager01'],
          alloy: ['alloy01'],
          coredns: ['coredns01'],
          forgejo_runner: ['forgejo-runner01'],
          mosquitto: ['mosquitto01'],
          node_exporter: ['node-exporter01', 'node-exporter02', 'node-exporter03'],
          prometheus: ['prometheus01'],
        });
        expect(inventory._meta.hostvars.alertmanager01).toMatchObject({
          ansible_connection: 'community.general.incus',
          ansible_incus_remote: 'cluster01',
          atlas_service: 'alertmanager',
          package_versions: { 'prometheus-alertmanager': '0.28.1+ds-1' },
          data_mount_path: '/var/lib/alertmanager',
        });
        expect(inventory._meta.hostvars['forgejo-runner01']).toMatchObject({
          forgejo_url: 'https://git.accuser.dev',
        });
      }

      // Off: only the switched modules go; Prometheus loses its incus job and keeps running.
      const off = ['-var', 'enable_incus_metrics=false', '-var', 'enable_incus_loki=false'];
      const planOff = await ws.run(cwd, ['plan', '-no-color', '-out=off', ...off]);
      expect(planOff.code, planOff.stderr).toBe(0);
      const destroyed = [...planOff.stdout.matchAll(/# (\S+) will be destroyed/g)].map((m) => m[1]);
      expect(destroyed.length).toBeGreaterThan(0);
      expect(destroyed.filter((a) => !/^module\.incus_(metrics|loki)\[0\]\./.test(a!))).toEqual([]);
      expect(planOff.stdout).toContain('module.prometheus01.incus_instance.this will be updated');
      const shown = JSON.parse((await ws.run(cwd, ['show', '-json', 'off'])).stdout) as {
        configuration: {
          root_module: { outputs: Record<string, { description?: string }> };
        };
      };
      const undescribed = Object.entries(shown.configuration.root_module.outputs)
        .filter(([, o]) => !o.description)
        .map(([name]) => name);
      expect(undescribed).toEqual([]);
      expect((await run('apply (switches off)', ['apply', 'off'])).ok).toBe(true);
      const offOutputs = await outputs();
      expect(offOutputs.incus_metrics_endpoint).toBeUndefined(); // null outputs are left out
      expect(offOutputs.node_exporter_endpoints).toBeDefined();
      expect(
        (await run('re-plan (off)', ['plan', '-detailed-exitcode', ...off], EMPTY_PLAN)).ok,
      ).toBe(true);
    },
    TIMEOUT_MS,
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
      const hyphenated = (text: string) =>
        text
          .replace(/\n# Module calls are named in snake_case[^\n]*\nmoved \{\n[^}]*\}\n/, '')
          .replaceAll('module "loki_01"', 'module "loki-01"')
          .replaceAll('module.loki_01.', 'module.loki-01.');
      // The outputs (Ansible's groups) name the call too.
      const before = new Map(
        [...files].map(([path, text]) => [path, path.endsWith('.tf') ? hyphenated(text) : text]),
      );
      expect(before.get('environments/lab/main.tf')).not.toContain('loki_01');
      expect(before.get('environments/lab/outputs.tf') ?? '').not.toContain('loki_01');
      await writeFiles(tree, before);
      await keepStateIn(cwd, tree);
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
      // Each environment has its own Incus: its own simulated daemon, cluster01's a 3-member
      // cluster whose Ceph pool exists before the first apply.
      const ws = {
        iapetus: await workspace(),
        cluster01: await workspace({
          members: CLUSTER01_NODES,
          sharedPools: [CLUSTER01_STORAGE.pool],
        }),
      };
      // Each starts as IncusOS leaves it: the estate creates its own objects beside those and
      // needs none of them imported (any name it shared with them would fail as "already exists").
      for (const daemon of Object.values(ws)) daemon.seed(INCUS_OS_DEFAULTS);
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

  it.concurrent(
    'runs every atlantis.yaml workflow as Atlantis does: init, plan with the var file on its data volume, apply',
    async () => {
      const root = await scratchDir('atlas-atlantis-');
      await cp(GENERATED, join(root, 'generated'), { recursive: true });
      // Atlantis's data volume, here a folder; the operator fills it as the README's GitOps section says.
      const data = join(root, 'atlantis-data');
      const onVolume = (arg: string) => arg.replaceAll(ATLANTIS_DATA_DIR, data);
      for (const environment of ENVIRONMENTS) {
        const dir = join(root, 'generated', 'environments', environment);
        // The S3 bucket cannot be reached offline: a local backend, configured by the same
        // -backend-config file Atlantis passes (its settings here are a local path).
        await writeFile(join(dir, 'engine_override.tf'), 'terraform {\n  backend "local" {}\n}\n');
        await mkdir(join(data, 'backends'), { recursive: true });
        await writeFile(
          onVolume(atlantisBackendFile(environment)),
          `path = "${join(root, `${environment}.tfstate`)}"\n`,
        );
        await mkdir(join(data, 'vars'), { recursive: true });
        // Its terraform.tfvars (from terraform.tfvars.example), and the bootstrap's own values.
        await writeFile(
          onVolume(atlantisVarFile(environment)),
          await testValues(join(dir, 'terraform.tfvars.example')),
        );
        await writeFile(
          onVolume(atlantisVarFile(`${environment}-bootstrap`)),
          `s3_endpoint = "https://${environment}.example.net:8555"\n`,
        );
      }
      await mkdir(join(data, 'bootstrap'), { recursive: true });
      const config = parseYaml(await readFile(join(GENERATED, '..', 'atlantis.yaml'), 'utf8')) as {
        projects: { name: string; dir: string; workflow: string }[];
        workflows: Record<string, Record<'plan' | 'apply', { steps: WorkflowStep[] }>>;
      };
      const ws = { iapetus: await workspace(), cluster01: await workspace() };
      const failures: string[] = [];
      for (const project of config.projects) {
        const row = `atlantis ${project.name}`;
        const on = ws[project.name.replace(/-bootstrap$/, '') as keyof typeof ws];
        const cwd = join(root, project.dir);
        const planfile = join(cwd, `${project.name}.tfplan`);
        const workflow = config.workflows[project.workflow]!;
        let ok = true;
        for (const s of [...workflow.plan.steps, ...workflow.apply.steps]) {
          if (!ok) break;
          const [name, extra] = typeof s === 'string' ? [s, []] : stepOf(s);
          const args = [...(ATLANTIS_COMMANDS[name]?.(planfile) ?? []), ...extra.map(onVolume)];
          ok = (await step(row, on, cwd, name, [...args, '-no-color'])).ok;
        }
        if (!ok) failures.push(row);
      }
      expect(failures, details(failures)).toEqual([]);

      // The server-side repo config Atlantis was applied with allows what atlantis.yaml sets.
      const iapetus = join(root, 'generated', 'environments', 'iapetus');
      const state = JSON.parse((await ws.iapetus.run(iapetus, ['show', '-json'])).stdout) as {
        values: { root_module: PlannedModule };
      };
      const instance = plannedResources(state.values.root_module).find(
        (r) => r.address === 'module.atlantis01.incus_instance.this',
      );
      const server = JSON.parse(
        (instance?.values.config as Record<string, string>)[
          'environment.ATLANTIS_REPO_CONFIG_JSON'
        ]!,
      ) as { repos: { allowed_overrides: string[]; allow_custom_workflows: boolean }[] };
      const projectKeys = new Set(config.projects.flatMap((p) => Object.keys(p)));
      expect(server.repos[0]!.allowed_overrides.filter((k) => !projectKeys.has(k))).toEqual([]);
      expect(server.repos[0]!.allow_custom_workflows).toBe(true);
      // And the Incus client configuration it reaches both servers with: remotes, pinned certificates.
      const files = new Map(
        (instance!.values.file as { target_path: string; content: string }[]).map((f) => [
          f.target_path,
          f.content,
        ]),
      );
      const client = parseYaml(files.get('/home/atlantis/.config/incus/config.yml')!) as {
        'default-remote': string;
        remotes: Record<string, { addr: string; protocol: string }>;
      };
      expect(client['default-remote']).toBe('iapetus');
      expect(client.remotes.cluster01).toMatchObject({ protocol: 'incus' });
      for (const remote of ENVIRONMENTS)
        expect(files.get(`/home/atlantis/.config/incus/servercerts/${remote}.crt`)).toContain(
          'BEGIN CERTIFICATE',
        );
    },
    TIMEOUT_MS,
  );
});

type WorkflowStep = string | Record<string, { extra_args?: string[] }>;

const stepOf = (s: Exclude<WorkflowStep, string>): [string, string[]] => {
  const [name, options] = Object.entries(s)[0]!;
  return [name, options.extra_args ?? []];
};

/** What Atlantis runs for each built-in step, before the step's extra_args. */
const ATLANTIS_COMMANDS: Record<string, (planfile: string) => string[]> = {
  init: () => ['init', '-input=false'],
  plan: (planfile) => ['plan', '-input=false', '-refresh', '-out', planfile],
  apply: (planfile) => ['apply', '-input=false', planfile],
};

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

/** The lab's management network, adopted (an import block) when `adopted`, else created. */
function adoptionEstate(adopted: boolean) {
  const base = baseInfrastructure({
    mode: 'bridge',
    networks: { management: { ipv4: '10.40.0.1/24' } },
  });
  const imports = adopted
    ? [
        adopt(base.call, 'incus_network.this', {
          key: 'management',
          id: 'management',
          reason:
            'Made by hand before Atlas (incus network create management): adopted, not created.',
        }),
      ]
    : [];
  return defineEstate({
    environments: [
      defineEnvironment({
        name: 'lab',
        description: 'Import checks.',
        modules: [base.call],
        imports,
      }),
    ],
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
