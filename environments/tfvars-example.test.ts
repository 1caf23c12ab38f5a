import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const GENERATED = join(import.meta.dirname, '..', 'generated');
const TERRAFORM = ['/usr/local/bin/terraform', '/usr/bin/terraform'].find((p) => existsSync(p));

/*
 * The real program evaluates the variables' own validations: an environment's
 * variables.tf alone is a root module with no providers, so `terraform plan`
 * runs offline and checks each value the tfvars file gives.
 */
function plan(dir: string, varFile: string) {
  const run = (args: string[]) =>
    spawnSync(TERRAFORM!, args, {
      cwd: dir,
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, TF_IN_AUTOMATION: '1', CHECKPOINT_DISABLE: '1' },
    });
  const init = run(['init', '-backend=false', '-input=false', '-no-color']);
  expect(init.status, init.stderr).toBe(0);
  return run(['plan', '-input=false', '-no-color', '-lock=false', `-var-file=${varFile}`]);
}

describe.skipIf(TERRAFORM === undefined)('terraform.tfvars.example', () => {
  for (const env of ['iapetus', 'cluster01']) {
    it(`${env}: an unfilled copy fails the variables' validations, one error per placeholder; filled in, it passes`, async () => {
      const dir = await mkdtemp(join(tmpdir(), `atlas-tfvars-${env}-`));
      try {
        await copyFile(
          join(GENERATED, 'environments', env, 'variables.tf'),
          join(dir, 'variables.tf'),
        );
        const example = await readFile(
          join(GENERATED, 'environments', env, 'terraform.tfvars.example'),
          'utf8',
        );
        await writeFile(join(dir, 'copied.tfvars'), example);
        const placeholders = example.match(/^\w+ = "<[^"\n]*>"$/gm) ?? [];
        expect(placeholders.length).toBeGreaterThan(0);

        const unfilled = plan(dir, 'copied.tfvars');
        expect(unfilled.status).toBe(1);
        const refused = unfilled.stderr.match(
          /Still the placeholder from terraform\.tfvars\.example/g,
        );
        expect(refused?.length, unfilled.stderr).toBe(placeholders.length);

        // Every "<…>" replaced by a value that meets the other rules too (64
        // hexadecimal digits: long enough for a password, a SHA-256 fingerprint;
        // an https URL behind them for a *_url variable).
        const hex = 'ab12'.repeat(16);
        await writeFile(
          join(dir, 'filled.tfvars'),
          example
            .replace(/^(\w+_url) = "<[^"\n]*>"$/gm, `$1 = "https://hooks.example.com/${hex}"`)
            .replace(/"<[^"\n]*>"/g, `"${hex}"`),
        );
        const filled = plan(dir, 'filled.tfvars');
        expect(filled.status, filled.stderr).toBe(0);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
