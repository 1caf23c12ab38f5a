import { renderEstate, renderRepositoryFiles } from '@atlas/generator';
import { describe, expect, it } from 'vitest';
import { atlasEstate } from './index.js';

describe('secrets', () => {
  it('every sensitive module input comes from a sensitive root variable, never a literal', () => {
    const estate = atlasEstate();
    for (const env of estate.environments) {
      const roots = new Map(env.variables.map((v) => [v.name, v]));
      for (const call of env.modules) {
        for (const [name, value] of call.args) {
          if (!call.definition.variables[name]?.sensitive) continue;
          const where = `${env.name}.${call.name}.${name}`;
          // A module output (e.g. the incus-metrics key, through one() when its call is
          // switched) is also fine: it never is a literal.
          const read =
            value.kind === 'call' && value.name === 'one' && value.args.length === 1
              ? value.args[0]!
              : value;
          expect(read.kind, where).toBe('traversal');
          if (read !== value) expect(read.kind === 'traversal' && read.root, where).toBe('module');
          if (value.kind === 'traversal' && value.root === 'var') {
            const step = value.steps[0];
            const variable = step && 'attr' in step ? roots.get(step.attr) : undefined;
            expect(variable?.spec.sensitive, where).toBe(true);
            expect(
              variable && 'default' in variable.spec ? variable.spec.default : undefined,
              where,
            ).not.toSatisfy((d: unknown) => typeof d === 'string' && d.length > 0);
          }
        }
      }
    }
  });

  it("a canary secret in the operator's environment never reaches a generated file", () => {
    const canary = 'canary-7f3c9e1d-do-not-leak';
    const saved = { ...process.env };
    try {
      for (const name of [
        'TF_VAR_grafana01_admin_password',
        'TF_VAR_step_ca01_password',
        'ATLANTIS_GH_TOKEN',
      ]) {
        process.env[name] = canary;
      }
      const estate = atlasEstate();
      const files = [...renderEstate(estate), ...renderRepositoryFiles(estate)];
      for (const [path, content] of files) expect(content.includes(canary), path).toBe(false);
    } finally {
      process.env = saved;
    }
  });
});
