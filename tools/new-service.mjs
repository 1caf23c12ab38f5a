// `pnpm new:service NAME --apt PACKAGE=VERSION --port PORT`: a new service package in today's
// style, registered so that `pnpm generate` writes generated/modules/NAME.
//
// It writes packages/NAME (a working builder, module, test, README and CHANGELOG for a Debian
// package that listens on one TCP port), adds the module to ALL_MODULES in environments/index.ts
// and the package to environments/package.json, then runs `pnpm install --offline --no-frozen-lockfile` to link it
// (`--no-install` skips that). A bad or taken name, or a bad option, exits 2 with the reason and
// writes nothing.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const USAGE =
  'usage: pnpm new:service NAME --apt PACKAGE=VERSION --port PORT [--no-install]\n' +
  '  NAME     the package and module name: lowercase letters and digits, words joined by "-" (e.g. redis)\n' +
  '  --apt    the Debian 13 package first boot installs, pinned as `apt-cache policy` shows it\n' +
  '  --port   the TCP port that package listens on by default';

class UsageError extends Error {}

/** The command line, checked; throws a UsageError naming what is wrong. */
export function parseArguments(argv) {
  const options = { install: true };
  const rest = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') ? arg.split(/=(.*)/s, 2) : [arg];
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new UsageError(`${flag}: expected a value`);
      return argv[++i];
    };
    if (flag === '--apt') options.apt = value();
    else if (flag === '--port') options.port = value();
    else if (flag === '--no-install') options.install = false;
    else if (flag.startsWith('-')) throw new UsageError(`${flag}: unknown option`);
    else rest.push(arg);
  }
  if (rest.length !== 1) throw new UsageError('expected one NAME');
  const [name] = rest;
  if (!/^[a-z][a-z0-9]*(-[a-z0-9]+)*$/.test(name))
    throw new UsageError(
      `NAME "${name}": expected lowercase letters and digits, words joined by single hyphens (e.g. redis, node-exporter)`,
    );
  // The instance is NAME01 and Incus instance names have at most 63 characters.
  if (name.length > 40) throw new UsageError(`NAME "${name}": expected at most 40 characters`);
  const apt = /^([a-z0-9][a-z0-9+.-]+)=([0-9][A-Za-z0-9.+:~-]*)$/.exec(options.apt ?? '');
  if (!apt)
    throw new UsageError(
      `--apt: expected PACKAGE=VERSION, a Debian package and its exact version (e.g. --apt redis-server=5:8.0.2-3)`,
    );
  const port = Number(options.port);
  if (!/^[0-9]+$/.test(options.port ?? '') || port < 1 || port > 65535)
    throw new UsageError('--port: expected the TCP port the package listens on, 1 to 65535');
  return { name, debianPackage: apt[1], debianVersion: apt[2], port, install: options.install };
}

const words = (name) => name.split('-');
const camel = (name) =>
  words(name)
    .map((w, i) => (i ? w[0].toUpperCase() + w.slice(1) : w))
    .join('');
const pascal = (name) =>
  words(name)
    .map((w) => w[0].toUpperCase() + w.slice(1))
    .join('');
const constant = (name) => words(name).join('_').toUpperCase();

/** Why NAME cannot be used in this repository, or undefined when it can. */
function nameTaken(repo, name) {
  if (existsSync(join(repo, 'packages', name))) return `packages/${name} already exists`;
  for (const workspace of ['environments', 'tools']) {
    const manifest = JSON.parse(readFileSync(join(repo, workspace, 'package.json'), 'utf8'));
    if (manifest.name === `@atlas/${name}`) return `@atlas/${name} is the ${workspace} package`;
  }
  const environments = JSON.parse(readFileSync(join(repo, 'environments/package.json'), 'utf8'));
  if (`@atlas/${name}` in (environments.dependencies ?? {}))
    return `@atlas/${name} is already a dependency of environments/package.json`;
  if (existsSync(join(repo, 'generated/modules', name)))
    return `generated/modules/${name} already exists (a module of that name is published)`;
  try {
    // The builder is a function named after the service.
    new Function(`let ${camel(name)};`);
  } catch {
    return `the builder would be called ${camel(name)}, which is a JavaScript reserved word`;
  }
  return undefined;
}

