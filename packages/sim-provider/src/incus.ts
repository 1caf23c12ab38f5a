import { createHash } from 'node:crypto';
import type { ExistingObject, SimulatedDaemon } from './daemon.js';
import { isObject, type ObjectValue, type Value } from './values.js';

/** A stable hex string derived from `seed`: the same object always gets the same id or key. */
export const fingerprint = (seed: string, length: number): string =>
  createHash('sha256').update(seed).digest('hex').slice(0, length);

/**
 * The address Incus's DHCP would hand the instance: inside the CIDR of the network its nic is
 * on (through its own devices or its profiles, last one wins as in Incus), stable per instance
 * name and unique per network. Unknown networks (physical LANs) get a /24 of their own.
 */
export function addressInNetwork(daemon: SimulatedDaemon, instance: ObjectValue): string {
  const network = nicNetwork(daemon, instance);
  const cidr = networkCidr(daemon, network);
  const [base, bits] = cidr.split('/') as [string, string];
  const size = 2 ** (32 - Number(bits));
  const start = toNumber(base) & (~(size - 1) >>> 0);
  const gateway = toNumber(base);
  const taken = daemon.allocated.get(network) ?? new Set<string>();
  daemon.allocated.set(network, taken);
  const hosts = Math.max(size - 2, 1);
  let offset = parseInt(fingerprint(`host:${String(instance.name)}`, 8), 16) % hosts;
  for (let tries = 0; tries < hosts; tries++, offset = (offset + 1) % hosts) {
    const candidate = (start + 1 + offset) >>> 0;
    const address = toText(candidate);
    if (candidate !== gateway && !taken.has(address)) {
      taken.add(address);
      return address;
    }
  }
  throw new Error(`network ${network} (${cidr}) has no free address left`);
}

function nicNetwork(daemon: SimulatedDaemon, instance: ObjectValue): string {
  const devices: Value[] = [];
  for (const profile of Array.isArray(instance.profiles) ? instance.profiles : []) {
    const known = typeof profile === 'string' ? daemon.profiles.get(profile) : undefined;
    if (known && Array.isArray(known.device)) devices.push(...known.device);
  }
  if (Array.isArray(instance.device)) devices.push(...instance.device);
  let network = 'default';
  for (const device of devices) {
    const properties =
      isObject(device) && device.type === 'nic' ? (device.properties ?? null) : null;
    if (!isObject(properties)) continue;
    const named = properties.network ?? properties.parent;
    if (typeof named === 'string') network = named;
  }
  return network;
}

function networkCidr(daemon: SimulatedDaemon, network: string): string {
  const config = daemon.networks.get(network)?.config ?? null;
  const address = isObject(config) ? config['ipv4.address'] : undefined;
  if (typeof address === 'string' && /^\d+\.\d+\.\d+\.\d+\/\d+$/.test(address)) return address;
  const byte = (i: number) => parseInt(fingerprint(`net:${network}`, 8).slice(i, i + 2), 16);
  return `10.${byte(0)}.${byte(2)}.1/24`;
}

const toNumber = (address: string): number =>
  address.split('.').reduce((n, part) => n * 256 + Number(part), 0) >>> 0;
const toText = (n: number): string => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');

/**
 * What an IncusOS server has before anything else runs, with the Incus seed's
 * `apply_defaults`: the ZFS pool `local` on the rest of the system drive, the `incusbr0`
 * bridge, and the `default` profile that every Incus has, here pointing at both. (Each
 * interface also becomes a host bridge, which Incus lists as an unmanaged network.)
 */
export const INCUS_OS_DEFAULTS: readonly ExistingObject[] = [
  {
    type: 'incus_storage_pool',
    values: { name: 'local', driver: 'zfs', description: '', config: { source: 'local/incus' } },
  },
  {
    type: 'incus_network',
    values: {
      name: 'incusbr0',
      type: 'bridge',
      description: '',
      managed: true,
      config: { 'ipv4.address': '10.171.0.1/24', 'ipv4.nat': 'true', 'ipv6.address': 'none' },
    },
  },
  {
    type: 'incus_profile',
    values: {
      name: 'default',
      description: 'Default Incus profile',
      config: {},
      device: [
        { name: 'eth0', type: 'nic', properties: { network: 'incusbr0', name: 'eth0' } },
        { name: 'root', type: 'disk', properties: { path: '/', pool: 'local' } },
      ],
    },
  },
];
