/**
 * cosign's encrypted private key file (`cosign.key`): a PEM block `ENCRYPTED SIGSTORE PRIVATE
 * KEY` (older cosign: `ENCRYPTED COSIGN PRIVATE KEY`) whose body is JSON — scrypt parameters and
 * salt, a nacl/secretbox nonce and the ciphertext of the PKCS#8 DER key. scrypt comes from
 * node:crypto; secretbox (XSalsa20 + Poly1305) is written here from its definition, as node:crypto
 * has no Salsa20.
 *
 * @example
 * const key = openCosignKey(readFileSync('cosign.key', 'utf8'), process.env.COSIGN_PASSWORD ?? '', 'cosign.key');
 */
import {
  createPrivateKey,
  randomBytes,
  scryptSync,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { SignatureError } from './errors.ts';

const TYPES = ['ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY'];
const BLOCK =
  /-----BEGIN (ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY)-----([\s\S]*?)-----END \1-----/;

export function isCosignKey(text: string): boolean {
  return TYPES.some((t) => text.includes(`-----BEGIN ${t}-----`));
}

// ---- Salsa20 / XSalsa20 ------------------------------------------------------------------------
const SIGMA = [0x61707865, 0x3320646e, 0x79622d32, 0x6b206574];
const rotl = (v: number, c: number): number => ((v << c) | (v >>> (32 - c))) >>> 0;

/** Salsa20's 20 rounds over 16 words, in place. */
function rounds(x: Uint32Array): void {
  const qr = (a: number, b: number, c: number, d: number): void => {
    x[b] = (x[b]! ^ rotl((x[a]! + x[d]!) >>> 0, 7)) >>> 0;
    x[c] = (x[c]! ^ rotl((x[b] + x[a]!) >>> 0, 9)) >>> 0;
    x[d] = (x[d]! ^ rotl((x[c] + x[b]) >>> 0, 13)) >>> 0;
    x[a] = (x[a]! ^ rotl((x[d] + x[c]) >>> 0, 18)) >>> 0;
  };
  for (let i = 0; i < 10; i++) {
    qr(0, 4, 8, 12);
    qr(5, 9, 13, 1);
    qr(10, 14, 2, 6);
    qr(15, 3, 7, 11);
    qr(0, 1, 2, 3);
    qr(5, 6, 7, 4);
    qr(10, 11, 8, 9);
    qr(15, 12, 13, 14);
  }
}

/** The input block: constants, key, and 16 bytes of nonce/counter. */
function block(key: Buffer, middle: Buffer): Uint32Array {
  const s = new Uint32Array(16);
  s[0] = SIGMA[0]!;
  s[5] = SIGMA[1]!;
  s[10] = SIGMA[2]!;
  s[15] = SIGMA[3]!;
  for (let i = 0; i < 4; i++) {
    s[1 + i] = key.readUInt32LE(i * 4);
    s[11 + i] = key.readUInt32LE(16 + i * 4);
    s[6 + i] = middle.readUInt32LE(i * 4);
  }
  return s;
}

/** HSalsa20: a subkey from a key and the first 16 bytes of a 24-byte nonce. */
function hsalsa20(key: Buffer, nonce16: Buffer): Buffer {
  const x = block(key, nonce16);
  rounds(x);
  const out = Buffer.alloc(32);
  [0, 5, 10, 15, 6, 7, 8, 9].forEach((w, i) => out.writeUInt32LE(x[w]!, i * 4));
  return out;
}

/** `length` bytes of XSalsa20 key stream. */
function xsalsa20Stream(key: Buffer, nonce: Buffer, length: number): Buffer {
  const sub = hsalsa20(key, nonce.subarray(0, 16));
  const out = Buffer.alloc(Math.ceil(length / 64) * 64);
  const middle = Buffer.alloc(16);
  nonce.copy(middle, 0, 16, 24);
  for (let counter = 0; counter * 64 < length; counter++) {
    middle.writeUInt32LE(counter >>> 0, 8);
    middle.writeUInt32LE(Math.floor(counter / 2 ** 32), 12);
    const input = block(sub, middle);
    const x = Uint32Array.from(input);
    rounds(x);
    for (let i = 0; i < 16; i++) out.writeUInt32LE((x[i]! + input[i]!) >>> 0, counter * 64 + i * 4);
  }
  return out.subarray(0, length);
}

// ---- Poly1305 ----------------------------------------------------------------------------------
const P1305 = (1n << 130n) - 5n;
const le = (b: Buffer): bigint => {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]!);
  return n;
};

