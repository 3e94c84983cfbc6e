/**
 * The admission webhook's own TLS: a CA (ECDSA P-256, self-signed, 1 year by default) and a
 * serving certificate it signs for the Service's DNS names (30 days by default). The API server
 * trusts the CA through the ValidatingWebhookConfiguration's `caBundle`. `needsRenewal` says
 * when to rotate: before expiry, when a third of the lifetime is left.
 */
import { webcrypto } from 'node:crypto';
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
import './reflect-shim.ts';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(globalThis.crypto);

const ALG: webcrypto.EcKeyGenParams & webcrypto.EcdsaParams = {
  name: 'ECDSA',
  namedCurve: 'P-256',
  hash: 'SHA-256',
};
const DAY = 86_400_000;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
  notAfter: Date;
  notBefore: Date;
}

export interface IssuedCa extends KeyPairPem {
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

export interface CertOptions {
  now?: Date;
  validityDays?: number;
}

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64.trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

const serial = (): string =>
  Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)))
    .toString('hex')
    .replace(/^[89a-f]/, '1');

/** A new CA for the webhook. */
export async function issueCa(
  commonName = 'sluice-admission-ca',
  o: CertOptions = {},
): Promise<IssuedCa> {
  const now = o.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + (o.validityDays ?? 365) * DAY);
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return {
    cert,
    keys,
    certPem: cert.toString('pem') + '\n',
    keyPem: await keyPem(keys.privateKey),
    notBefore,
    notAfter,
  };
}

/** A serving certificate for the given DNS names (and IP addresses), signed by the CA. */
export async function issueServing(
  ca: IssuedCa,
  names: readonly string[],
  o: CertOptions = {},
): Promise<KeyPairPem> {
  const now = o.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60_000);
  const requested = new Date(now.getTime() + (o.validityDays ?? 30) * DAY);
  const notAfter = requested < ca.notAfter ? requested : ca.notAfter;
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const san = names.map((n) => ({
    type: /^[\d.]+$|:/.test(n) ? ('ip' as const) : ('dns' as const),
    value: n,
  }));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${names[0] ?? 'sluice-admission'}`,
    issuer: ca.cert.subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(san),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return {
    certPem: cert.toString('pem') + '\n',
    keyPem: await keyPem(keys.privateKey),
    notBefore,
    notAfter,
  };
}

/** Whether a certificate should be replaced now: expired, or less than a third of its life left. */
export function needsRenewal(
  c: Pick<KeyPairPem, 'notBefore' | 'notAfter'>,
  now = new Date(),
): boolean {
  const life = c.notAfter.getTime() - c.notBefore.getTime();
  return c.notAfter.getTime() - now.getTime() < life / 3;
}
