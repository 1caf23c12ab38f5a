// pnpm release, last step: tag each module in generated/modules as `<module>-v<version>`,
// the ref that pinned sources use (`?ref=grafana-v1.4.0`). changesets' own tags name
// the npm package (`@atlas/grafana@1.4.0`), which HCL users cannot guess from a module.
// The version is read from the module's versions.tf (the one .tf line that names it), so the
// tag always matches the files it points at. A tag that already exists is an earlier release
// and is kept; if the module's files differ from that release, the run stops: a change to
// @atlas/core, @atlas/hcl or @atlas/providers that changes a module's HCL needs a changeset
// for the module's own package (dependents are not bumped for in-range releases).
//
//   node tools/tag-module-releases.mjs [--dry-run]
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const MODULES_DIR = 'generated/modules';
// The comment core's renderModule() writes on versions.tf's terraform block.
const RELEASE = /^# Module \S+ (\S+), from (\S+); changes are in CHANGELOG\.md\.$/m;
const dryRun = process.argv.includes('--dry-run');

const git = (...args) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
const tagExists = (tag) => git('tag', '--list', tag) !== '';

if (git('status', '--porcelain', '--', MODULES_DIR) !== '') {
  console.error(`${MODULES_DIR} has uncommitted changes; commit the release first.`);
  process.exit(1);
}

for (const module of readdirSync(join(root, MODULES_DIR)).sort()) {
  const versions = readFileSync(join(root, MODULES_DIR, module, 'versions.tf'), 'utf8');
  const release = RELEASE.exec(versions);
  if (!release) throw new Error(`${MODULES_DIR}/${module}/versions.tf names no release`);
  const [, version, packageName] = release;
  const tag = `${module}-v${version}`;
  if (tagExists(tag)) {
    const folder = `${MODULES_DIR}/${module}`;
    if (git('rev-parse', `${tag}:${folder}`) !== git('rev-parse', `HEAD:${folder}`)) {
      console.error(
        `${folder} differs from its release ${tag}: add a changeset for ${packageName} and run pnpm version-packages.`,
      );
      process.exitCode = 1;
    }
    continue;
  }
  console.log(`${dryRun ? 'would tag' : 'tagging'} ${tag} (${packageName}@${version})`);
  // Annotated, like changesets' tags, so `git push --follow-tags` pushes both.
  if (!dryRun) git('tag', '-a', tag, '-m', `${packageName}@${version}: module ${module}`);
}
