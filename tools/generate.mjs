// `pnpm generate` / `pnpm inventory`: the generator's command run from the
// TypeScript sources, without transpiling them on every run.
//
// The first run bundles the command and the estate with esbuild (~0.3 s) into
// a cache folder named by the content of every file that went into the
// bundle. Later runs hash those files again (a few ms) and, when none
// changed, run the bundle as one script with V8's code cache; any edit to any
// input changes the name, so a stale bundle never runs. Only Node's own
// modules load before that check.
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

/** Write through a temporary file and a rename, so a concurrent run reads the old or the new file. */
function replaceFile(file, content) {
  writeFileSync(`${file}.${process.pid}`, content);
  renameSync(`${file}.${process.pid}`, file);
}

/** One hash over every file's path and bytes; a file that is gone hashes as gone. */
function contentKey(files, read = readFileSync) {
  const hash = createHash('sha1');
  for (const file of files) {
    hash.update(`${file}\0`);
    try {
      const bytes = read(file);
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

/**
 * Handlebars compiles a template's source to JavaScript when it first renders
 * (~5 ms a template, and the compiler must load). In the bundle, `handlebars`
 * is the runtime plus a compile() that takes the template's precompiled
 * JavaScript from the bundle's folder (keyed by source and options) and
 * precompiles only a template it has not seen.
 */
const precompiledTemplates = {
  name: 'precompiled-handlebars-templates',
  setup(b) {
    b.onResolve({ filter: /^handlebars$/ }, ({ importer, resolveDir, namespace }) =>
      namespace === 'file' && !importer.includes('/node_modules/')
        ? { path: resolveDir, namespace: 'atlas-handlebars' }
        : undefined,
    );
    b.onResolve({ filter: /^atlas:template-specs$/ }, ({ path }) => ({ path, external: true }));
    b.onLoad({ filter: /.*/, namespace: 'atlas-handlebars' }, ({ path }) => ({
      resolveDir: path,
      loader: 'js',
      contents: `
        import runtime from 'handlebars/runtime';
        const specs = require('atlas:template-specs');
        const handlebars = Object.create(runtime);
        handlebars.compile = (source, options) => {
          let template;
          return (context, runOptions) => {
            template ??= runtime.template(
              new Function('return ' + specs.get(source, options, () => require('handlebars').precompile(source, options)))(),
            );
            return template(context, runOptions);
          };
        };
        export default handlebars;
      `,
    }));
  },
};

const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.json': 'json' };

/**
 * Bundle the command (and the estate) into `folder`. Returns every file the
 * bundle depends on and the key of their content as bundled (a file edited
 * while esbuild ran must not lend its new content to the old bundle).
 */
async function bundle(estate, folder) {
  const { build } = await import('esbuild');
  const read = new Map();
  // Each module keeps its own import.meta.url, so a package still finds its
  // package.json (read when the command runs, not baked into the bundle).
  const ownUrl = {
    name: 'own-import-meta-url',
    setup(b) {
      b.onLoad({ filter: /.*/, namespace: 'file' }, ({ path }) => {
        const bytes = readFileSync(path);
        read.set(path, bytes);
        const text = bytes.toString('utf8');
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
    plugins: [ownUrl, precompiledTemplates],
    // Less source to read and keep in memory (~5 MiB); names stay, so traces still say where.
    minifyWhitespace: true,
    logLevel: 'error',
  });
  const inputs = [
    ...new Set([
      ...read.keys(),
      ...[...read.keys()].map(owningPackageJson).filter(Boolean),
      join(repo, 'tsconfig.base.json'),
      join(repo, 'pnpm-lock.yaml'),
      self,
    ]),
  ].sort();
  return { inputs, key: contentKey(inputs, (file) => read.get(file) ?? readFileSync(file)) };
}

/** Run the bundle as a script, with V8's code cache from the last run (made after it ran, so it covers lazily compiled functions). */
function load(folder, estateFile) {
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
  const specsFile = join(folder, 'templates.json');
  let specs = {};
  try {
    specs = JSON.parse(readFileSync(specsFile, 'utf8'));
  } catch {
    // no template rendered by this bundle yet
  }
  let newSpecs = false;
  const templateSpecs = {
    get(source, options, precompile) {
      const key = JSON.stringify([source, options ?? null]);
      if (!(key in specs)) {
        specs[key] = precompile();
        newSpecs = true;
      }
      return specs[key];
    },
  };
  // The command imports the estate by URL or path (perhaps with a query); either is the bundled one.
  const isEstate = (id) =>
    estateFile !== undefined &&
    (id.startsWith('file:') ? fileURLToPath(id.replace(/[?#].*$/, '')) : resolve(id)) ===
      estateFile;
  const require = (id) =>
    isEstate(id)
      ? { __esModule: true, default: module.exports.estate() }
      : id === 'atlas:template-specs'
        ? templateSpecs
        : nodeRequire(id);
  script.runInThisContext()(module.exports, require, module, file, folder);
  return {
    ...module.exports,
    /** Keep what this run compiled for the next: V8's code cache and new template specs. */
    saveCaches() {
      // A run that had to precompile templates ran the compiler, which later runs will not.
      if (newSpecs) replaceFile(specsFile, JSON.stringify(specs));
      else if (!cachedData || script.cachedDataRejected)
        replaceFile(codeCache, script.createCachedData());
    },
  };
}

const argv = process.argv.slice(2);
const config = configArgument(argv);
// `inventory` needs no estate; `generate` (and usage errors) bundle it beside the command.
const estateFile = argv.includes('inventory')
  ? undefined
  : resolve(config ?? 'environments/index.ts');
// One folder per estate file, under ATLAS_GENERATE_CACHE (tests and the benchmark use their own).
const cache = join(
  process.env.ATLAS_GENERATE_CACHE ?? join(repo, 'node_modules/.cache/atlas-generate'),
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
  let key;
  try {
    ({ inputs, key } = await bundle(estateFile, staging));
  } catch (error) {
    // esbuild has printed the problem (a syntax error, an import that does not resolve).
    rmSync(staging, { recursive: true, force: true });
    if (!error?.errors) throw error;
    console.error(
      `error: ${relative(process.cwd(), estateFile ?? CLI)} or a module it imports could not be bundled; nothing was written.`,
    );
    process.exit(2);
  }
  folder = join(cache, key);
  try {
    renameSync(staging, folder);
  } catch {
    // Another run built the same inputs first.
    rmSync(staging, { recursive: true, force: true });
  }
  replaceFile(inputsFile, JSON.stringify(inputs));
  for (const old of readdirSync(cache))
    if (!old.startsWith('.') && old !== 'inputs.json' && join(cache, old) !== folder)
      rmSync(join(cache, old), { recursive: true, force: true });
}

const command = load(folder, estateFile);
process.exitCode = await command.main(argv);
command.saveCaches();
