/**
 * Sealing keys: an RSA key pair and a self-signed certificate carrying its public half (what
 * kubeseal's `--cert` reads). Keys are generated here, read back from PEM (the `tls.crt` /
 * `tls.key` of a key Secret, or a recovery file), named by kubeseal's fingerprint (SSH-style
 * `SHA256:` of the public key) and ordered: the newest key seals, every key unseals.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  randomBytes,
  sign,
  X509Certificate,
  type KeyObject,
} from 'node:crypto';
import * as der from './der.ts';
import { SealedError } from './errors.ts';

/** A public key to seal with, from a certificate. */
export interface SealingCertificate {
  publicKey: KeyObject;
  fingerprint: string;
  certificatePem: string;
  notBefore: Date;
  notAfter: Date;
}

/** A key pair that unseals (and, when newest, seals). */
export interface SealingKey extends SealingCertificate {
  privateKey: KeyObject;
  /** Where the key came from (`Secret/sluice-system/sealed-secrets-keyx2b9q`, a file name). */
  source: string;
}

export interface GenerateKeyOptions {
  /** RSA modulus size; Sealed Secrets uses 4096 (tests may use 2048 for speed). */
  bits?: number;
  now?: Date;
  /** How long the certificate is valid (Sealed Secrets: 10 years). */
  validityDays?: number;
  commonName?: string;
  source?: string;
}

const DAY_MS = 86_400_000;

/** kubeseal's key name: SHA-256 of the public key in SSH wire format, `SHA256:<base64>`. */
export function fingerprint(publicKey: KeyObject): string {
  const jwk = publicKey.export({ format: 'jwk' });
  if (jwk.n === undefined || jwk.e === undefined) {
    throw new SealedError('CertificateInvalid', 'the key is not an RSA key');
  }
  const field = (b: Buffer): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return Buffer.concat([len, b]);
  };
  const mpint = (b64url: string): Buffer => {
    const raw = Buffer.from(b64url, 'base64url');
    return field((raw[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.of(0), raw]) : raw);
  };
  const wire = Buffer.concat([field(Buffer.from('ssh-rsa')), mpint(jwk.e), mpint(jwk.n)]);
  return `SHA256:${createHash('sha256').update(wire).digest('base64').replace(/=+$/, '')}`;
}

