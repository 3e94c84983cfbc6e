/**
 * Keys and signatures with node:crypto: PEM public keys as cosign writes them (`PUBLIC KEY`,
 * SPKI; several blocks in one text are several keys), private keys as PEM PKCS#8
 * (`PRIVATE KEY`) or SEC1 (`EC PRIVATE KEY`), cosign's encrypted `cosign.key` (cosignkey.ts),
 * signing (ECDSA P-256 with SHA-256, DER, base64, as cosign does) and verifying.
 *
 * @example
 * const [key] = parsePublicKeys(readFileSync('cosign.pub', 'utf8'), 'cosign.pub');
 * verifySignature(payload, layer.signature, key) // true or false
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { isCosignKey, openCosignKey } from './cosignkey.ts';
import { SignatureError } from './errors.ts';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** A trusted key and a short id for messages and the cache (sha256 of its SPKI DER). */
export interface PublicKey {
  key: KeyObject;
  id: string;
}

export function keyId(key: KeyObject): string {
  const der = key.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

function badKey(what: string, why: string, cause?: unknown): SignatureError {
  return new SignatureError('InvalidKey', `${what}: ${why}`, {
    hint: 'give a PEM public key as `cosign generate-key-pair` or `sluice image generate-key-pair` writes it (-----BEGIN PUBLIC KEY-----)',
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** Every `PUBLIC KEY` block of a PEM text; InvalidKey when there is none or one is unusable. */
export function parsePublicKeys(pem: string, what: string): PublicKey[] {
  const out: PublicKey[] = [];
  for (const m of pem.matchAll(PEM_BLOCK)) {
    if (m[1] !== 'PUBLIC KEY') continue;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: m[0], format: 'pem' });
    } catch (err) {
      throw badKey(what, `a PUBLIC KEY block does not parse (${(err as Error).message})`, err);
    }
    out.push({ key, id: keyId(key) });
  }
  if (out.length === 0) throw badKey(what, 'no PEM public key (-----BEGIN PUBLIC KEY-----)');
  return out;
}

/** The digest algorithm node:crypto wants for a key: none for Ed25519, SHA-256 otherwise. */
const algorithmFor = (key: KeyObject): string | null =>
  key.asymmetricKeyType === 'ed25519' ? null : 'sha256';

/** Signs `payload` (ECDSA: DER-encoded, as cosign writes it); answers base64. */
export function signPayload(payload: Buffer, key: KeyObject): string {
  return sign(algorithmFor(key), payload, key).toString('base64');
}

/** True when `signature` (base64) is `key`'s signature of `payload`. */
export function verifySignature(payload: Buffer, signature: string, key: KeyObject): boolean {
  const sig = Buffer.from(signature, 'base64');
  if (sig.length === 0) return false;
  try {
    return verify(algorithmFor(key), payload, key, sig);
  } catch {
    return false;
  }
}

/**
 * A signing key from a file's text: PEM PKCS#8 / SEC1 (unencrypted), or cosign's encrypted
 * `cosign.key` opened with `password` (COSIGN_PASSWORD).
 */
export function loadPrivateKey(text: string, what: string, password?: string): KeyObject {
  if (isCosignKey(text)) {
    if (password === undefined)
      throw new SignatureError(
        'InvalidKey',
        `${what}: an encrypted cosign key needs its password`,
        {
          hint: 'set COSIGN_PASSWORD (empty if the key was made without one)',
        },
      );
    return openCosignKey(text, password, what);
  }
  const block = [...text.matchAll(PEM_BLOCK)].find((m) =>
    ['PRIVATE KEY', 'EC PRIVATE KEY'].includes(m[1] ?? ''),
  );
  if (!block)
    throw new SignatureError('InvalidKey', `${what}: no PEM private key`, {
      hint: 'give cosign.key (with COSIGN_PASSWORD) or an unencrypted PEM key (-----BEGIN PRIVATE KEY-----), e.g. from `sluice image generate-key-pair`',
    });
  try {
    return createPrivateKey({ key: block[0], format: 'pem' });
  } catch (err) {
    throw new SignatureError(
      'InvalidKey',
      `${what}: the private key does not parse (${(err as Error).message})`,
      {
        hint: 'an encrypted PEM key is not supported: give it unencrypted, or as cosign.key',
        cause: err,
      },
    );
  }
}

/** A new ECDSA P-256 key pair as PEM: PKCS#8 private key, SPKI public key (cosign.pub). */
export function generateKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  return { privateKey, publicKey };
}

/** The public half of a private key, as PEM. */
export function publicKeyPem(key: KeyObject): string {
  return createPublicKey(key).export({ type: 'spki', format: 'pem' }).toString();
}
