// pnpm bench: time what users run, as whole processes, against floors that do
// the least the same job could do. One interleaved run: every round runs each
// command once, then its floor, so a machine that speeds up or slows down part
// way through affects both sides alike. Medians, ratios and peak RSS (from
// GNU time, the largest single process) are printed. A benchmark, not a test:
// nothing here passes or fails on a number.
//
//   BENCH_RUNS=5             rounds (20,000 services: at most 3)
//   BENCH_SIZES=20,200,2000,20000
//   BENCH_REPO=DIR           benchmark another checkout (e.g. an older commit)
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(process.env.BENCH_REPO ?? join(here, '..'));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '20,200,2000,20000').split(',').map(Number);
const TIME = '/usr/bin/time';
const hasTime = existsSync(TIME);

/** cdktf's HCL synth of the same service counts, from issue 13 (cdktf is not installed here). */
const CDKTF_MS = { 20: 240, 200: 470, 2000: 2550 };

const work = mkdtempSync(join(tmpdir(), 'atlas-bench-'));
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Run a command once: wall and CPU (user + system) milliseconds, peak RSS in KiB (largest process of the tree). */
function measure({ command, args, cwd, env }) {
  const rssFile = join(work, 'rss');
  const [file, argv] = hasTime
    ? [TIME, ['-f', '%M %U %S', '-o', rssFile, command, ...args]]
    : [command, args];
  const t0 = performance.now();
  const result = spawnSync(file, argv, {
    cwd,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  const ms = performance.now() - t0;
  if (result.status !== 0)
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) exited ${result.status}:\n${result.stdout}${result.stderr}`,
    );
  const [rss, user, sys] = hasTime
    ? readFileSync(rssFile, 'utf8').trim().split('\n').pop().split(' ').map(Number)
    : [NaN, NaN, NaN];
  return { ms, rss, cpu: (user + sys) * 1000 };
}

/** Every file under `root` (and extra single files), as [relative path, content, mode]. */
function snapshot(root, extra = []) {
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else
        out.push([relative(root, full), readFileSync(full, 'utf8'), statSync(full).mode & 0o777]);
    }
  };
  walk(root);
  for (const file of extra)
    out.push([relative(root, file), readFileSync(file, 'utf8'), statSync(file).mode & 0o777]);
  return out;
}

const FLOOR_WRITER = join(work, 'floor-writer.mjs');
writeFileSync(
  FLOOR_WRITER,
  `// The floor: read the files' bytes from one JSON file and write them, nothing else.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
const [manifest, out] = process.argv.slice(2);
for (const [path, content, mode] of JSON.parse(readFileSync(manifest, 'utf8'))) {
  const target = join(out, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content, { mode });
}
`,
);

/** A floor that writes the bytes of `files` into a fresh folder each run. */
function floorWriter(name, files) {
  const manifest = join(work, `${name}.json`);
  writeFileSync(manifest, JSON.stringify(files));
  let run = 0;
  return () => ({
    command: process.execPath,
    args: [FLOOR_WRITER, manifest, join(work, `${name}-floor-${run++}`)],
    cwd: work,
  });
}

const nodeBare = () => ({ command: process.execPath, args: ['-e', '0'], cwd: repo });
// Cold: an empty cache folder each run. `pnpm generate` keeps its bundles in
// ATLAS_GENERATE_CACHE; tsx (what it ran before) in os.tmpdir().
const warmCache = mkdtempSync(join(work, 'cache-'));
const pnpm = (args, cold) => () => {
  const cache = cold ? mkdtempSync(join(work, 'cache-')) : warmCache;
  const env = { TMPDIR: cache, ATLAS_GENERATE_CACHE: cache };
  return { command: 'pnpm', args: ['--silent', ...args], cwd: repo, env };
};
const builtBin = join(repo, 'packages/generator/dist/bin.js');

// The repository estate, nothing to change: generated/ is up to date.
const repoFiles = snapshot(join(repo, 'generated'), [join(repo, 'atlantis.yaml')]);
const repoFloor = floorWriter('repository', repoFiles);
const cases = [
  { name: 'node -e 0', run: nodeBare, floor: nodeBare },
  ...[
    ['pnpm generate (warm)', ['generate'], false],
    ['pnpm generate (cold)', ['generate'], true],
    ['pnpm generate --check (warm)', ['generate', '--check'], false],
    ['pnpm generate --check (cold)', ['generate', '--check'], true],
  ].map(([name, args, cold]) => ({ name, run: pnpm(args, cold), floor: nodeBare, writer: true })),
  {
    name: 'built command, no-op',
    run: () => ({
      command: process.execPath,
      args: [builtBin, 'generate', '--config', 'environments/dist/index.js'],
      cwd: repo,
    }),
    floor: nodeBare,
    writer: true,
  },
];
for (const c of cases) if (c.writer) c.writerFloor = repoFloor;

// Synthetic estates, each written into an empty folder: through `pnpm generate`
// (its cache warm) and through the built command.
for (const n of SIZES) {
  const dir = join(work, `synthetic-${n}`);
  mkdirSync(dir);
  const estate = join(dir, 'estate.mjs');
  writeFileSync(
    estate,
    `import { syntheticEstate } from ${JSON.stringify(join(repo, 'tools/bench-estate.mjs'))};\nexport default syntheticEstate(${n});\n`,
  );
  let run = 0;
  const freshOut = () => {
    const out = join(dir, `run-${run++}`);
    mkdirSync(out);
    return join(out, 'generated');
  };
  const viaPnpm = () => pnpm(['generate', '--config', estate, '--out', freshOut()], false)();
  const viaBuilt = () => ({
    command: process.execPath,
    args: [builtBin, 'generate', '--config', estate, '--out', freshOut()],
    cwd: dir,
  });
  // The first (warm-up) run's output is the floor's input.
  measure(viaPnpm());
  measure(viaBuilt());
  const files = snapshot(join(dir, 'run-0'));
  const floor = floorWriter(`synthetic-${n}`, files);
  for (const [how, generate] of [
    ['pnpm generate', viaPnpm],
    ['built command', viaBuilt],
  ])
    cases.push({
      name: `synthetic ${n} services, ${how}`,
      run: generate,
      floor,
      files: files.length,
      bytes: files.reduce((sum, [, c]) => sum + Buffer.byteLength(c), 0),
      rounds: n >= 20_000 ? Math.min(RUNS, 3) : RUNS,
      cdktf: CDKTF_MS[n],
    });
}
repoFloor.files = repoFiles.length;

// One warm-up of everything, then the interleaved rounds.
for (const c of cases) {
  c.results = [];
  c.floorResults = [];
  c.writerResults = [];
  if (!c.files) measure(c.run());
}
for (let round = 0; round < RUNS; round++) {
  for (const c of cases) {
    if (round >= (c.rounds ?? RUNS)) continue;
    c.results.push(measure(c.run()));
    c.floorResults.push(measure(c.floor()));
    if (c.writerFloor) c.writerResults.push(measure(c.writerFloor()));
  }
}

const med = (rs, key) => median(rs.map((r) => r[key]));
const mib = (kib) => (Number.isNaN(kib) ? '—' : (kib / 1024).toFixed(0));
const ratio = (a, b) => (a / b).toFixed(2);
const rows = cases.map((c) => {
  // Memory is held against the writer where there is one: the same bytes, in memory once.
  const memoryFloor = c.writerFloor ? c.writerResults : c.floorResults;
  const row = {
    what: c.files ? `${c.name} (${c.files} files, ${Math.round(c.bytes / 1024)} KiB)` : c.name,
    'wall ms': med(c.results, 'ms').toFixed(0),
    'min–max': `${Math.min(...c.results.map((r) => r.ms)).toFixed(0)}–${Math.max(...c.results.map((r) => r.ms)).toFixed(0)}`,
    'cpu ms': med(c.results, 'cpu').toFixed(0),
    floor: c.files ? 'writer' : 'node -e 0',
    'floor wall': med(c.floorResults, 'ms').toFixed(0),
    'wall ×': ratio(med(c.results, 'ms'), med(c.floorResults, 'ms')),
    'cpu ×': ratio(med(c.results, 'cpu'), med(c.floorResults, 'cpu')),
    'writer wall': c.writerFloor ? med(c.writerResults, 'ms').toFixed(0) : '',
    'RSS MiB': mib(med(c.results, 'rss')),
    'floor RSS': mib(med(memoryFloor, 'rss')),
    'RSS ×': ratio(med(c.results, 'rss'), med(memoryFloor, 'rss')),
    'cdktf ms': c.cdktf ?? '',
  };
  return row;
});
console.log(
  `${repo}: medians of ${RUNS} interleaved rounds (20,000 services: ${Math.min(RUNS, 3)}), each a fresh process.\n` +
    `"writer": a node script writing the same bytes from one JSON file (repository estate: ${repoFloor.files} files: the "writer wall" column).\n` +
    `cpu: user + system time of the whole process tree. cdktf ms: cdktf's HCL synth of the same service counts as measured in issue 13 (cdktf is not installed here).`,
);
console.table(rows);
rmSync(work, { recursive: true, force: true });
