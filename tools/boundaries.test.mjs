import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// The layer rules of .dependency-cruiser.cjs, run by the real dependency-cruiser on small
// trees laid out like the repository: each deliberate upward import must be refused.
const repo = join(import.meta.dirname, '..');
const scratch = [];
afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Rule names dependency-cruiser reports for a tree of `files` (path → source). */
function violations(files) {
  const root = mkdtempSync(join(tmpdir(), 'atlas-boundaries-'));
  scratch.push(root);
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), source);
  }
  const run = spawnSync(
    join(repo, 'node_modules/.bin/depcruise'),
    ['--config', join(repo, '.dependency-cruiser.cjs'), '--output-type', 'json', 'packages'],
    { cwd: root, encoding: 'utf8', timeout: 60_000 },
  );
  expect(run.stdout, run.stderr).toMatch(/^\{/);
  const { summary } = JSON.parse(run.stdout);
  return summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
}

const model = {
  'packages/hcl/src/index.ts': 'export const hcl = 1;\n',
  'packages/providers/src/index.ts':
    "import { hcl } from '../../hcl/src/index.js';\nexport const providers = hcl;\n",
  'packages/core/src/index.ts':
    "import { providers } from '../../providers/src/index.js';\nexport const core = providers;\n",
  'packages/incus-service/src/index.ts':
    "import { core } from '../../core/src/index.js';\nexport const service = core;\n",
  'packages/loki/src/index.ts':
    "import { core } from '../../core/src/index.js';\nimport { service } from '../../incus-service/src/index.js';\nexport const loki = [core, service];\n",
  'packages/generator/src/index.ts':
    "import { core } from '../../core/src/index.js';\nexport const generator = core;\n",
  // Tests may render through the generator.
  'packages/loki/src/loki.test.ts':
    "import { generator } from '../../generator/src/index.js';\nexport const t = generator;\n",
};

describe('the one-direction data path', () => {
  it('accepts each layer calling the one below it', () => {
    expect(violations(model)).toEqual([]);
  });

  it('refuses core importing the generator (an upward import)', () => {
    expect(
      violations({
        ...model,
        'packages/core/src/render.ts':
          "import { generator } from '../../generator/src/index.js';\nexport const r = generator;\n",
      }),
    ).toEqual([
      'core-below-services: packages/core/src/render.ts → packages/generator/src/index.ts',
    ]);
  });

  it('refuses core importing the service block, and the service block importing a service or the generator', () => {
    expect(
      violations({
        ...model,
        'packages/core/src/module.ts':
          "import { service } from '../../incus-service/src/index.js';\nexport const m = service;\n",
        'packages/incus-service/src/service.ts':
          "import { loki } from '../../loki/src/index.js';\nimport { generator } from '../../generator/src/index.js';\nexport const s = [loki, generator];\n",
      }),
    ).toEqual([
      'core-below-services: packages/core/src/module.ts → packages/incus-service/src/index.ts',
      'service-block-builds-on-the-model: packages/incus-service/src/service.ts → packages/generator/src/index.ts',
      'service-block-builds-on-the-model: packages/incus-service/src/service.ts → packages/loki/src/index.ts',
    ]);
  });

  it('refuses @atlas/hcl knowing Atlas, a service importing another, and the generator importing a service', () => {
    expect(
      violations({
        ...model,
        'packages/hcl/src/print.ts':
          "import { core } from '../../core/src/index.js';\nexport const p = core;\n",
        'packages/grafana/src/index.ts':
          "import { loki } from '../../loki/src/index.js';\nexport const g = loki;\n",
        'packages/generator/src/estate.ts':
          "import { loki } from '../../loki/src/index.js';\nexport const e = loki;\n",
      }),
    ).toEqual([
      'generator-composes-the-model: packages/generator/src/estate.ts → packages/loki/src/index.ts',
      'hcl-knows-nothing-of-atlas: packages/hcl/src/print.ts → packages/core/src/index.ts',
      'services-build-on-the-model: packages/grafana/src/index.ts → packages/loki/src/index.ts',
    ]);
  });

  it('refuses an import cycle, at run time or through types', () => {
    const found = violations({
      ...model,
      'packages/generator/src/render.ts': "import { s } from './state.js';\nexport const r = s;\n",
      'packages/generator/src/state.ts': "import { r } from './render.js';\nexport const s = r;\n",
      'packages/core/src/module.ts':
        "import type { E } from './environment.js';\nexport type M = E;\n",
      'packages/core/src/environment.ts':
        "import type { M } from './module.js';\nexport type E = M | 1;\n",
    });
    expect(found).toContain(
      'no-circular: packages/generator/src/render.ts → packages/generator/src/state.ts',
    );
    expect(found).toContain(
      'no-circular-types: packages/core/src/environment.ts → packages/core/src/module.ts',
    );
    // A cycle of type imports only is not a run-time one.
    expect(found.filter((v) => v.startsWith('no-circular:'))).toEqual([
      'no-circular: packages/generator/src/render.ts → packages/generator/src/state.ts',
    ]);
  });
});
