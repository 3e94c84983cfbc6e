/**
 * One sealed value, byte-compatible with Sealed Secrets' blobs (kubeseal, the bitnami
 * controller). A blob is:
 *
 *     uint16 big-endian  length L of the RSA ciphertext
 *     L bytes            RSA-OAEP(SHA-256, MGF1-SHA-256, label) of a fresh 32-byte session key
 *     rest               AES-256-GCM(session key, 12-byte zero nonce, no AAD) of the value,
 *                        with its 16-byte tag appended
 *
 * The nonce is zero because each session key seals exactly one value. The OAEP label carries the
 * scope (scope.ts), so a blob opens only for the name/namespace it was sealed for. With 4096-bit
 * keys L is 512 (0x0200), so base64 blobs start with "Ag".
 *
 * Opening tries every key, newest first. When none opens a blob, `diagnose` tells apart "one of
 * our keys sealed it, for another label" from "no key of ours sealed it" by decoding the OAEP
 * block by hand (RFC 8017 §7.1.2) and comparing label hashes; that path only ever explains a
 * failure, it never yields plaintext.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createHash,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';

export const SESSION_KEY_BYTES = 32;
const NONCE = Buffer.alloc(12);
const TAG_BYTES = 16;
const HASH_BYTES = 32;

/** The two parts of a blob, or why there are not two parts. */
export type SplitBlob =
  | { ok: true; rsa: Buffer; aes: Buffer }
  | { ok: false; problem: 'too-short' | 'truncated' | 'no-data'; detail: string };

export function splitBlob(blob: Uint8Array): SplitBlob {
  const b = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
  if (b.length < 2)
    return { ok: false, problem: 'too-short', detail: `${b.length} bytes, not even a length` };
  const rsaLen = b.readUInt16BE(0);
  if (b.length < 2 + rsaLen) {
    return {
      ok: false,
      problem: 'truncated',
      detail: `${b.length} bytes, but its length prefix announces ${rsaLen} bytes of RSA ciphertext`,
    };
  }
  const aes = b.subarray(2 + rsaLen);
  if (aes.length < TAG_BYTES) {
    return {
      ok: false,
      problem: 'no-data',
      detail: `${aes.length} bytes after the RSA part, shorter than the 16-byte AES-GCM tag`,
    };
  }
  return { ok: true, rsa: b.subarray(2, 2 + rsaLen), aes };
}

/**
 * Seals `plaintext` for `publicKey` under `label`. `sessionKey` is for tests only (a fixed key
 * gives a fixed AES part); by default a fresh random key is used, as it must be.
 */
export function hybridEncrypt(
  publicKey: KeyObject,
  plaintext: Uint8Array,
  label: Uint8Array,
  sessionKey: Buffer = randomBytes(SESSION_KEY_BYTES),
): Buffer {
  const rsa = publicEncrypt(
    {
      key: publicKey,
      padding: constants.RSA_PKCS1_OAEP_PADDING,
      oaepHash: 'sha256',
      oaepLabel: label,
    },
    sessionKey,
  );
  const cipher = createCipheriv('aes-256-gcm', sessionKey, NONCE);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(rsa.length);
  return Buffer.concat([prefix, rsa, body]);
}

/** The session key under `privateKey` and `label`, or undefined when it does not open. */
export function openSessionKey(
  privateKey: KeyObject,
  rsa: Buffer,
  label: Uint8Array,
): Buffer | undefined {
  try {
    return privateDecrypt(
      {
        key: privateKey,
        padding: constants.RSA_PKCS1_OAEP_PADDING,
        oaepHash: 'sha256',
        oaepLabel: label,
      },
      rsa,
    );
  } catch {
    return undefined;
  }
}

/** The value sealed under `sessionKey`, or undefined when the GCM tag does not verify. */
export function openValue(sessionKey: Buffer, aes: Buffer): Buffer | undefined {
  if (sessionKey.length !== SESSION_KEY_BYTES || aes.length < TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', sessionKey, NONCE);
    decipher.setAuthTag(aes.subarray(aes.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(aes.subarray(0, aes.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}

/** The RSA modulus size of a key in bytes (512 for 4096-bit keys). */
export function modulusBytes(key: KeyObject): number {
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  return Math.ceil(bits / 8);
}

function mgf1(seed: Buffer, length: number): Buffer {
  const out: Buffer[] = [];
  for (let counter = 0; out.length * HASH_BYTES < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    out.push(createHash('sha256').update(seed).update(c).digest());
  }
  return Buffer.concat(out).subarray(0, length);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = (a[i] ?? 0) ^ (b[i] ?? 0);
  return out;
}

/**
 * The hash of the OAEP label `rsa` was made with, if `privateKey` is the key it was made for
 * (the decoded block has OAEP's shape: a zero byte, zero padding, 0x01, a 32-byte session key);
 * undefined otherwise. Explains failures only (see the file's comment).
 */
export function sealedLabelHash(privateKey: KeyObject, rsa: Buffer): Buffer | undefined {
  const k = modulusBytes(privateKey);
  if (rsa.length !== k) return undefined;
  let em: Buffer;
  try {
    em = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, rsa);
  } catch {
    return undefined;
  }
  if (em.length !== k || em[0] !== 0) return undefined;
  const maskedSeed = em.subarray(1, 1 + HASH_BYTES);
  const maskedDb = em.subarray(1 + HASH_BYTES);
  const seed = xor(maskedSeed, mgf1(maskedDb, HASH_BYTES));
  const db = xor(maskedDb, mgf1(seed, maskedDb.length));
  const one = db.length - SESSION_KEY_BYTES - 1;
  if (one < HASH_BYTES || db[one] !== 1) return undefined;
  for (let i = HASH_BYTES; i < one; i++) if (db[i] !== 0) return undefined;
  return db.subarray(0, HASH_BYTES);
}

/** Whether `hash` is SHA-256 of `label`. */
export function isLabelHash(hash: Buffer, label: Uint8Array): boolean {
  return timingSafeEqual(hash, createHash('sha256').update(label).digest());
}
