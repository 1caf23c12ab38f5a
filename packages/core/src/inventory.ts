import type { Expr } from '@atlas/hcl';
import type { Environment } from './environment-model.js';
import type { ModuleCall } from './module.js';

/** What an environment declares about one service, read from its module call and the module's defaults. */
export interface ServiceFacts {
  readonly module: string;
  readonly instance: string;
  /** Network role (production, management, gitops) from the network profile it uses, if any. */
  readonly network?: string;
  readonly cpu?: number;
  readonly memory?: string;
  readonly rootDisk?: string;
  /** The data volume, when the service keeps one and persistence is on. */
  readonly volume?: { readonly name: string; readonly pool: string; readonly size: string };
  /** Whether the call is conditional (`count`), e.g. cloudflared without a token. */
  readonly conditional: boolean;
}

/** A literal argument's value, or the module variable's default; undefined for expressions. */
function value(call: ModuleCall, name: string): unknown {
  const arg = call.args.get(name);
  if (arg) {
    switch (arg.kind) {
      case 'string':
      case 'bool':
        return arg.value;
      case 'number':
        return Number(arg.value);
      case 'null':
        return null;
      default:
        return undefined;
    }
  }
  const spec = call.definition.variables[name];
  return spec && 'default' in spec ? spec.default : undefined;
}

function networkRole(profiles: Expr | undefined): string | undefined {
  if (profiles?.kind !== 'tuple') return undefined;
  for (const item of profiles.items) {
    if (item.kind !== 'traversal' || item.root !== 'module') continue;
    const [, output, role] = item.steps;
    if (output && 'attr' in output && output.attr === 'network_profiles' && role && 'attr' in role)
      return role.attr;
  }
  return undefined;
}

/** Facts for every service (every call with an `instance_name`), in main.tf order. */
export function serviceFacts(env: Environment): ServiceFacts[] {
  const facts: ServiceFacts[] = [];
  for (const call of env.modules) {
    const instance = value(call, 'instance_name');
    if (typeof instance !== 'string') continue;
    const hasVolume =
      'data_volume_size' in call.definition.variables &&
      value(call, 'enable_data_persistence') !== false;
    const named = value(call, 'data_volume_name');
    const network = networkRole(call.args.get('profiles'));
    const cpu = value(call, 'cpu_limit');
    const memory = value(call, 'memory_limit');
    const rootDisk = value(call, 'root_disk_size');
    facts.push({
      module: call.name,
      instance,
      ...(network ? { network } : {}),
      ...(typeof cpu === 'number' ? { cpu } : {}),
      ...(typeof memory === 'string' ? { memory } : {}),
      ...(typeof rootDisk === 'string' ? { rootDisk } : {}),
      ...(hasVolume
        ? {
            volume: {
              name: typeof named === 'string' ? named : `${instance}-data`,
              pool: String(value(call, 'storage_pool') ?? 'local'),
              size: String(value(call, 'data_volume_size')),
            },
          }
        : {}),
      conditional: call.options.count !== undefined,
    });
  }
  return facts;
}

const UNITS: Readonly<Record<string, number>> = {
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
};

/** Bytes in an Incus size such as `512MB` or `2GiB`. */
export function sizeInBytes(size: string): number {
  const match = /^(\d+)(kB|MB|GB|TB|KiB|MiB|GiB|TiB)$/.exec(size);
  if (!match) throw new RangeError(`not an Incus size: ${size}`);
  return Number(match[1]) * UNITS[match[2]!]!;
}

/** A byte count in the largest decimal unit that keeps it readable: `3.3GB`. */
export function formatBytes(bytes: number): string {
  for (const unit of ['TB', 'GB', 'MB', 'kB'] as const) {
    const n = bytes / UNITS[unit]!;
    if (n >= 1) return `${Number(n.toFixed(1))}${unit}`;
  }
  return `${bytes}B`;
}
