import { ansibleInventory, renderEstate, tofuOutputsSchema, writeTree } from '@atlas/generator';
import { hasChecker } from '@atlas/verify';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import estate from './index.js';

const FIXTURE = join(
  import.meta.dirname,
  '..',
  'packages',
  'generator',
  'src',
  'fixtures',
  'tofu-output.json',
);

describe.skipIf(!hasChecker('ansible-inventory'))(
  "cluster01's ansible/ folder with the real ansible-inventory, Python and a tofu that prints a sample output -json",
  () => {
    let scratch: string;
    let ansibleDir: string;
    let env: NodeJS.ProcessEnv;

    beforeAll(async () => {
      scratch = await mkdtemp(join(tmpdir(), 'atlas-ansible-'));
      await writeTree(join(scratch, 'generated'), renderEstate(estate));
      ansibleDir = join(scratch, 'generated', 'environments', 'cluster01', 'ansible');
      // Stands in for tofu on the Ansible host: answers `output -json` for the
      // environment folder the script must name, and nothing else.
      const bin = join(scratch, 'bin');
      await mkdir(bin);
      const expected = join(scratch, 'generated', 'environments', 'cluster01');
      await writeFile(
        join(bin, 'tofu'),
        `#!/bin/sh\n[ "$1" = "-chdir=${expected}" ] && [ "$2 $3" = "output -json" ] || { echo "unexpected: $*" >&2; exit 1; }\nexec cat "${FIXTURE}"\n`,
      );
      await chmod(join(bin, 'tofu'), 0o755);
      // No node, pnpm or repository on PATH: only the stand-in tofu and the system.
      env = { PATH: [bin, '/usr/local/bin', '/usr/bin', '/bin'].join(delimiter), HOME: scratch };
    });
    afterAll(() => rm(scratch, { recursive: true, force: true }));

    const run = (args: string[], cwd: string) =>
      spawnSync('ansible-inventory', args, { cwd, env, encoding: 'utf8', timeout: 120_000 });

    it('inventory.py gives ansible-inventory the same inventory as atlas inventory', async () => {
      const result = run(['-i', join(ansibleDir, 'inventory.py'), '--list'], scratch);
      expect(result.stderr).not.toMatch(/\[WARNING\]: (Unable to parse|No inventory was parsed)/);
      expect(result.status, result.stderr).toBe(0);
      const listed = JSON.parse(result.stdout);
      const fromNode = ansibleInventory(
        tofuOutputsSchema.parse(JSON.parse(await readFile(FIXTURE, 'utf8'))),
      );
      expect(listed.forgejo_runner.hosts).toEqual(['runner01', 'runner02']);
      expect(listed._meta.hostvars).toEqual(fromNode._meta.hostvars);
      expect(listed._meta.hostvars.runner01.ansible_connection).toBe('community.general.incus');
    });

    it('ansible.cfg in the folder makes it the default inventory', () => {
      const result = run(['--list'], ansibleDir);
      expect(result.status, result.stderr).toBe(0);
      expect(Object.keys(JSON.parse(result.stdout)._meta.hostvars)).toEqual([
        'runner01',
        'runner02',
      ]);
      const config = spawnSync('ansible-config', ['dump', '--only-changed'], {
        cwd: ansibleDir,
        env,
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(config.stdout).toMatch(/DEFAULT_HOST_LIST\(.*ansible\.cfg\) = \[.*inventory\.py'\]/);
    });

    it("ansible.cfg caches facts per environment, beside itself, as the seeds' hybrid pattern does", async () => {
      const config = spawnSync('ansible-config', ['dump', '--only-changed'], {
        cwd: scratch,
        env: { ...env, ANSIBLE_CONFIG: join(ansibleDir, 'ansible.cfg') },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(config.status, config.stderr).toBe(0);
      const changed = (key: string) =>
        new RegExp(`^${key}\\(.*ansible\\.cfg\\) = (.*)$`, 'm').exec(config.stdout)?.[1];
      expect(changed('DEFAULT_GATHERING')).toBe('smart');
      expect(changed('CACHE_PLUGIN')).toBe('jsonfile');
      expect(changed('CACHE_PLUGIN_CONNECTION')).toBe('.ansible_cache');
      expect(changed('CACHE_PLUGIN_TIMEOUT')).toBe('86400');

      // A play run from elsewhere caches in the environment's folder; the next run's smart
      // gathering reads the cache instead of gathering again (the doctored fact shows it).
      const play = join(scratch, 'facts.yml');
      await writeFile(
        play,
        '- hosts: all\n  tasks:\n    - debug: { msg: "fqdn={{ ansible_facts.fqdn }}" }\n',
      );
      const playbook = () =>
        spawnSync('ansible-playbook', ['-i', 'localhost,', '-c', 'local', play], {
          cwd: scratch,
          env: { ...env, ANSIBLE_CONFIG: join(ansibleDir, 'ansible.cfg') },
          encoding: 'utf8',
          timeout: 120_000,
        });
      const first = playbook();
      expect(first.status, first.stderr + first.stdout).toBe(0);
      const cached = join(ansibleDir, '.ansible_cache', 'localhost');
      const facts = JSON.parse(await readFile(cached, 'utf8')) as Record<string, unknown>;
      expect(facts.ansible_fqdn).toEqual(expect.any(String));
      await writeFile(cached, JSON.stringify({ ...facts, ansible_fqdn: 'from-the-cache.example' }));
      const second = playbook();
      expect(second.status, second.stderr + second.stdout).toBe(0);
      expect(second.stdout).toContain('fqdn=from-the-cache.example');
      expect(second.stdout).not.toContain('TASK [Gathering Facts]');
      // The environment's own .gitignore keeps the cache out of a commit.
      const git = (args: string[]) =>
        spawnSync('git', args, { cwd: scratch, env, encoding: 'utf8', timeout: 30_000 });
      expect(git(['init', '-q']).status).toBe(0);
      expect(git(['check-ignore', '-q', cached]).status).toBe(0);
    });

    it('refuses output that is not an inventory hand-off, naming the output, with exit 2', async () => {
      const bad = join(scratch, 'bad.json');
      await writeFile(bad, JSON.stringify({ forgejo_runner_instances: { value: 'runner01' } }));
      const script = join(ansibleDir, 'inventory.py');
      const result = spawnSync('python3', [script, '--list'], {
        env: { ...env, ATLAS_TOFU: join(scratch, 'bin', 'bad-tofu') },
        encoding: 'utf8',
      });
      expect(result.status).toBe(2);
      expect(result.stderr).toContain('inventory.py: could not run');
      await writeFile(join(scratch, 'bin', 'bad-tofu'), `#!/bin/sh\nexec cat "${bad}"\n`);
      await chmod(join(scratch, 'bin', 'bad-tofu'), 0o755);
      const again = spawnSync('python3', [script, '--list'], {
        env: { ...env, ATLAS_TOFU: join(scratch, 'bin', 'bad-tofu') },
        encoding: 'utf8',
      });
      expect(again.status).toBe(2);
      expect(again.stderr).toBe(
        'inventory.py: tofu output -json.forgejo_runner_instances.value: expected a list of instance names\n',
      );
    });

    it('requirements.yml asks for the community.general release that has the incus connection', async () => {
      const requirements = parseYaml(await readFile(join(ansibleDir, 'requirements.yml'), 'utf8'));
      expect(requirements.collections).toEqual([{ name: 'community.general', version: '>=8.2.0' }]);
    });
  },
);
