import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { pem, selfSignedCertificate } from './x509.js';
import { isObject, type ObjectValue } from './values.js';

const CURVES: Record<string, string> = {
  P224: 'P-224',
  P256: 'prime256v1',
  P384: 'secp384r1',
  P521: 'secp521r1',
};
const SSH_CURVES: Record<string, string> = { P256: 'nistp256', P384: 'nistp384', P521: 'nistp521' };

/** The computed values of a tls_* resource: real keys and certificates, made with node:crypto. */
export function completeTls(type: string, value: ObjectValue): ObjectValue {
  if (type === 'tls_private_key') return privateKey(value);
  if (type === 'tls_self_signed_cert') return certificate(value);
  return {};
}

function privateKey(value: ObjectValue): ObjectValue {
  const algorithm = String(value.algorithm);
  const curve = typeof value.ecdsa_curve === 'string' ? value.ecdsa_curve : 'P224';
  const rsaBits = typeof value.rsa_bits === 'number' ? value.rsa_bits : 2048;
  const { privateKey: key, publicKey } =
    algorithm === 'RSA'
      ? generateKeyPairSync('rsa', { modulusLength: rsaBits })
      : algorithm === 'ECDSA'
        ? generateKeyPairSync('ec', { namedCurve: CURVES[curve] ?? 'P-224' })
        : generateKeyPairSync('ed25519');
  const ssh = sshPublicKey(algorithm, curve, publicKey);
  const privatePem =
    algorithm === 'RSA'
      ? (key.export({ type: 'pkcs1', format: 'pem' }) as string)
      : algorithm === 'ECDSA'
        ? (key.export({ type: 'sec1', format: 'pem' }) as string)
        : (key.export({ type: 'pkcs8', format: 'pem' }) as string);
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  return {
    id: createHash('sha1')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex'),
    ecdsa_curve: curve,
    rsa_bits: rsaBits,
    private_key_pem: privatePem,
    private_key_pem_pkcs8: key.export({ type: 'pkcs8', format: 'pem' }) as string,
    private_key_openssh: '',
    public_key_pem: publicPem,
    public_key_openssh: ssh ? `${ssh.prefix} ${ssh.blob.toString('base64')}\n` : '',
    public_key_fingerprint_md5: ssh
      ? createHash('md5').update(ssh.blob).digest('hex').match(/../g)!.join(':')
      : '',
    public_key_fingerprint_sha256: ssh
      ? `SHA256:${createHash('sha256').update(ssh.blob).digest('base64').replace(/=+$/, '')}`
      : '',
  };
}

// The SSH wire form of a public key (RFC 4253 §6.6, RFC 5656 §3.1, RFC 8709 §4).
function sshPublicKey(
  algorithm: string,
  curve: string,
  key: KeyObject,
): { prefix: string; blob: Buffer } | undefined {
  const field = (data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, data]);
  };
  const mpint = (data: Buffer) =>
    field(data[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), data]) : data);
  const jwk = key.export({ format: 'jwk' });
  const b64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64url');
  if (algorithm === 'RSA') {
    const blob = Buffer.concat([
      field(Buffer.from('ssh-rsa')),
      mpint(b64(jwk.e)),
      mpint(b64(jwk.n)),
    ]);
    return { prefix: 'ssh-rsa', blob };
  }
  if (algorithm === 'ED25519') {
    const blob = Buffer.concat([field(Buffer.from('ssh-ed25519')), field(b64(jwk.x))]);
    return { prefix: 'ssh-ed25519', blob };
  }
  const sshCurve = SSH_CURVES[curve];
  if (!sshCurve) return undefined; // OpenSSH has no P-224 keys.
  const prefix = `ecdsa-sha2-${sshCurve}`;
  const point = Buffer.concat([Buffer.from([4]), b64(jwk.x), b64(jwk.y)]);
  return {
    prefix,
    blob: Buffer.concat([field(Buffer.from(prefix)), field(Buffer.from(sshCurve)), field(point)]),
  };
}

function certificate(value: ObjectValue): ObjectValue {
  const key = createPrivateKey(String(value.private_key_pem));
  const subject =
    Array.isArray(value.subject) && isObject(value.subject[0]!) ? value.subject[0] : {};
  const strings = (list: unknown) =>
    Array.isArray(list) ? list.filter((s): s is string => typeof s === 'string') : [];
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
  const hours = typeof value.validity_period_hours === 'number' ? value.validity_period_hours : 24;
  const notAfter = new Date(notBefore.getTime() + hours * 3_600_000);
  const serial = randomBytes(16);
  const isCa = value.is_ca_certificate === true;
  const der = selfSignedCertificate({
    commonName: typeof subject.common_name === 'string' ? subject.common_name : '',
    ...(typeof subject.organization === 'string' ? { organization: subject.organization } : {}),
    dnsNames: strings(value.dns_names),
    ipAddresses: strings(value.ip_addresses),
    isCa,
    uses: strings(value.allowed_uses),
    notBefore,
    notAfter,
    serial,
    publicKey: createPublicKey(key),
    privateKey: key,
  });
  serial[0]! &= 0x7f;
  const keyType = key.asymmetricKeyType;
  return {
    id: BigInt(`0x${serial.toString('hex')}`).toString(),
    cert_pem: pem('CERTIFICATE', der),
    key_algorithm: keyType === 'ec' ? 'ECDSA' : keyType === 'ed25519' ? 'ED25519' : 'RSA',
    validity_start_time: notBefore.toISOString().replace('.000', ''),
    validity_end_time: notAfter.toISOString().replace('.000', ''),
    ready_for_renewal: false,
    early_renewal_hours: 0,
    is_ca_certificate: isCa,
    max_path_length: -1,
    set_authority_key_id: false,
    set_subject_key_id: false,
  };
}
