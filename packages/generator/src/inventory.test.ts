import { hasChecker, runChecker } from '@atlas/verify';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { ansibleInventory, tofuOutputsSchema } from './inventory.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'tofu-output.json');
const fixture = async () => tofuOutputsSchema.parse(JSON.parse(await readFile(FIXTURE, 'utf8')));

describe('ansibleInventory', () => {
  it('makes a group per <group>_instances output with host variables and the Incus connection', async () => {
    const inventory = ansibleInventory(await fixture());
    expect(inventory.forgejo_runner).toEqual({ hosts: ['runner01', 'runner02'], vars: {} });
    expect(inventory.all).toEqual({ children: ['ungrouped', 'forgejo_runner'] });
    expect(inventory._meta.hostvars.runner01).toEqual({
      ansible_connection: 'community.general.incus',
      ansible_incus_remote: 'cluster01',
      ansible_python_interpreter: '/usr/bin/python3',
      forgejo_url: 'https://git.example.com',
      runner_labels: ['debian-trixie:docker://debian:trixie', 'host:host'],
      runner_name: 'runner01',
      runner_version: '6.3.1',
    });
    // Outputs that are not an Ansible hand-off stay out, sensitive ones included.
    expect(JSON.stringify(inventory)).not.toContain('not-a-real-secret');
  });

  it('atlas inventory rejects input that is not tofu output -json, naming the path', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'atlas-inventory-'));
    try {
      const bad = join(dir, 'bad.json');
      await writeFile(
        bad,
        JSON.stringify({ forgejo_runner_instances: { value: 'runner01' }, x: 1 }),
      );
      const lines: string[] = [];
      const logger = { log: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
      expect(await main(['inventory', '--file', bad], logger)).toBe(2);
      expect(lines.join('\n')).toContain('tofu output -json.x: ');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasChecker('ansible-inventory'))(
    'produces inventory that ansible-inventory --list accepts',
    async () => {
      const dir = await mkdtemp(join(tmpdir(), 'atlas-inventory-'));
      try {
        const script = join(dir, 'inventory.sh');
        const bin = join(import.meta.dirname, 'bin.ts');
        await writeFile(
          script,
          `#!/bin/sh\n[ "$1" = "--list" ] || { echo '{}'; exit 0; }\nexec "${process.execPath}" --import tsx --conditions=@atlas/source "${bin}" inventory --file "${FIXTURE}"\n`,
        );
        await chmod(script, 0o755);
        const result = runChecker('ansible-inventory', ['--list', '-i', script], {
          cwd: import.meta.dirname,
        });
        expect(result.stderr).not.toMatch(/\[WARNING\]: (Unable to parse|No inventory was parsed)/);
        expect(result.status).toBe(0);
        const listed = JSON.parse(result.stdout);
        expect(listed.forgejo_runner.hosts).toEqual(['runner01', 'runner02']);
        expect(listed._meta.hostvars.runner02).toMatchObject({
          ansible_incus_remote: 'cluster01',
          runner_name: 'runner02',
        });
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );
});