/** The Poly1305 tag of `msg` under a one-time 32-byte key. */
export function poly1305(key: Buffer, msg: Buffer): Buffer {
  const r = le(key.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn;
  const s = le(key.subarray(16, 32));
  let acc = 0n;
  for (let i = 0; i < msg.length; i += 16) {
    const chunk = msg.subarray(i, i + 16);
    acc = ((acc + le(chunk) + (1n << BigInt(8 * chunk.length))) * r) % P1305;
  }
  let tag = (acc + s) & ((1n << 128n) - 1n);
  const out = Buffer.alloc(16);
  for (let i = 0; i < 16; i++) {
    out[i] = Number(tag & 0xffn);
    tag >>= 8n;
  }
  return out;
}

// ---- secretbox ---------------------------------------------------------------------------------
/** nacl secretbox: tag (16 bytes) then ciphertext. */
export function secretboxSeal(message: Buffer, nonce: Buffer, key: Buffer): Buffer {
  const stream = xsalsa20Stream(key, nonce, 32 + message.length);
  const c = Buffer.alloc(message.length);
  for (let i = 0; i < message.length; i++) c[i] = message[i]! ^ stream[32 + i]!;
  return Buffer.concat([poly1305(stream.subarray(0, 32), c), c]);
}

/** Opens a secretbox; undefined when the tag does not match (wrong key or password). */
export function secretboxOpen(box: Buffer, nonce: Buffer, key: Buffer): Buffer | undefined {
  if (box.length < 16) return undefined;
  const tag = box.subarray(0, 16);
  const c = box.subarray(16);
  const stream = xsalsa20Stream(key, nonce, 32 + c.length);
  if (!timingSafeEqual(poly1305(stream.subarray(0, 32), c), tag)) return undefined;
  const m = Buffer.alloc(c.length);
  for (let i = 0; i < c.length; i++) m[i] = c[i]! ^ stream[32 + i]!;
  return m;
}

// ---- the key file ------------------------------------------------------------------------------
interface EncryptedKey {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

function derive(password: string, kdf: EncryptedKey['kdf']): Buffer {
  const { N, r, p } = kdf.params;
  return scryptSync(Buffer.from(password), Buffer.from(kdf.salt, 'base64'), 32, {
    N,
    r,
    p,
    maxmem: 256 * N * r * p + 1024 * 1024,
  });
}

function bad(what: string, why: string): SignatureError {
  return new SignatureError('InvalidKey', `${what}: ${why}`, {
    hint: 'give the cosign.key that `cosign generate-key-pair` wrote, with its password in COSIGN_PASSWORD',
  });
}

/** The private key inside a cosign.key text. */
export function openCosignKey(text: string, password: string, what: string): KeyObject {
  const m = BLOCK.exec(text);
  if (!m) throw bad(what, 'not an encrypted cosign key');
  let doc: EncryptedKey;
  try {
    doc = JSON.parse(
      Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64').toString('utf8'),
    ) as EncryptedKey;
  } catch {
    throw bad(what, 'the PEM body is not the JSON cosign writes');
  }
  if (doc.kdf?.name !== 'scrypt' || doc.cipher?.name !== 'nacl/secretbox')
    throw bad(
      what,
      `unsupported encryption ${doc.kdf?.name}/${doc.cipher?.name} (want scrypt/nacl/secretbox)`,
    );
  const der = secretboxOpen(
    Buffer.from(doc.ciphertext, 'base64'),
    Buffer.from(doc.cipher.nonce, 'base64'),
    derive(password, doc.kdf),
  );
  if (!der)
    throw new SignatureError('InvalidKey', `${what}: wrong password (the key does not decrypt)`, {
      hint: 'set COSIGN_PASSWORD to the password given to `cosign generate-key-pair`',
    });
  return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
}

/** Writes `key` as cosign.key, encrypted under `password` (scrypt N=32768, r=8, p=1). */
export function sealCosignKey(key: KeyObject, password: string, N = 32768): string {
  const kdf = {
    name: 'scrypt',
    params: { N, r: 8, p: 1 },
    salt: randomBytes(32).toString('base64'),
  };
  const nonce = randomBytes(24);
  const der = key.export({ type: 'pkcs8', format: 'der' });
  const doc: EncryptedKey = {
    kdf,
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: secretboxSeal(der, nonce, derive(password, kdf)).toString('base64'),
  };
  const body = Buffer.from(JSON.stringify(doc))
    .toString('base64')
    .replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n${body.trim()}\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n`;
}
