import type { NetworkAttachment } from '@atlas/core';
import { renderModules, writeTree } from '@atlas/generator';
import { str } from '@atlas/hcl';
import { previewModule, previewModuleCall } from '@atlas/preview';
import { checkCloudInit, hasChecker, summarizeModule, verifyTree } from '@atlas/verify';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  DEFAULT_RUNNER_VERSION,
  forgejoRunner,
  forgejoRunnerConfigSchema,
  forgejoRunnerModule,
  type ForgejoRunnerConfig,
} from './index.js';

const network: NetworkAttachment = {
  kind: 'network-attachment',
  role: 'management',
  mode: 'bridge',
  profiles: [str('container-base'), str('management-network')],
  network: str('management'),
};

const config: ForgejoRunnerConfig = {
  network,
  forgejoUrl: 'https://forgejo.example.com',
  labels: ['docker:docker://node:20-bookworm', 'self-hosted:host'],
};

const inputs = {
  profiles: ['container-base', 'management-network'],
  forgejo_url: 'https://forgejo.example.com',
  runner_labels: ['docker:docker://node:20-bookworm', 'self-hosted:host'],
};

const ANSIBLE_DIR = join(import.meta.dirname, '..', 'ansible');
const ROLE_DIR = join(ANSIBLE_DIR, 'roles/forgejo_runner');

/** Whether a program is on PATH; in CI a missing one fails instead of skipping. */
function installed(program: string, debianPackage: string): boolean {
  if (spawnSync('which', [program]).status === 0) return true;
  if (process.env.CI)
    throw new Error(`${program} is required in CI: install Debian's ${debianPackage}`);
  return false;
}

describe('defaults', () => {
  it('sizes a runner at 2 CPUs, 2GB and a 10GB root disk, with the cache volume off', () => {
    expect(forgejoRunnerConfigSchema.parse(config)).toMatchObject({
      name: 'forgejo-runner01',
      profileName: 'forgejo-runner',
      image: 'images:debian/trixie/cloud',
      cpu: 2,
      memory: '2GB',
      rootDiskSize: '10GB',
      version: DEFAULT_RUNNER_VERSION,
      data: { enabled: false, size: '10GB', snapshots: { schedule: '@weekly', expiry: '1w' } },
    });
  });

  it('writes the data volume into the call only when it is turned on', () => {
    expect(forgejoRunner(config).args.has('enable_data_persistence')).toBe(false);
    const withCache = forgejoRunner({ ...config, data: { enabled: true } });
    expect(withCache.args.get('enable_data_persistence')).toMatchObject({ value: true });
    expect(previewModuleCall(withCache).resources['incus_profile.service']?.device).toContainEqual({
      name: 'data',
      type: 'disk',
      properties: {
        source: 'forgejo-runner01-data',
        pool: 'local',
        path: '/var/lib/forgejo-runner/cache',
      },
    });
  });
});

describe('validation, in zod and in the generated module', () => {
  const builderError = (patch: Partial<ForgejoRunnerConfig>) => {
    try {
      forgejoRunner({ ...config, ...patch });
    } catch (e) {
      return (e as Error).message;
    }
    return 'accepted';
  };

  it.each([
    [
      'Forgejo URL',
      { forgejoUrl: 'http://forgejo.example.com' },
      { forgejo_url: 'http://forgejo.example.com' },
      'forgejo-runner01.forgejoUrl: expected an https URL',
      'var.forgejo_url: Must be an https URL',
    ],
    [
      'label',
      { labels: ['ubuntu-latest'] },
      { runner_labels: ['ubuntu-latest'] },
      'forgejo-runner01.labels[0]: expected a label such as "docker:docker://node:20-bookworm"',
      'var.runner_labels: Each label must be a label such as "docker:docker://node:20-bookworm"',
    ],
    [
      'empty label list',
      { labels: [] },
      { runner_labels: [] },
      'forgejo-runner01.labels: expected at least one label',
      'var.runner_labels: List at least one label.',
    ],
    [
      'repeated label name',
      { labels: ['a:host', 'a:docker://debian:trixie'] },
      { runner_labels: ['a:host', 'a:docker://debian:trixie'] },
      'forgejo-runner01.labels[1]: label name "a" is used twice',
      'var.runner_labels: Label names (before the first ":") must be unique.',
    ],
    [
      'version',
      { version: 'v12.8.2' },
      { runner_version: 'v12.8.2' },
      'forgejo-runner01.version: expected a release version such as 12.8.2',
      'var.runner_version: Must be a release version such as 12.8.2',
    ],
    [
      'runner name',
      { runnerName: 'my runner' },
      { runner_name: 'my runner' },
      'forgejo-runner01.runnerName: expected a runner name',
      'var.runner_name: Must be a runner name',
    ],
    [
      'root disk size',
      { rootDiskSize: '10G' },
      { root_disk_size: '10G' },
      'forgejo-runner01.rootDiskSize: expected a size such as 512MB or 2GiB',
      'var.root_disk_size: Must be a size such as 512MB or 2GiB',
    ],
  ])('rejects a bad %s', (_, patch, modulePatch, zodMessage, hclMessage) => {
    expect(builderError(patch as Partial<ForgejoRunnerConfig>)).toContain(zodMessage);
    expect(
      previewModule(forgejoRunnerModule, { ...inputs, ...modulePatch }).validationErrors.join('\n'),
    ).toContain(hclMessage);
  });
});

