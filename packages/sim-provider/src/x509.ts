import { createHash, sign, type KeyObject } from 'node:crypto';

// node:crypto parses certificates but cannot make them, so this writes the few DER structures
// an X.509 v3 certificate needs (RFC 5280). Used for the go-plugin server certificate and for
// the certificates tls_self_signed_cert "issues".

const tlv = (tag: number, content: Buffer): Buffer => {
  const n = content.length;
  const length =
    n < 0x80
      ? Buffer.from([n])
      : Buffer.concat([Buffer.from([0x80 | byteLength(n)]), uintBytes(n)]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
};
const byteLength = (n: number): number => (n < 0x100 ? 1 : n < 0x10000 ? 2 : 3);
const uintBytes = (n: number): Buffer => {
  const out = Buffer.alloc(byteLength(n));
  out.writeUIntBE(n, 0, out.length);
  return out;
};

const sequence = (...parts: Buffer[]) => tlv(0x30, Buffer.concat(parts));
const set = (...parts: Buffer[]) => tlv(0x31, Buffer.concat(parts));
const explicit = (n: number, content: Buffer) => tlv(0xa0 + n, content);
const octets = (content: Buffer) => tlv(0x04, content);
const bits = (content: Buffer, unused = 0) =>
  tlv(0x03, Buffer.concat([Buffer.from([unused]), content]));
const utf8 = (text: string) => tlv(0x0c, Buffer.from(text, 'utf8'));
const TRUE = Buffer.from([0x01, 0x01, 0xff]);
const NULL = Buffer.from([0x05, 0x00]);

/** A positive INTEGER from big-endian magnitude bytes. */
const integer = (magnitude: Buffer): Buffer => {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  return tlv(0x02, trimmed[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
};

const oid = (dotted: string): Buffer => {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const body = [40 * first! + second!];
  for (const arc of rest) {
    const chunk = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) chunk.unshift((v & 0x7f) | 0x80);
    body.push(...chunk);
  }
  return tlv(0x06, Buffer.from(body));
};

// UTCTime up to 2049, GeneralizedTime after, as RFC 5280 requires.
const time = (at: Date): Buffer => {
  const iso = at.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return at.getUTCFullYear() < 2050
    ? tlv(0x17, Buffer.from(iso.slice(2)))
    : tlv(0x18, Buffer.from(iso));
};

const OIDS = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
  extKeyUsage: '2.5.29.37',
  subjectAltName: '2.5.29.17',
  subjectKeyId: '2.5.29.14',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  ecdsaSha256: '1.2.840.10045.4.3.2',
  rsaSha256: '1.2.840.113549.1.1.11',
  ed25519: '1.3.101.112',
} as const;

export interface CertificateRequest {
  readonly commonName: string;
  readonly organization?: string;
  readonly dnsNames?: readonly string[];
  readonly ipAddresses?: readonly string[];
  readonly isCa: boolean;
  readonly uses: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** Big-endian bytes; made positive and at most 20 bytes long. */
  readonly serial: Buffer;
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

const name = (commonName: string, organization?: string): Buffer =>
  sequence(
    ...(organization ? [set(sequence(oid(OIDS.organization), utf8(organization)))] : []),
    set(sequence(oid(OIDS.commonName), utf8(commonName))),
  );

const extension = (id: string, value: Buffer, critical = false): Buffer =>
  sequence(oid(id), ...(critical ? [TRUE] : []), octets(value));

const ipBytes = (address: string): Buffer =>
  address.includes(':')
    ? Buffer.from(expandIpv6(address), 'hex')
    : Buffer.from(address.split('.').map(Number));

const expandIpv6 = (address: string): string => {
  const [head, tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return groups.map((group) => group.padStart(4, '0')).join('');
};

const keyUsageBits = (uses: readonly string[]): Buffer => {
  // Bit 0 is the most significant bit of the first byte (digitalSignature).
  const positions: Record<string, number> = {
    digital_signature: 0,
    content_commitment: 1,
    key_encipherment: 2,
    data_encipherment: 3,
    key_agreement: 4,
    cert_signing: 5,
    crl_signing: 6,
  };
  const set = uses.map((use) => positions[use]).filter((p): p is number => p !== undefined);
  if (set.length === 0) return Buffer.alloc(0);
  const highest = Math.max(...set);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const p of set) bytes[p >> 3]! |= 0x80 >> (p & 7);
  return bits(bytes, 7 - (highest & 7));
};

/** A DER-encoded X.509 v3 certificate, self-signed with `privateKey`. */
export function selfSignedCertificate(request: CertificateRequest): Buffer {
  const keyType = request.privateKey.asymmetricKeyType;
  const algorithm =
    keyType === 'ec'
      ? sequence(oid(OIDS.ecdsaSha256))
      : keyType === 'ed25519'
        ? sequence(oid(OIDS.ed25519))
        : sequence(oid(OIDS.rsaSha256), NULL);
  const spki = request.publicKey.export({ type: 'spki', format: 'der' });
  const subject = name(request.commonName, request.organization);
  const altNames = [
    ...(request.dnsNames ?? []).map((dns) => tlv(0x82, Buffer.from(dns))),
    ...(request.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
  ];
  const extendedUses = [
    ...(request.uses.includes('server_auth') ? [oid(OIDS.serverAuth)] : []),
    ...(request.uses.includes('client_auth') ? [oid(OIDS.clientAuth)] : []),
  ];
  const usage = keyUsageBits([...request.uses, ...(request.isCa ? ['cert_signing'] : [])]);
  const extensions = [
    extension(OIDS.basicConstraints, sequence(...(request.isCa ? [TRUE] : [])), true),
    ...(usage.length > 0 ? [extension(OIDS.keyUsage, usage, true)] : []),
    ...(extendedUses.length > 0 ? [extension(OIDS.extKeyUsage, sequence(...extendedUses))] : []),
    ...(altNames.length > 0 ? [extension(OIDS.subjectAltName, sequence(...altNames))] : []),
    extension(OIDS.subjectKeyId, octets(createHash('sha1').update(spki).digest())),
  ];
  const serial = Buffer.from(request.serial.subarray(0, 20));
  serial[0]! &= 0x7f;
  const tbs = sequence(
    explicit(0, integer(Buffer.from([2]))),
    integer(serial),
    algorithm,
    subject,
    sequence(time(request.notBefore), time(request.notAfter)),
    subject,
    spki,
    explicit(3, sequence(...extensions)),
  );
  const signature = sign(keyType === 'ed25519' ? null : 'sha256', tbs, request.privateKey);
  return sequence(tbs, algorithm, bits(signature));
}

export const pem = (label: string, der: Buffer): string =>
  `-----BEGIN ${label}-----\n${der
    .toString('base64')
    .replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
