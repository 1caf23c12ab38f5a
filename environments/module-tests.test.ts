import { renderEstate } from '@atlas/generator';
import { describe, expect, it } from 'vitest';
import estate from './index.js';

// The generated tests/module.tftest.hcl of every module (run by `tofu test` in engine.test.ts).
describe('the generated module tests', () => {
  const files = renderEstate(estate);
  const modules = estate.modules.map((def) => def.name);

  it.each(modules)('%s: one run per validation, expecting that variable to fail', (name) => {
    const variables = files.get(`modules/${name}/variables.tf`)!;
    const tests = files.get(`modules/${name}/tests/module.tftest.hcl`)!;
    const validations = [...variables.matchAll(/^variable "([^"]+)" \{[^]*?^\}/gm)].flatMap(
      ([block, variable]) => Array(block.split('\n  validation {').length - 1).fill(variable),
    );
    const rejected = [...tests.matchAll(/^ {2}expect_failures = \[var\.([a-z0-9_]+)\]$/gm)].map(
      ([, variable]) => variable,
    );
    expect(rejected).toEqual(validations);
    expect(tests).toMatch(/^run "defaults" \{\n {2}command = plan\n\}$/m);
  });

  it('turns data persistence and snapshots on and off where a module has them', () => {
    for (const name of modules) {
      const variables = files.get(`modules/${name}/variables.tf`)!;
      const tests = files.get(`modules/${name}/tests/module.tftest.hcl`)!;
      for (const [variable, runs] of [
        ['enable_data_persistence', ['persistence_on', 'persistence_off']],
        ['enable_snapshots', ['snapshots_on', 'snapshots_off']],
      ] as const) {
        for (const run of runs)
          expect(tests.includes(`run "${run}"`), `${name} ${run}`).toBe(
            variables.includes(`variable "${variable}"`),
          );
      }
    }
  });
});
