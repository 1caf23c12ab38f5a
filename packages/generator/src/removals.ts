import { serviceFacts } from '@atlas/core';
import type { Estate } from './estate.js';
import { readKeptVolumes, type KeptVolumes } from './tree.js';

// A service that leaves the estate takes its data volume with it on the next apply. Atlas keeps
// no state, but its manifest records the data volume of every stateful module call it wrote
// (`keptVolumes`); the next run compares that record with the estate it renders, following
// each call's earlier names (renamedFrom, the snake_case moves) as its `moved` blocks do.
// A manifest from before the record has nothing to compare with: that run warns of nothing.

/** The data volume of every module call that keeps one (persistence on), by `<environment>/<call>`. */
export function keptVolumes(estate: Estate): KeptVolumes {
  const volumes: Record<string, { instance: string; volume: string }> = {};
  for (const env of estate.environments)
    for (const facts of serviceFacts(env))
      if (facts.volume)
        volumes[`${env.name}/${facts.module}`] = {
          instance: facts.instance,
          volume: facts.volume.name,
        };
  return volumes;
}

/**
 * One warning per data volume recorded in `outDir`'s manifest that the next apply of `estate`
 * destroys: its call left the estate, no longer keeps data, or names another volume. With
 * `scope` (an `--env` run), only the environments it answers for are compared.
 */
export function removedStatefulServices(
  outDir: string,
  estate: Estate,
  scope?: (path: string) => boolean,
): string[] {
  const before = readKeptVolumes(outDir);
  if (before === undefined) return [];
  const now = keptVolumes(estate);
  // Where each call name, current or earlier, now lives.
  const successor = new Map<string, string>();
  for (const env of estate.environments)
    for (const call of env.modules)
      for (const name of [...(call.movedFrom ?? []), call.name])
        successor.set(`${env.name}/${name}`, call.name);
  const warnings: string[] = [];
  for (const [key, kept] of Object.entries(before).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const [environment, label] = key.split('/') as [string, string];
    const path = `environments/${environment}/main.tf`;
    if (scope && !scope(path)) continue;
    const name = successor.get(key);
    const volume = `its data volume "${kept.volume}"`;
    if (name === undefined) {
      // A call Atlas named in snake_case from a hyphenated service name: the service's own spelling.
      const service = kept.instance.replace(/-/g, '_') === label ? kept.instance : label;
      warnings.push(
        `${path}: ${label} is no longer in the estate, so the next apply destroys ${volume}. ` +
          `If it was renamed, give the new service renamedFrom: '${service}' to keep it.`,
      );
      continue;
    }
    const after = now[`${environment}/${name}`];
    if (after?.volume === kept.volume) continue;
    warnings.push(
      after === undefined
        ? `${path}: ${name} no longer keeps its data (data.enabled is false), so the next apply destroys ${volume}.`
        : `${path}: ${name} now names its data volume "${after.volume}", so the next apply destroys "${kept.volume}" and creates an empty one.`,
    );
  }
  return warnings;
}