/** The package's files, path → content. */
function packageFiles(repo, s) {
  const { name, debianPackage, debianVersion, port } = s;
  const fn = camel(name);
  const type = pascal(name);
  const DEFAULTS = `${constant(name)}_DEFAULTS`;
  const INPUTS = `${constant(name)}_INPUTS`;
  const PORT = `${constant(name)}_PORT`;
  const module = `${fn}Module`;
  const instance = `${name}01`;
  const summary = `${debianPackage} (Debian 13) in an Incus system container, listening on TCP port ${port}.`;

  const packageJson = {
    name: `@atlas/${name}`,
    version: '0.1.0',
    description: summary,
    license: 'MIT',
    repository: {
      type: 'git',
      url: 'git+https://github.com/accuser-dev/atlas.git',
      directory: `packages/${name}`,
    },
    type: 'module',
    exports: {
      '.': {
        '@atlas/source': './src/index.ts',
        types: './dist/index.d.ts',
        default: './dist/index.js',
      },
      './package.json': './package.json',
    },
    main: './dist/index.js',
    types: './dist/index.d.ts',
    files: ['CHANGELOG.md', 'dist', 'src', '!src/**/*.test.ts', '!src/**/*.test-d.ts'],
    sideEffects: false,
    engines: { node: '>=20.19' },
    publishConfig: { access: 'public' },
    scripts: {
      build: 'rm -rf dist && tsc -p tsconfig.build.json',
      typecheck: 'tsc -p tsconfig.json',
      lint: 'prettier --check src README.md',
      test: 'vitest run',
      'check-package': 'bash ../../tools/check-package.sh',
    },
    // Exactly what the sources import (the boundaries check refuses an unused or unlisted one).
    dependencies: {
      '@atlas/core': 'workspace:^',
      '@atlas/hcl': 'workspace:^',
      '@atlas/incus-service': 'workspace:^',
      zod: dependencyRange(repo, 'zod'),
    },
    devDependencies: {
      '@atlas/generator': 'workspace:^',
      '@atlas/preview': 'workspace:^',
      '@atlas/testing': 'workspace:^',
      '@atlas/verify': 'workspace:^',
    },
  };

  const moduleTs = `import { T, input, output, packageInfo, port } from '@atlas/core';
import { ref, tpl } from '@atlas/hcl';
import { incusServiceModule } from '@atlas/incus-service';

/** The port ${debianPackage} listens on as Debian packages it. */
export const ${PORT} = ${port};

/** Sizing, and the exact package version first boot installs (\`apt-cache policy ${debianPackage}\` on Debian 13). */
export const ${DEFAULTS} = {
  instanceName: '${instance}',
  profileName: '${name}',
  cpu: 1,
  memory: '256MB',
  rootDiskSize: '2GB',
  packageVersions: { '${debianPackage}': '${debianVersion}' },
} as const;

/** ${name}'s own inputs, declared once: the builder's options and the module's variables. */
export const ${INPUTS} = {
  port: input(port, {
    type: T.number,
    description: 'TCP port ${debianPackage} listens on; the endpoint output points there.',
    default: ${PORT},
  }),
};

/** ${summary} */
export const ${module} = incusServiceModule({
  name: '${name}',
  package: packageInfo(import.meta.url),
  description: '${summary}',
  defaults: ${DEFAULTS},
  variables: { port: ${INPUTS}.port.variable },
  build: (v) => ({
    // The Debian package starts its own unit on install.
    cloudInit: { config: { packages: ['${debianPackage}'] } },
    outputs: {
      endpoint: output({
        description: 'host:port of ${debianPackage}.',
        value: tpl\`\${ref('var.instance_name')}.incus:\${v.port}\`,
        type: T.string,
      }),
    },
  }),
});
`;

  const indexTs = `import { parseConfig, type ModuleCall } from '@atlas/core';
import { serviceArgs, serviceOptionsSchema } from '@atlas/incus-service';
import type { z } from 'zod';
import { ${DEFAULTS}, ${INPUTS}, ${module} } from './module.js';

export { ${DEFAULTS}, ${INPUTS}, ${PORT}, ${module} } from './module.js';

export const ${fn}ConfigSchema = serviceOptionsSchema(${DEFAULTS})
  .extend({ port: ${INPUTS}.port.schema })
  .strict();

export type ${type}Config = z.input<typeof ${fn}ConfigSchema>;

export type ${type}Instance = ModuleCall<
  typeof ${module}.variables,
  typeof ${module}.body.outputs
> & { readonly service: '${name}' };

/** A ${name} instance: validates \`config\` and returns the module call with typed outputs. */
export function ${fn}(config: ${type}Config): ${type}Instance {
  const c = parseConfig(${fn}ConfigSchema, config, [config.name ?? ${DEFAULTS}.instanceName]);
  const call = ${module}.call(c.name, {
    ...serviceArgs(c, ${DEFAULTS}),
    port: ${INPUTS}.port.arg(c.port),
  });
  return Object.assign(call, { service: '${name}' as const });
}
`;

  const testTs = `import { renderModules, writeTree } from '@atlas/generator';
import { previewModule, previewModuleCall } from '@atlas/preview';
import { testNetwork } from '@atlas/testing';
import { hasChecker, runChecker, summarizeModule, verifyTree } from '@atlas/verify';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ${fn}, ${fn}ConfigSchema, ${module} } from './index.js';

const network = testNetwork();

async function inTempDir<T>(run: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'atlas-${name}-'));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('${name} options', () => {
  it('default to 1 CPU, 256MB, a 2GB root disk and port ${port}', () => {
    expect(${fn}ConfigSchema.parse({ network })).toMatchObject({
      name: '${instance}',
      cpu: 1,
      memory: '256MB',
      rootDiskSize: '2GB',
      port: ${port},
    });
  });

  it('pass the port only when it differs from the default', () => {
    expect(previewModuleCall(${fn}({ network })).outputs.endpoint).toBe('${instance}.incus:${port}');
    expect(${fn}({ network }).args).not.toHaveProperty('port');
    expect(previewModuleCall(${fn}({ network, port: ${port === 65535 ? 65534 : port + 1} })).outputs.endpoint).toBe(
      '${instance}.incus:${port === 65535 ? 65534 : port + 1}',
    );
  });

  it('refuse a port out of range, naming the option', () => {
    expect(() => ${fn}({ network, port: 70000 })).toThrow(/${instance}\\.port/);
  });
});

describe('${name} module', () => {
  const preview = previewModule(${module}, { profiles: ['container-base', 'management-network'] });

  it('installs the pinned ${debianPackage} on first boot', () => {
    expect(preview.cloudInit).toContain('${debianPackage}=${debianVersion}');
  });

  it.skipIf(!hasChecker('cloud-init'))('the user-data passes cloud-init schema', async () => {
    await inTempDir(async (dir) => {
      const file = join(dir, 'user-data.yaml');
      await writeFile(file, preview.cloudInit!);
      const result = runChecker('cloud-init', ['schema', '--config-file', file]);
      expect(result.stdout + result.stderr).toContain('Valid cloud-config');
      expect(result.status).toBe(0);
    });
  });

  it('renders a valid, tofu-fmt exact module', async () => {
    await inTempDir(async (dir) => {
      await writeTree(join(dir, 'generated'), renderModules([${module}]));
      expect(await verifyTree(dir)).toEqual([]);
      const summary = await summarizeModule(join(dir, 'generated/modules/${name}'));
      expect(summary.resources).toEqual(['incus_instance.this', 'incus_profile.service']);
      expect(summary.outputs).toContain('endpoint');
    });
  });
});
`;

  const readme = `# @atlas/${name}

${summary}

\`\`\`ts
import { ${fn} } from '@atlas/${name}';

const ${fn}01 = ${fn}({ network: base.attach('management') });

${fn}01.outputs.endpoint; // module.${instance.replace(/-/g, '_')}.endpoint: "${instance}.incus:${port}"
\`\`\`

First boot installs \`${debianPackage}=${debianVersion}\` from Debian 13; the package starts its own
unit.

| option                            | default                             |
| --------------------------------- | ----------------------------------- |
| \`name\`                            | \`${instance}\`                     |
| \`cpu\` / \`memory\` / \`rootDiskSize\` | 1 / \`256MB\` / \`2GB\`; no data volume |
| \`port\`                            | ${port}                             |

| output     | value                       |
| ---------- | --------------------------- |
| \`endpoint\` | \`<instance>.incus:<port>\` |

The module: [\`generated/modules/${name}\`](../../generated/modules/${name}/README.md).
`;

  const changelog = `# @atlas/${name}\n\n## 0.1.0\n\nFirst release. ${summary}\n`;
  const copied = (file) => readFileSync(join(repo, 'packages/node-exporter', file), 'utf8');
  return {
    'package.json': `${JSON.stringify(packageJson, null, 2)}\n`,
    'tsconfig.json': copied('tsconfig.json'),
    'tsconfig.build.json': copied('tsconfig.build.json'),
    'vitest.config.ts': copied('vitest.config.ts'),
    LICENSE: copied('LICENSE'),
    'README.md': readme,
    'CHANGELOG.md': changelog,
    'src/module.ts': moduleTs,
    'src/index.ts': indexTs,
    [`src/${name}.test.ts`]: testTs,
  };
}

