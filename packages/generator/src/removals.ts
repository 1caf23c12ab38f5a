import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasGeneratedHeader } from './header.js';

// A service that leaves the estate takes its data volume with it on the next apply. Atlas keeps
// no state, so it compares what it wrote last time (its own main.tf files under the output
// folder) with what it renders now, and names each stateful module call that disappeared
// without a `moved` block pointing away from it.

const MODULE_BLOCK = /^module "([^"]+)" \{\n([^]*?)\n\}/gm;
const MODULE_SOURCE =
  /^ {2}source\s*= "(?:\.\.\/\.\.\/modules\/|[^"]*\/\/generated\/modules\/)([a-z0-9-]+)/m;
const MOVED_FROM = /^moved \{\n {2}from = module\.([^\s]+)\n/gm;

const stringArgument = (body: string, name: string): string | undefined =>
  body.match(new RegExp(`^ {2}${name}\\s*= "([^"]*)"`, 'm'))?.[1];

/** One warning per stateful service in `outDir`'s environments that `files` no longer has. */
export async function removedStatefulServices(
  outDir: string,
  files: ReadonlyMap<string, string>,
): Promise<string[]> {
  // The module as generated now, or as it was when that call was written.
  const persistenceDefault = async (module: string): Promise<string | undefined> => {
    const path = `modules/${module}/variables.tf`;
    const variables =
      files.get(path) ?? (await readFile(join(outDir, path), 'utf8').catch(() => ''));
    return variables.match(
      /^variable "enable_data_persistence" \{\n[^]*?^ {2}default\s*= (true|false)$/m,
    )?.[1];
  };
  const environments = await readdir(join(outDir, 'environments')).catch(() => [] as string[]);
  const warnings: string[] = [];
  for (const environment of environments.sort()) {
    const path = `environments/${environment}/main.tf`;
    const before = await readFile(join(outDir, path), 'utf8').catch(() => undefined);
    if (before === undefined || !hasGeneratedHeader(before)) continue;
    const after = files.get(path) ?? '';
    const kept = new Set([
      ...[...after.matchAll(MODULE_BLOCK)].map((m) => m[1]!),
      ...[...after.matchAll(MOVED_FROM)].map((m) => m[1]!),
    ]);
    for (const [, label, body] of before.matchAll(MODULE_BLOCK)) {
      if (kept.has(label!)) continue;
      const module = body!.match(MODULE_SOURCE)?.[1];
      const byDefault = module === undefined ? undefined : await persistenceDefault(module);
      if (byDefault === undefined) continue; // keeps no data
      const setting = body!.match(/^ {2}enable_data_persistence\s*= (true|false)$/m)?.[1];
      if ((setting ?? byDefault) !== 'true') continue;
      const instance = stringArgument(body!, 'instance_name') ?? label!;
      const volume = stringArgument(body!, 'data_volume_name') ?? `${instance}-data`;
      // A call Atlas named in snake_case from a hyphenated service name: the service's own spelling.
      const service = instance.replace(/-/g, '_') === label ? instance : label;
      warnings.push(
        `${path}: ${label} is no longer in the estate, so the next apply destroys its data volume "${volume}". ` +
          `If it was renamed, give the new service renamedFrom: '${service}' to keep it.`,
      );
    }
  }
  return warnings;
}
