import { object, ref, str, tpl, tuple } from '@atlas/hcl';
import { describe, expect, it } from 'vitest';
import { expressionReferences } from './references.js';

describe('expressionReferences', () => {
  it('finds references with their position in objects and tuples', () => {
    const expr = tuple([
      object({ name: str('Prometheus'), url: ref('module.prometheus01.endpoint') }),
      object({ url: tpl`${ref('module.loki01.endpoint')}/loki` }),
    ]);
    expect(expressionReferences(expr)).toMatchObject([
      { root: 'module', name: 'prometheus01', path: [0, 'url'] },
      { root: 'module', name: 'loki01', path: [1, 'url'] },
    ]);
  });
});