/** The range the workspace already uses for an npm dependency, so the new package adds none. */
function dependencyRange(repo, dependency) {
  const manifest = JSON.parse(
    readFileSync(join(repo, 'packages/node-exporter/package.json'), 'utf8'),
  );
  return manifest.dependencies[dependency];
}

/** environments/index.ts with the module imported and listed in ALL_MODULES, kept in name order. */
export function registerModule(source, name) {
  const moduleName = `${camel(name)}Module`;
  const importLine = `import { ${moduleName} } from '@atlas/${name}';`;
  const imports = [...source.matchAll(/^import .* from '(@atlas\/[a-z0-9-]+)';$/gm)];
  const after = imports.filter((m) => m[1] < `@atlas/${name}`).at(-1) ?? imports[0];
  if (!after) throw new Error('environments/index.ts: no @atlas import to place the new one by');
  const at = after[1] < `@atlas/${name}` ? after.index + after[0].length + 1 : after.index;
  let out = source.slice(0, at) + importLine + '\n' + source.slice(at);
  const list =
    /(export const ALL_MODULES: readonly ModuleDefinition\[\] = \[\n)((?:  \w+,\n)*)(\];)/.exec(
      out,
    );
  if (!list) throw new Error('environments/index.ts: ALL_MODULES is not a one-per-line list');
  const entries = [...list[2].matchAll(/  (\w+),\n/g)].map((m) => m[1]);
  const sorted = [...entries, moduleName].sort((a, b) =>
    a.toLowerCase().localeCompare(b.toLowerCase()),
  );
  const body = sorted.map((e) => `  ${e},\n`).join('');
  out =
    out.slice(0, list.index) + list[1] + body + list[3] + out.slice(list.index + list[0].length);
  return out;
}

