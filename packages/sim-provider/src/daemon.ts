import { isObject, type ObjectValue } from './values.js';

/**
 * A remote that is an Incus cluster, in the few ways generated code must respect: a network
 * (but OVN) or storage pool is created only once it is pending on every member (`target`),
 * and the cluster-wide create refuses the keys that differ per member; a volume on a pool of
 * the members' own disks names its member; a `target` names a member.
 */
export interface SimulatedCluster {
  readonly members: readonly string[];
  /** Pools that exist before the first apply and every member shares (Ceph), by name. */
  readonly sharedPools?: readonly string[];
}

// Keys Incus refuses on the cluster-wide create of a network or pool (set them per member).
const MEMBER_KEYS: Record<string, readonly string[]> = {
  incus_network: ['parent', 'bridge.external_interfaces'],
  incus_storage_pool: ['source', 'size', 'zfs.pool_name', 'lvm.vg_name'],
};
const SHARED_DRIVERS = ['ceph', 'cephfs', 'lvmcluster'];

/**
 * What the simulated Incus daemon knows between calls: the networks and profiles it "created",
 * so an instance gets an address inside the CIDR of the network its profiles attach it to.
 * One per server; it never outlives the process.
 */
export class SimulatedDaemon {
  readonly networks = new Map<string, ObjectValue>();
  readonly profiles = new Map<string, ObjectValue>();
  readonly objects = new Map<string, ObjectValue>();
  readonly allocated = new Map<string, Set<string>>();
  /** Objects the server had before any apply (what IncusOS or an operator made), by type/name. */
  readonly preexisting = new Map<string, ObjectValue>();

  /** Objects that are there before the engine's first apply (what IncusOS or an operator made). */
  seed(existing: readonly ExistingObject[]): void {
    for (const { type, values } of existing) {
      this.preexisting.set(objectKey(type, values), values);
      this.remember(type, values);
    }
  }

  /** Members a network or pool is pending on, by `type/name`. */
  readonly pending = new Map<string, Set<string>>();

  constructor(readonly cluster?: SimulatedCluster) {}

  /** What a cluster refuses to create, as Incus words it; nothing on a single server. */
  refusal(type: string, planned: ObjectValue): string | undefined {
    const cluster = this.cluster;
    if (!cluster) return undefined;
    const target = typeof planned.target === 'string' && planned.target ? planned.target : '';
    if (target && !cluster.members.includes(target))
      return `Failed to create ${type}: cluster member "${target}" not found`;
    if (type === 'incus_network' || type === 'incus_storage_pool') {
      if (type === 'incus_network' && planned.type === 'ovn') return undefined;
      const key = `${type}/${String(planned.name)}`;
      if (target) {
        this.pending.set(key, (this.pending.get(key) ?? new Set()).add(target));
        return undefined;
      }
      const what = type === 'incus_network' ? 'Network' : 'Pool';
      const pending = this.pending.get(key) ?? new Set();
      if (pending.size === 0)
        return `${what} not pending on any member (use --target <member> first)`;
      const missing = cluster.members.filter((m) => !pending.has(m));
      if (missing.length) return `${what} not pending on member "${missing[0]}" (use --target)`;
      const config = isObject(planned.config ?? null) ? (planned.config as ObjectValue) : {};
      const specific = MEMBER_KEYS[type]!.find((k) => k in config);
      if (specific) return `Config key "${specific}" is cluster member specific`;
      return undefined;
    }
    if (type === 'incus_storage_volume' && !target) {
      const pool = String(planned.pool);
      const created = this.objects.get(`incus_storage_pool/${pool}`);
      const shared =
        cluster.sharedPools?.includes(pool) ||
        (created !== undefined && SHARED_DRIVERS.includes(String(created.driver)));
      if (!shared)
        return `Failed to create volume on pool "${pool}": it is local to each member and no target was given (use --target <member>)`;
    }
    return undefined;
  }

  remember(type: string, state: ObjectValue | null): void {
    const name = state && typeof state.name === 'string' ? state.name : undefined;
    if (!state || name === undefined) return;
    if (type === 'incus_network') this.networks.set(name, state);
    if (type === 'incus_profile') this.profiles.set(name, state);
    this.objects.set(objectKey(type, state), state);
  }

  forget(type: string, state: ObjectValue): void {
    this.objects.delete(objectKey(type, state));
    this.preexisting.delete(objectKey(type, state));
  }
}

/** An object that exists on the simulated server before the engine's first apply. */
export interface ExistingObject {
  readonly type: string;
  /** Its state as the provider would read it; `name` is what an import ID names. */
  readonly values: ObjectValue;
}

// Pending per-member definitions of one pool or network share its name; the member tells them apart.
export const objectKey = (type: string, value: ObjectValue): string =>
  `${type}/${String(value.name)}${typeof value.target === 'string' && value.target ? `@${value.target}` : ''}`;
