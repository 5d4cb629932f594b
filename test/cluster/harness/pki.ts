/**
 * Just enough X.509 to run a throwaway control plane: a CA and certificates it signs, made with
 * node:crypto (ECDSA P-256 keys, SHA-256 signatures) and a small DER encoder, so the test harness
 * needs no openssl binary. Not for production use: no revocation, no policy, fixed lifetimes.
 */
import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { isIP } from 'node:net';

// ---- DER -------------------------------------------------------------------------------------------

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tlv(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const explicit = (n: number, inner: Buffer): Buffer => tlv(0xa0 + n, inner);
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));

function unsignedInt(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  let v = b.subarray(i);
  if ((v[0] ?? 0) & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
  return tlv(0x02, v);
}

function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const [a = 0, b = 0, ...rest] = parts;
  const out: number[] = [a * 40 + b];
  for (const p of rest) {
    const chunk: number[] = [p & 0x7f];
    for (let v = Math.floor(p / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

function time(d: Date): Buffer {
  const iso = d.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = iso.slice(0, 19).replace(/[-T:]/g, ''); // YYYYMMDDHHMMSS
  const year = d.getUTCFullYear();
  // RFC 5280: UTCTime through 2049, GeneralizedTime from 2050.
  return year < 2050 ? tlv(0x17, Buffer.from(`${digits.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${digits}Z`));
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
} as const;

function name(commonName: string, organizations: readonly string[] = []): Buffer {
  const rdns = organizations.map((o) => set(seq(oid(OID.organization), utf8(o))));
  rdns.push(set(seq(oid(OID.commonName), utf8(commonName))));
  return seq(...rdns);
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  return critical ? seq(oid(id), bool(true), octets(value)) : seq(oid(id), octets(value));
}

function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split('.').map(Number));
  // IPv6: expand "::" and write eight 16-bit groups.
  const [head = '', tail = ''] = ip.split('::');
  const h = head ? head.split(':') : [];
  const t = ip.includes('::') && tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...h, ...Array(8 - h.length - t.length).fill('0'), ...t] : h;
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => {
    out.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  return out;
}

function keyId(publicKey: KeyObject): Buffer {
  // RFC 5280 method 1: SHA-1 of the subjectPublicKey BIT STRING contents. For a P-256 SPKI the key
  // bits are the trailing 65 bytes (uncompressed point).
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha1')
    .update(spki.subarray(spki.length - 65))
    .digest();
}

// ---- certificates ----------------------------------------------------------------------------------

export interface KeyPairPem {
  /** PEM "CERTIFICATE" */
  cert: string;
  /** PEM PKCS#8 "PRIVATE KEY" */
  key: string;
}

export interface CertificateAuthority extends KeyPairPem {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly subject: Buffer;
}

export interface LeafOptions {
  commonName: string;
  organizations?: readonly string[];
  /** DNS names and IP addresses for subjectAltName. */
  hosts?: readonly string[];
  server?: boolean;
  client?: boolean;
  validDays?: number;
}

function toPem(label: string, der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

function serial(): Buffer {
  const s = randomBytes(16);
  s[0] = ((s[0] ?? 1) & 0x7f) | 0x01;
  return s;
}

function certificate(opts: {
  subject: Buffer;
  issuer: Buffer;
  subjectKey: KeyObject;
  signingKey: KeyObject;
  extensions: Buffer[];
  validDays: number;
}): Buffer {
  const sigAlg = seq(oid(OID.ecdsaWithSha256));
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(Date.now() + opts.validDays * 24 * 60 * 60 * 1000);
  const spki = opts.subjectKey.export({ type: 'spki', format: 'der' });
  const tbs = seq(
    explicit(0, tlv(0x02, Buffer.from([2]))), // v3
    unsignedInt(serial()),
    sigAlg,
    opts.issuer,
    seq(time(notBefore), time(notAfter)),
    opts.subject,
    spki,
    explicit(3, seq(...opts.extensions)),
  );
  const signature = sign('sha256', tbs, opts.signingKey);
  return seq(tbs, sigAlg, bits(signature));
}

function newKey(): { privateKey: KeyObject; publicKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

export function createCertificateAuthority(commonName: string, validDays = 7): CertificateAuthority {
  const { privateKey, publicKey } = newKey();
  const subject = name(commonName);
  const der = certificate({
    subject,
    issuer: subject,
    subjectKey: publicKey,
    signingKey: privateKey,
    validDays,
    extensions: [
      extension(OID.basicConstraints, true, seq(bool(true))),
      // digitalSignature | keyCertSign | cRLSign
      extension(OID.keyUsage, true, bits(Buffer.from([0x86]))),
      extension(OID.subjectKeyIdentifier, false, octets(keyId(publicKey))),
    ],
  });
  return {
    cert: toPem('CERTIFICATE', der),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey,
    publicKey,
    subject,
  };
}

export function issueCertificate(ca: CertificateAuthority, opts: LeafOptions): KeyPairPem {
  const { privateKey, publicKey } = newKey();
  const purposes: string[] = [];
  if (opts.server ?? true) purposes.push(OID.serverAuth);
  if (opts.client) purposes.push(OID.clientAuth);
  const extensions = [
    extension(OID.basicConstraints, true, seq()),
    // digitalSignature | keyEncipherment
    extension(OID.keyUsage, true, bits(Buffer.from([0xa0]))),
    extension(OID.extKeyUsage, false, seq(...purposes.map(oid))),
    extension(OID.authorityKeyIdentifier, false, seq(tlv(0x80, keyId(ca.publicKey)))),
  ];
  const hosts = opts.hosts ?? [];
  if (hosts.length > 0) {
    const names = hosts.map((h) => (isIP(h) ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h, 'ascii'))));
    extensions.push(extension(OID.subjectAltName, false, seq(...names)));
  }
  const der = certificate({
    subject: name(opts.commonName, opts.organizations),
    issuer: ca.subject,
    subjectKey: publicKey,
    signingKey: ca.privateKey,
    validDays: opts.validDays ?? 7,
    extensions,
  });
  return {
    cert: toPem('CERTIFICATE', der),
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

/** A key pair for signing service-account tokens: private PKCS#8 and public SPKI, both PEM. */
export function createServiceAccountKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey } = newKey();
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString(),
  };
}