/** environments/package.json with the new package among its dependencies, in name order. */
export function registerDependency(source, name) {
  const manifest = JSON.parse(source);
  const dependencies = { ...manifest.dependencies, [`@atlas/${name}`]: 'workspace:^' };
  manifest.dependencies = Object.fromEntries(
    Object.entries(dependencies).sort(([a], [b]) => (a < b ? -1 : 1)),
  );
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Writes the package and registers it; everything is prepared before the first write. */
export function scaffold(repo, settings) {
  const taken = nameTaken(repo, settings.name);
  if (taken) throw new UsageError(`NAME "${settings.name}": ${taken}`);
  const files = packageFiles(repo, settings);
  const indexPath = join(repo, 'environments/index.ts');
  const manifestPath = join(repo, 'environments/package.json');
  const index = registerModule(readFileSync(indexPath, 'utf8'), settings.name);
  const manifest = registerDependency(readFileSync(manifestPath, 'utf8'), settings.name);

  // The package appears whole (built in a sibling folder, then renamed), then the two registrations.
  const staging = mkdtempSync(join(repo, 'packages', `.new-${settings.name}-`));
  try {
    for (const [path, content] of Object.entries(files)) {
      mkdirSync(dirname(join(staging, path)), { recursive: true });
      writeFileSync(join(staging, path), content);
    }
    // The templates leave table alignment and line breaks to the repository's formatter.
    const format = spawnSync(
      join(repo, 'node_modules/.bin/prettier'),
      ['--write', '--log-level', 'warn', staging],
      { cwd: repo, encoding: 'utf8' },
    );
    if (format.status !== 0)
      throw new Error(`prettier failed on the new package:\n${format.stderr}`);
    renameSync(staging, join(repo, 'packages', settings.name));
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  writeFileSync(indexPath, index);
  writeFileSync(manifestPath, manifest);
  return Object.keys(files).map((f) => `packages/${settings.name}/${f}`);
}

function main() {
  const repo = fileURLToPath(new URL('..', import.meta.url));
  let settings, written;
  try {
    settings = parseArguments(process.argv.slice(2));
    written = scaffold(repo, settings);
  } catch (error) {
    if (!(error instanceof UsageError)) {
      // Not the caller's mistake: the scaffold's own bug, with what is needed to find it.
      console.error(error);
      process.exit(70);
    }
    console.error(`new:service: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  console.log(`wrote ${written.join(', ')}`);
  console.log('registered in environments/index.ts (ALL_MODULES) and environments/package.json');
  if (settings.install) {
    // The lockfile gains the new package: never frozen, even where CI=true makes pnpm freeze it.
    const install = spawnSync('pnpm', ['install', '--offline', '--no-frozen-lockfile'], {
      cwd: repo,
      stdio: 'inherit',
    });
    if (install.status !== 0) process.exit(install.status ?? 1);
  }
  const link = settings.install
    ? ''
    : 'pnpm install --offline --no-frozen-lockfile (links the package), then ';
  console.log(
    `next: ${link}pnpm generate (writes generated/modules/${settings.name}), then cd packages/${settings.name} && npx vitest run`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main();