/** A new key pair and its self-signed certificate. Takes a second or two at 4096 bits. */
/** A new key pair and its self-signed certificate. Takes a second or two at 4096 bits. */
export async function generateSealingKey(options: GenerateKeyOptions = {}): Promise<SealingKey> {
  const now = options.now ?? new Date();
  const { privateKey, publicKey } = await generateRsa(options.bits ?? 4096);
  const cn = options.commonName ?? 'sealed-secret';
  const name = der.sequence(
    der.set(der.sequence(der.oid(OID.commonName), der.utf8String(cn))),
    der.set(der.sequence(der.oid(OID.organization), der.utf8String(cn))),
  );
  const sha256WithRsa = der.sequence(der.oid(OID.sha256WithRsa), der.nullValue());
  const serial = randomBytes(16);
  serial[0] = ((serial[0] ?? 0) & 0x7f) | 0x01;
  const tbs = der.sequence(
    der.explicit(0, der.smallInteger(2)),
    der.unsignedInteger(serial),
    sha256WithRsa,
    name,
    der.sequence(
      der.time(now),
      der.time(new Date(now.getTime() + (options.validityDays ?? 3650) * DAY_MS)),
    ),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    der.explicit(
      3,
      der.sequence(
        der.sequence(
          der.oid(OID.basicConstraints),
          der.boolean(true),
          der.octetString(der.sequence(der.boolean(true))),
        ),
        der.sequence(
          der.oid(OID.keyUsage),
          der.boolean(true),
          // digitalSignature (bit 0), keyEncipherment (2), keyCertSign (5): 1010 0100, 2 unused
          der.octetString(der.bitString(Buffer.of(0xa4), 2)),
        ),
      ),
    ),
  );
  const signature = sign('sha256', tbs, privateKey);
  const cert = der.sequence(tbs, sha256WithRsa, der.bitString(signature));
  const pem = `-----BEGIN CERTIFICATE-----\n${cert.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  return { ...parseCertificate(pem), privateKey, source: options.source ?? 'generated' };
}

const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  basicConstraints: '2.5.29.19',
  keyUsage: '2.5.29.15',
};

function generateRsa(bits: number): Promise<{ privateKey: KeyObject; publicKey: KeyObject }> {
  return new Promise((resolve, reject) =>
    generateKeyPair(
      'rsa',
      { modulusLength: bits, publicExponent: 65537 },
      (err, publicKey, privateKey) => (err ? reject(err) : resolve({ publicKey, privateKey })),
    ),
  );
}

/** The first certificate of a PEM bundle, as a key to seal with. */
export function parseCertificate(
  pem: string | Buffer,
  what = 'the certificate',
): SealingCertificate {
  const text = pem.toString();
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)?.[0];
  if (!block) {
    throw new SealedError('CertificateInvalid', `${what} holds no PEM certificate`, {
      hint: 'pass the controller certificate (`sluice seal --fetch-cert`, or GET /v1/cert.pem)',
    });
  }
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(block);
  } catch (err) {
    throw new SealedError('CertificateInvalid', `${what} cannot be parsed: ${String(err)}`, {
      cause: err,
    });
  }
  const publicKey = cert.publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') {
    throw new SealedError(
      'CertificateInvalid',
      `${what} holds a ${publicKey.asymmetricKeyType ?? 'non-RSA'} key; sealing needs an RSA key`,
    );
  }
  return {
    publicKey,
    fingerprint: fingerprint(publicKey),
    certificatePem: `${block}\n`,
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
  };
}

/** Refuses a certificate past its end date, as kubeseal does. */
export function assertNotExpired(
  cert: SealingCertificate,
  now = new Date(),
  what = 'the certificate',
): void {
  if (now.getTime() > cert.notAfter.getTime()) {
    throw new SealedError(
      'CertificateExpired',
      `${what} (${cert.fingerprint}) expired on ${cert.notAfter.toISOString()}; nothing was sealed`,
      {
        hint: 'fetch the controller’s current certificate (`sluice seal --fetch-cert`) and seal again',
      },
    );
  }
}

/** An RSA private key from PEM (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`). */
export function parsePrivateKey(pem: string | Buffer, what = 'the private key'): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(pem);
  } catch (err) {
    throw new SealedError('PrivateKeyInvalid', `${what} is not a PEM private key`, { cause: err });
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new SealedError('PrivateKeyInvalid', `${what} is not an RSA key`);
  }
  return key;
}

/** A key pair from a key Secret's `tls.crt` and `tls.key`; the two must belong together. */
export function sealingKeyFromPem(certPem: string, keyPem: string, source: string): SealingKey {
  const cert = parseCertificate(certPem, `${source} tls.crt`);
  const privateKey = parsePrivateKey(keyPem, `${source} tls.key`);
  if (fingerprint(createPublicKey(privateKey)) !== cert.fingerprint) {
    throw new SealedError(
      'PrivateKeyInvalid',
      `${source}: tls.key does not belong to the certificate in tls.crt`,
    );
  }
  return { ...cert, privateKey, source };
}

/** A key known only by its private half (a recovery file): the certificate fields are made up. */
export function sealingKeyFromPrivateKey(privateKey: KeyObject, source: string): SealingKey {
  const publicKey = createPublicKey(privateKey);
  return {
    publicKey,
    privateKey,
    fingerprint: fingerprint(publicKey),
    certificatePem: '',
    notBefore: new Date(0),
    notAfter: new Date(8.64e15),
    source,
  };
}

/** The PEM texts a key Secret stores (`tls.key` as PKCS#1, as Sealed Secrets writes it). */
export function keyPem(key: SealingKey): { cert: string; key: string } {
  return {
    cert: key.certificatePem,
    key: key.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
  };
}

/** Newest first (by the certificate's start), the order keys are tried and the first seals. */
export function newestFirst<K extends SealingCertificate>(keys: readonly K[]): K[] {
  return [...keys].sort((a, b) => b.notBefore.getTime() - a.notBefore.getTime());
}