describe('the OpenTofu side of the hybrid pattern', () => {
  const preview = previewModuleCall(forgejoRunner({ ...config, runnerName: 'ci-runner-1' }));

  it('boots with Python for Ansible and nothing else', () => {
    expect(preview.validationErrors).toEqual([]);
    expect(parse(preview.cloudInit ?? '')).toEqual({
      package_update: true,
      packages: ['python3', 'python3-apt'],
    });
    expect(preview.files.size).toBe(0);
  });

  it('turns on nesting for Docker-backed labels only', () => {
    const docker = {
      'security.nesting': 'true',
      'security.syscalls.intercept.mknod': 'true',
      'security.syscalls.intercept.setxattr': 'true',
    };
    expect(preview.instanceConfig).toMatchObject(docker);
    const hostOnly = previewModule(forgejoRunnerModule, {
      ...inputs,
      runner_labels: ['self-hosted:host'],
    });
    expect(hostOnly.instanceConfig).toMatchObject({ 'security.nesting': 'false' });
  });

  it('outputs ansible_vars and offers them as an Ansible host of the forgejo_runner group', () => {
    expect(preview.outputs.ansible_vars).toEqual({
      forgejo_url: 'https://forgejo.example.com',
      runner_labels: ['docker:docker://node:20-bookworm', 'self-hosted:host'],
      runner_version: DEFAULT_RUNNER_VERSION,
      runner_name: 'ci-runner-1',
    });
    expect(previewModule(forgejoRunnerModule, inputs).outputs.ansible_vars).toMatchObject({
      runner_name: 'forgejo-runner01',
    });
    const runner = forgejoRunner(config);
    expect(runner.ansible).toEqual({
      group: 'forgejo_runner',
      host: runner.outputs.instance_name,
      vars: runner.outputs.ansible_vars,
    });
  });

  it.skipIf(!hasChecker('cloud-init'))('user-data passes cloud-init schema', () => {
    const result = checkCloudInit(preview.cloudInit ?? '');
    expect(result.stderr + result.stdout).not.toMatch(/invalid|error/i);
    expect(result.status).toBe(0);
  });
});

describe('the generated module', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'atlas-forgejo-runner-'));
    await writeTree(join(dir, 'generated'), renderModules([forgejoRunnerModule]));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('passes every check of @atlas/verify', async () => {
    expect(await verifyTree(dir)).toEqual([]);
  });

  it('outputs instance_name and ansible_vars, and has no proxy devices', async () => {
    const summary = await summarizeModule(join(dir, 'generated/modules/forgejo-runner'));
    expect(summary.outputs).toEqual(expect.arrayContaining(['ansible_vars', 'instance_name']));
    expect(summary.variables.forgejo_url).toEqual({ required: true, sensitive: false });
    expect(summary.variables).not.toHaveProperty('proxy_devices');
  });
});

