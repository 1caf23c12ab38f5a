// pnpm release [--dry-run]: build and check every package, publish each public
// @atlas package whose version the registry does not have yet (changeset publish,
// which also tags `@atlas/<pkg>@<version>`), then tag each module
// `<module>-v<version>` (tools/tag-module-releases.mjs). The registry is npm's
// configured one (`npm config get registry`, or npm_config_registry).
//
// --dry-run builds nothing, publishes nothing and tags nothing: it lists what
// would be published where, and which tags would be created.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dryRun = process.argv.includes('--dry-run');

function run(command, args) {
  console.log(`$ ${command} ${args.join(' ')}`);
  execFileSync(command, args, { cwd: root, stdio: 'inherit' });
}

/** Whether the registry already has name@version (404 and "no such version" mean no). */
function published(name, version) {
  try {
    const out = execFileSync('npm', ['view', `${name}@${version}`, 'version', '--json'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return out.trim() !== '';
  } catch (error) {
    if (/E404|404 Not Found/.test(String(error.stderr))) return false;
    throw error;
  }
}

const registry = execFileSync('npm', ['config', 'get', 'registry'], {
  cwd: root,
  encoding: 'utf8',
}).trim();

const packages = readdirSync(join(root, 'packages'))
  .map((folder) => JSON.parse(readFileSync(join(root, 'packages', folder, 'package.json'), 'utf8')))
  .filter((manifest) => !manifest.private)
  .sort((a, b) => (a.name < b.name ? -1 : 1));

if (dryRun) {
  console.log(`registry: ${registry}`);
  let pending = 0;
  for (const { name, version } of packages) {
    if (published(name, version)) {
      console.log(`  already published  ${name}@${version}`);
    } else {
      pending += 1;
      console.log(`  would publish      ${name}@${version}  (and tag ${name}@${version})`);
    }
  }
  console.log(`${pending} of ${packages.length} packages would be published.`);
  run('node', ['tools/tag-module-releases.mjs', '--dry-run']);
} else {
  // Refuse before publishing when a module's files changed but its version did not.
  run('node', ['tools/tag-module-releases.mjs', '--dry-run']);
  run('pnpm', ['exec', 'nx', 'run-many', '-t', 'build', 'check-package']);
  console.log(`publishing to ${registry}`);
  run('pnpm', ['exec', 'changeset', 'publish']);
  run('node', ['tools/tag-module-releases.mjs']);
}
