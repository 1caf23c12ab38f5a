// What a consumer can rely on after `npm run generate`: the output is valid, `tofu fmt`-exact
// OpenTofu whose references resolve, each module names the package release it came from,
// and Grafana's datasource is wired to Prometheus by module output.
import { verifyTree } from '@atlas/verify';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const failures: string[] = [];

for (const problem of await verifyTree('generated')) {
  failures.push(`${problem.file}:${problem.line ?? ''} ${problem.check}: ${problem.message}`);
}

const require = createRequire(import.meta.url);
for (const module of ['base', 'prometheus', 'grafana']) {
  const packageName = `@atlas/${module}`;
  const { version } = require(`${packageName}/package.json`) as { version: string };
  // The release is named once, on versions.tf's terraform block (file headers carry no version).
  const versions = readFileSync(`generated/modules/${module}/versions.tf`, 'utf8');
  if (!versions.includes(`# Module ${module} ${version}, from ${packageName};`))
    failures.push(`modules/${module}/versions.tf: does not name ${packageName} ${version}`);
}

const main = readFileSync('generated/environments/lab/main.tf', 'utf8');
if (!/\burl\s+= module\.prometheus01\.endpoint\b/.test(main))
  failures.push('environments/lab/main.tf: grafana01 is not wired to module.prometheus01.endpoint');

for (const failure of failures) console.error(failure);
console.log(failures.length ? `${failures.length} problem(s)` : 'generated/ checks out');
process.exit(failures.length ? 1 : 0);
