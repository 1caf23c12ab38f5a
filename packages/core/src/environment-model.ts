// What an environment is, as data: the spec an estate hands defineEnvironment and the checked
// environment it returns. Kept apart from defineEnvironment so the checks it runs (estate-lint.ts,
// inventory.ts) can name the type without importing the function that calls them.
import type { Expr } from '@atlas/hcl';
import type { Adoption } from './adoption.js';
import type { Link } from './link.js';
import type {
  EnvVariable,
  ImageRemote,
  Local,
  ModuleCall,
  OutputSpec,
  ProviderName,
} from './module.js';
import type { Site } from './site.js';

export interface ProviderSettings {
  /** Incus remote the provider talks to; null uses the local socket or INCUS_REMOTE. */
  readonly remote?: string;
}

export interface EnvironmentSpec {
  readonly name: string;
  readonly description: string;
  /** Module calls in the order they should appear in main.tf. */
  readonly modules: readonly ModuleCall[];
  /** Variables beyond those the module calls declare for themselves. */
  readonly variables?: readonly EnvVariable[];
  readonly locals?: Readonly<Record<string, Expr | Local>>;
  readonly outputs?: Readonly<Record<string, OutputSpec>>;
  readonly provider?: ProviderSettings;
  /** Objects that exist before Atlas and that its modules take over (`import {}` blocks; see adopt()). */
  readonly imports?: readonly Adoption[];

  // Checked by the estate lint (estate-lint.ts).
  /** What the environment's hosts offer; instances' CPU, memory and disks must fit in it. */
  readonly capacity?: HostCapacity;
  // ---- where the environment runs and what it links to (issue 9) ----
  /** Its hosts' LAN addresses and OVN uplink (defineSite); needed for links from other environments. */
  readonly site?: Site;
}

export interface Environment {
  readonly kind: 'environment';
  readonly name: string;
  readonly description: string;
  readonly modules: readonly ModuleCall[];
  readonly variables: readonly EnvVariable[];
  readonly locals: Readonly<Record<string, Expr | Local>>;
  readonly outputs: Readonly<Record<string, OutputSpec>>;
  /** Other environments whose state this one reads, and the outputs it reads from each. */
  readonly remoteStates: readonly RemoteState[];
  readonly provider: ProviderSettings;
  readonly providers: readonly ProviderName[];
  /** Image servers the module calls pull from, by name: remote blocks of the Incus provider. */
  readonly imageRemotes: readonly ImageRemote[];
  /** Objects that exist before Atlas, adopted by `import {}` blocks in the root module. */
  readonly imports: readonly Adoption[];

  // Checked by the estate lint (estate-lint.ts).
  readonly capacity?: HostCapacity;
  // ---- where the environment runs and what it links to (issue 9) ----
  readonly site?: Site;
  /** Every address its module calls are given, resolved for the consumer (see links.ts). */
  readonly links: readonly Link[];
}

export interface RemoteState {
  readonly environment: string;
  readonly outputs: readonly string[];
}

/** What an environment's hosts offer, summed over its members. */
export interface HostCapacity {
  /** CPU cores. */
  readonly cpu: number;
  /** Memory, in Incus notation (`16GB`). */
  readonly memory: string;
  /** Storage for root disks and data volumes (`500GB`). */
  readonly disk: string;
  /**
   * `limits.cpu` is a soft limit (instances burst into idle cores), so the
   * instances' CPUs may add up to this many times the cores. Default 1.
   */
  readonly cpuOvercommit?: number;
}
