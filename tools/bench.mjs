// pnpm bench: how long a cold `generate` takes, against a floor that only
// writes the same bytes. Each run is a fresh node process (cold caches, module
// loading included); medians of several runs are reported.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs `node -e script` and returns the milliseconds it reported on stdout. */
function timed(script, cwd) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop());
}

const atlasRun = (estateExpr, outDir) => `
  const t0 = performance.now();
  const { renderEstate, writeTree } = await import('@atlas/generator');
  ${estateExpr}
  const t1 = performance.now();
  const files = renderEstate(estate);
  const t2 = performance.now();
  await writeTree(${JSON.stringify(outDir)}, files);
  const t3 = performance.now();
  console.log(JSON.stringify({ total: t3 - t0, load: t1 - t0, render: t2 - t1, write: t3 - t2, files: files.size, bytes: [...files.values()].reduce((n, s) => n + Buffer.byteLength(s), 0) }));
`;

const floorRun = (manifest, outDir) => `
  const t0 = performance.now();
  const { mkdirSync, readFileSync, writeFileSync } = await import('node:fs');
  const { dirname, join } = await import('node:path');
  const files = JSON.parse(readFileSync(${JSON.stringify(manifest)}, 'utf8'));
  for (const [path, content] of files) {
    const target = join(${JSON.stringify(outDir)}, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, content);
  }
  console.log(JSON.stringify({ total: performance.now() - t0 }));
`;

const cases = [
  {
    name: 'repository estate',
    estate: `const estate = (await import(${JSON.stringify(join(here, '../environments/dist/index.js'))})).default;`,
  },
  ...[20, 200, 2000].map((n) => ({
    name: `synthetic ${n} services`,
    estate: `const estate = (await import(${JSON.stringify(join(here, 'bench-estate.mjs'))})).syntheticEstate(${n});`,
  })),
];

const rows = [];
for (const c of cases) {
  const work = mkdtempSync(join(tmpdir(), 'atlas-bench-'));
  try {
    const manifest = join(work, 'files.json');
    const dump = timed(
      `${c.estate.replace('const estate', 'globalThis.estate')}
       const { renderEstate } = await import('@atlas/generator');
       const { writeFileSync } = await import('node:fs');
       writeFileSync(${JSON.stringify(manifest)}, JSON.stringify([...renderEstate(globalThis.estate)]));
       console.log('0');`,
      here,
    );
    void dump;
    const atlas = [];
    const floor = [];
    for (let i = 0; i < RUNS; i++) {
      atlas.push(timed(atlasRun(c.estate, join(work, `atlas-${i}`)), here));
      floor.push(timed(floorRun(manifest, join(work, `floor-${i}`)), work).total);
    }
    const m = (k) => median(atlas.map((r) => r[k]));
    rows.push({
      case: c.name,
      files: atlas[0].files,
      KiB: Math.round(atlas[0].bytes / 1024),
      'atlas ms': m('total').toFixed(1),
      'load ms': m('load').toFixed(1),
      'render ms': m('render').toFixed(1),
      'write ms': m('write').toFixed(1),
      'floor ms': median(floor).toFixed(1),
      ratio: (m('total') / median(floor)).toFixed(2),
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
console.log(
  `Median of ${RUNS} cold runs per case (fresh node process each; "floor" writes the same bytes from JSON).`,
);
console.table(rows);