describe('the Ansible side', () => {
  const yamlFiles = (function walk(dir: string): string[] {
    return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory()
        ? walk(join(dir, e.name))
        : e.name.endsWith('.yml')
          ? [join(dir, e.name)]
          : [],
    );
  })(ANSIBLE_DIR);

  it('ships the role and playbook as YAML that parses', () => {
    expect(yamlFiles.map((f) => relative(ANSIBLE_DIR, f)).sort()).toEqual([
      'playbooks/forgejo-runner.yml',
      'roles/forgejo_runner/defaults/main.yml',
      'roles/forgejo_runner/handlers/main.yml',
      'roles/forgejo_runner/tasks/configure.yml',
      'roles/forgejo_runner/tasks/install.yml',
      'roles/forgejo_runner/tasks/main.yml',
      'roles/forgejo_runner/tasks/register.yml',
      'roles/forgejo_runner/tasks/service.yml',
    ]);
    for (const file of yamlFiles)
      expect(() => parse(readFileSync(file, 'utf8')), file).not.toThrow();
  });

  it('registers only when /etc/forgejo-runner/.runner is missing, with the token from the environment', () => {
    const tasks = parse(readFileSync(join(ROLE_DIR, 'tasks/register.yml'), 'utf8')) as Array<
      Record<string, any>
    >;
    expect(tasks[0]).toMatchObject({
      'ansible.builtin.stat': { path: '{{ forgejo_runner_config_dir }}/.runner' },
    });
    const register = tasks[1];
    expect(register?.when).toBe('not forgejo_runner_registration.stat.exists');
    const command = register?.block[1]['ansible.builtin.command'];
    expect(command.creates).toBe('{{ forgejo_runner_config_dir }}/.runner');
    expect(command.argv).toContain("{{ lookup('ansible.builtin.env', forgejo_runner_token_env) }}");
    expect(register?.block[1].no_log).toBe(true);
    const defaults = parse(readFileSync(join(ROLE_DIR, 'defaults/main.yml'), 'utf8'));
    expect(defaults).toMatchObject({
      forgejo_runner_token_env: 'FORGEJO_RUNNER_TOKEN',
      forgejo_runner_config_dir: '/etc/forgejo-runner',
      forgejo_runner_cache_dir: '/var/lib/forgejo-runner/cache',
    });
  });

  it.skipIf(!installed('ansible-playbook', 'ansible'))(
    'passes ansible-playbook --syntax-check',
    () => {
      const result = spawnSync(
        'ansible-playbook',
        ['--syntax-check', '-i', 'localhost,', join(ANSIBLE_DIR, 'playbooks/forgejo-runner.yml')],
        { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } },
      );
      expect(result.stderr).not.toMatch(/ERROR/);
      expect(result.status).toBe(0);
    },
  );

  describe.skipIf(!installed('ansible-playbook', 'ansible'))(
    'templates rendered by Ansible',
    () => {
      let out: string;
      beforeAll(() => {
        out = mkdtempSync(join(tmpdir(), 'atlas-forgejo-ansible-'));
        // A stand-in binary, so systemd can check the unit's ExecStart.
        const stub = join(out, 'forgejo-runner');
        writeFileSync(stub, '#!/bin/sh\n');
        chmodSync(stub, 0o755);
        const vars = {
          ...(previewModule(forgejoRunnerModule, inputs).outputs.ansible_vars as object),
          forgejo_runner_binary: stub,
        };
        const play = [
          {
            hosts: 'localhost',
            gather_facts: false,
            vars_files: [join(ROLE_DIR, 'defaults/main.yml')],
            tasks: ['config.yaml', 'forgejo-runner.service'].map((name) => ({
              'ansible.builtin.template': {
                src: join(ROLE_DIR, `templates/${name}.j2`),
                dest: join(out, name),
                mode: '0644',
              },
            })),
          },
        ];
        writeFileSync(join(out, 'render.yml'), JSON.stringify(play));
        writeFileSync(join(out, 'vars.json'), JSON.stringify(vars));
        const result = spawnSync(
          'ansible-playbook',
          [
            '-i',
            'localhost,',
            '-c',
            'local',
            '-e',
            `@${join(out, 'vars.json')}`,
            join(out, 'render.yml'),
          ],
          { encoding: 'utf8', env: { ...process.env, ANSIBLE_NOCOLOR: '1' } },
        );
        expect(result.stdout + result.stderr).not.toMatch(/FAILED|ERROR/);
        expect(result.status).toBe(0);
      });
      afterAll(() => rmSync(out, { recursive: true, force: true }));

      it('config.yaml carries the labels from OpenTofu and the registration file', () => {
        expect(parse(readFileSync(join(out, 'config.yaml'), 'utf8'))).toMatchObject({
          runner: {
            file: '/etc/forgejo-runner/.runner',
            capacity: 1,
            labels: ['docker:docker://node:20-bookworm', 'self-hosted:host'],
          },
          cache: { enabled: true, dir: '/var/lib/forgejo-runner/cache' },
          host: { workdir_parent: '/var/lib/forgejo-runner/workdir' },
        });
      });

      it.skipIf(!installed('systemd-analyze', 'systemd'))(
        'the unit passes systemd-analyze verify',
        () => {
          const unit = join(out, 'forgejo-runner.service');
          expect(readFileSync(unit, 'utf8')).toMatch(/^Requires=docker\.service$/m);
          // Docker's own unit comes with its package; a stand-in lets systemd resolve the dependency.
          const docker = join(out, 'docker.service');
          writeFileSync(docker, `[Service]\nExecStart=${join(out, 'forgejo-runner')}\n`);
          const result = spawnSync('systemd-analyze', ['verify', docker, unit], {
            encoding: 'utf8',
          });
          expect(result.stderr).toBe('');
          expect(result.status).toBe(0);
        },
      );
    },
  );
});
