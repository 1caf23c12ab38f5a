import { EvaluationError } from './value.js';

interface Prefix {
  readonly network: bigint;
  readonly bits: 32 | 128;
  readonly length: number;
}

/** `cidrhost(prefix, hostnum)`: the address numbered `hostnum` in the network (negative counts from its end). */
export function cidrHost(prefix: string, hostnum: number): string {
  if (!Number.isInteger(hostnum)) throw new EvaluationError('hostnum must be a whole number');
  const { network, bits, length } = parsePrefix(prefix);
  const max = (1n << BigInt(bits - length)) - 1n;
  const wanted = BigInt(hostnum);
  const host = wanted < 0n ? max + 1n + wanted : wanted;
  if (host < 0n || host > max)
    throw new EvaluationError(
      `prefix of ${length} does not accommodate a host numbered ${hostnum}`,
    );
  const address = network + host;
  return bits === 32 ? ipv4Text(address) : ipv6Text(address);
}

function parsePrefix(text: string): Prefix {
  const invalid = (): never => {
    throw new EvaluationError(`invalid CIDR expression: invalid CIDR address: ${text}`);
  };
  const [ip = '', len, ...rest] = text.split('/');
  if (len === undefined || rest.length || !/^\d{1,3}$/.test(len)) return invalid();
  const address = ip.includes(':') ? parseIpv6(ip) : parseIpv4(ip);
  if (address === undefined) return invalid();
  const bits = ip.includes(':') ? 128 : 32;
  const length = Number(len);
  if (length > bits) return invalid();
  const hostBits = BigInt(bits - length);
  return { network: (address >> hostBits) << hostBits, bits, length };
}

// OpenTofu still accepts leading zeros in IPv4 parts, read as decimal.
function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255))
    return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
}

function parseIpv6(text: string): bigint | undefined {
  let groups: string[];
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const split = (s: string) => (s === '' ? [] : s.split(':'));
  const expandTail = (parts: string[]): string[] | undefined => {
    const last = parts.at(-1);
    if (last?.includes('.')) {
      const v4 = parseIpv4(last);
      if (v4 === undefined) return undefined;
      return [...parts.slice(0, -1), (v4 >> 16n).toString(16), (v4 & 0xffffn).toString(16)];
    }
    return parts;
  };
  if (halves.length === 2) {
    const head = split(halves[0]!);
    const tail = expandTail(split(halves[1]!));
    if (!tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  } else {
    const all = expandTail(split(text));
    if (!all || all.length !== 8) return undefined;
    groups = all;
  }
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

const ipv4Text = (n: bigint): string =>
  [24n, 16n, 8n, 0n].map((shift) => String((n >> shift) & 0xffn)).join('.');

/** Go's `net.IP.String()`: the longest run of two or more zero groups becomes `::`; IPv4-mapped addresses print dotted. */
function ipv6Text(n: bigint): string {
  if (n >> 32n === 0xffffn) return ipv4Text(n & 0xffffffffn);
  const groups = Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      best = i;
      bestLength = j - i;
    }
    i = j === i ? i + 1 : j;
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':');
  if (best < 0) return hex(groups);
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLength))}`;
}
