// `pnpm generate` / `pnpm inventory`: the generator's command, run from the
// TypeScript sources without transpiling them on every run. The first run
// bundles the command and the estate (esbuild, ~0.2 s) into a cache folder
// named by the content of every file that went into the bundle; later runs
// hash those files again (a few ms) and, when nothing changed, import the
// bundle straight away. Any edit to any input changes the name, so a stale
// bundle is never run. Only Node's own modules load before that check.
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { Script } from 'node:vm';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const repo = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);
const CLI = join(repo, 'packages/generator/src/cli.ts');

/** The `--config FILE` (or `--config=FILE`) argument, as the command reads it. */
function configArgument(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--') break;
    if (argv[i] === '--config') return argv[i + 1];
    if (argv[i].startsWith('--config=')) return argv[i].slice('--config='.length);
  }
  return undefined;
}

/** One hash over every file's path and bytes; a file that is gone hashes as gone. */
function contentKey(files) {
  const hash = createHash('sha1');
  for (const file of files) {
    hash.update(`${file}\0`);
    try {
      const bytes = readFileSync(file);
      hash.update(`${bytes.length}\0`).update(bytes);
    } catch {
      hash.update('missing\0');
    }
  }
  return hash.digest('hex').slice(0, 20);
}

/** The package.json a file belongs to: it decides how the file's own imports resolve. */
function owningPackageJson(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      readFileSync(join(dir, 'package.json'));
      return join(dir, 'package.json');
    } catch {
      // not a package root
    }
  }
  return undefined;
}

const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.json': 'json' };

/** Bundle the command (and the estate) into `folder`; returns every file the bundle depends on. */
async function bundle(estate, folder) {
  const { build } = await import('esbuild');
  const read = new Set();
  // Each module keeps its own import.meta.url, so a package still finds its
  // package.json (read when the command runs, not baked into the bundle).
  const ownUrl = {
    name: 'own-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /.*/ }, ({ path }) => {
        read.add(path);
        const text = readFileSync(path, 'utf8');
        const extension = /\.[^./]+$/.exec(path)?.[0] ?? '';
        return {
          contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(path).href)),
          loader: LOADERS[extension] ?? 'js',
        };
      });
    },
  };
  // CommonJS, so that it runs as one vm.Script with V8's code cache. The
  // estate is required lazily: evaluating it inside the command means a
  // ConfigError it throws is reported like any other.
  const entry = [
    `export { main } from ${JSON.stringify(CLI)};`,
    `export const estate = () => ${estate ? `require(${JSON.stringify(estate)}).default` : 'undefined'};`,
  ].join('\n');
  await build({
    stdin: {
      contents: entry,
      resolveDir: repo,
      loader: 'js',
      sourcefile: 'atlas-generate-entry.js',
    },
    outfile: join(folder, 'bundle.cjs'),
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    conditions: ['@atlas/source'],
    tsconfig: join(repo, 'tsconfig.base.json'),
    // The command's import() of the estate file becomes a require(), which
    // load() answers with the bundled estate.
    supported: { 'dynamic-import': false },
    plugins: [ownUrl],
    logLevel: 'error',
  });
  const packageJsons = [...read].map(owningPackageJson).filter(Boolean);
  return [
    ...new Set([
      ...read,
      ...packageJsons,
      join(repo, 'tsconfig.base.json'),
      join(repo, 'pnpm-lock.yaml'),
      self,
    ]),
  ].sort();
}

/** Run the bundle as a script, with V8's code cache from the last run (made after it ran, so it covers lazily compiled functions). */
function load(folder, estateUrl) {
  const file = join(folder, 'bundle.cjs');
  const codeCache = join(folder, 'code-cache');
  let cachedData;
  try {
    cachedData = readFileSync(codeCache);
  } catch {
    // first run of this bundle
  }
  const script = new Script(
    `(function (exports, require, module, __filename, __dirname) {${readFileSync(file, 'utf8')}\n})`,
    {
      filename: file,
      cachedData,
    },
  );
  const module = { exports: {} };
  const nodeRequire = createRequire(file);
  const require = (id) =>
    id === estateUrl ? { __esModule: true, default: module.exports.estate() } : nodeRequire(id);
  script.runInThisContext()(module.exports, require, module, file, folder);
  return {
    ...module.exports,
    saveCodeCache() {
      if (cachedData && !script.cachedDataRejected) return;
      writeFileSync(`${codeCache}.${process.pid}`, script.createCachedData());
      renameSync(`${codeCache}.${process.pid}`, codeCache);
    },
  };
}

const argv = process.argv.slice(2);
const config = configArgument(argv);
// `inventory` needs no estate; `generate` (and usage errors) bundle it beside the command.
const estateFile = argv.includes('inventory')
  ? undefined
  : resolve(config ?? 'environments/index.ts');
const cache = join(
  repo,
  'node_modules/.cache/atlas-generate',
  createHash('sha1')
    .update(estateFile ?? '')
    .digest('hex')
    .slice(0, 12),
);
const inputsFile = join(cache, 'inputs.json');

let inputs;
try {
  inputs = JSON.parse(readFileSync(inputsFile, 'utf8'));
} catch {
  inputs = [];
}
let folder = join(cache, contentKey(inputs));
try {
  readFileSync(join(folder, 'bundle.cjs'));
} catch {
  const staging = join(cache, `.build-${process.pid}`);
  rmSync(staging, { recursive: true, force: true });
  try {
    inputs = await bundle(estateFile, staging);
  } catch (error) {
    // esbuild has printed the problem (a syntax error, an import that does not resolve).
    rmSync(staging, { recursive: true, force: true });
    if (!error?.errors) throw error;
    console.error(
      `error: ${relative(process.cwd(), estateFile ?? CLI)} or a module it imports could not be bundled; nothing was written.`,
    );
    process.exit(2);
  }
  folder = join(cache, contentKey(inputs));
  try {
    renameSync(staging, folder);
  } catch {
    // Another run built the same inputs first.
    rmSync(staging, { recursive: true, force: true });
  }
  writeFileSync(`${inputsFile}.${process.pid}`, JSON.stringify(inputs));
  renameSync(`${inputsFile}.${process.pid}`, inputsFile);
  for (const old of readdirSync(cache))
    if (!old.startsWith('.') && old !== 'inputs.json' && join(cache, old) !== folder)
      rmSync(join(cache, old), { recursive: true, force: true });
}

const command = load(folder, estateFile && pathToFileURL(estateFile).href);
process.exitCode = await command.main(argv);
command.saveCodeCache();
