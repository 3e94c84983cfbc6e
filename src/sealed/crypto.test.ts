import { createHash, webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  hybridEncrypt,
  isLabelHash,
  openSessionKey,
  openValue,
  sealedLabelHash,
  splitBlob,
} from './crypto.ts';
import { keyPem } from './keys.ts';
import { testKey } from './testkeys.ts';

const enc = (s: string) => Buffer.from(s, 'utf8');

/** Opens a blob with WebCrypto only: a second implementation of the wire format. */
async function openWithWebCrypto(pkcs8: Buffer, blob: Buffer, label: string): Promise<string> {
  const subtle = webcrypto.subtle;
  const rsaKey = await subtle.importKey(
    'pkcs8',
    pkcs8,
    { name: 'RSA-OAEP', hash: 'SHA-256' },
    false,
    ['decrypt'],
  );
  const len = blob.readUInt16BE(0);
  const sessionKey = await subtle.decrypt(
    { name: 'RSA-OAEP', label: enc(label) },
    rsaKey,
    blob.subarray(2, 2 + len),
  );
  const aesKey = await subtle.importKey('raw', sessionKey, 'AES-GCM', false, ['decrypt']);
  const plain = await subtle.decrypt(
    { name: 'AES-GCM', iv: new Uint8Array(12) },
    aesKey,
    blob.subarray(2 + len),
  );
  return Buffer.from(plain).toString('utf8');
}

describe('hybridEncrypt', () => {
  it('writes the Sealed Secrets layout: 0x0200 prefix and "Ag" with a 4096-bit key', async () => {
    const key = await testKey('big', 4096);
    const blob = hybridEncrypt(key.publicKey, enc('hunter2'), enc('shop/db'));
    expect(blob.readUInt16BE(0)).toBe(512);
    expect(blob.toString('base64').startsWith('Ag')).toBe(true);
    // length prefix + RSA block + plaintext + 16-byte tag
    expect(blob.length).toBe(2 + 512 + 'hunter2'.length + 16);
  });

  it('is opened by an independent implementation (WebCrypto: RSA-OAEP SHA-256 + AES-GCM, zero nonce)', async () => {
    const key = await testKey('a');
    const pkcs8 = key.privateKey.export({ type: 'pkcs8', format: 'der' });
    for (const label of ['shop/db', 'shop', '']) {
      const blob = hybridEncrypt(key.publicKey, enc(`secret for "${label}"`), enc(label));
      expect(await openWithWebCrypto(pkcs8, blob, label)).toBe(`secret for "${label}"`);
    }
  });

  it('uses the AES-GCM zero nonce: a fixed session key gives the AES part WebCrypto computes', async () => {
    const key = await testKey('a');
    const sessionKey = createHash('sha256').update('fixed').digest();
    const blob = hybridEncrypt(key.publicKey, enc('value'), enc(''), sessionKey);
    const aesKey = await webcrypto.subtle.importKey('raw', sessionKey, 'AES-GCM', false, [
      'encrypt',
    ]);
    const expected = await webcrypto.subtle.encrypt(
      { name: 'AES-GCM', iv: new Uint8Array(12) },
      aesKey,
      enc('value'),
    );
    expect(blob.subarray(2 + 256).toString('hex')).toBe(Buffer.from(expected).toString('hex'));
  });

  it('opens what it sealed only with the same label and key', async () => {
    const a = await testKey('a');
    const b = await testKey('b');
    const blob = hybridEncrypt(a.publicKey, enc('v'), enc('ns/name'));
    const parts = splitBlob(blob);
    if (!parts.ok) throw new Error('split');
    const sk = openSessionKey(a.privateKey, parts.rsa, enc('ns/name'));
    expect(sk && openValue(sk, parts.aes)?.toString()).toBe('v');
    expect(openSessionKey(a.privateKey, parts.rsa, enc('ns/other'))).toBeUndefined();
    expect(openSessionKey(b.privateKey, parts.rsa, enc('ns/name'))).toBeUndefined();
  });

  it('keeps keyPem round-trippable (PKCS#1 tls.key)', async () => {
    const a = await testKey('a');
    expect(keyPem(a).key).toMatch(/^-----BEGIN RSA PRIVATE KEY-----/);
  });
});

describe('splitBlob', () => {
  const cases: Array<[string, Buffer, string | undefined]> = [
    ['empty', Buffer.alloc(0), 'too-short'],
    ['one byte', Buffer.of(2), 'too-short'],
    [
      'prefix longer than the blob',
      Buffer.concat([Buffer.of(2, 0), Buffer.alloc(100)]),
      'truncated',
    ],
    ['no room for the tag', Buffer.concat([Buffer.of(0, 4), Buffer.alloc(4 + 15)]), 'no-data'],
    ['well formed', Buffer.concat([Buffer.of(0, 4), Buffer.alloc(4 + 16)]), undefined],
  ];
  it.each(cases)('%s', (_name, blob, problem) => {
    const r = splitBlob(blob);
    expect(r.ok ? undefined : r.problem).toBe(problem);
  });
});

describe('sealedLabelHash', () => {
  it('recovers the label hash with the right key only', async () => {
    const a = await testKey('a');
    const b = await testKey('b');
    const blob = hybridEncrypt(a.publicKey, enc('v'), enc('shop'));
    const parts = splitBlob(blob);
    if (!parts.ok) throw new Error('split');
    const hash = sealedLabelHash(a.privateKey, parts.rsa);
    expect(hash && isLabelHash(hash, enc('shop'))).toBe(true);
    expect(hash && isLabelHash(hash, enc('shop/db'))).toBe(false);
    expect(sealedLabelHash(b.privateKey, parts.rsa)).toBeUndefined();
    const altered = Buffer.from(parts.rsa);
    altered[10] = (altered[10] ?? 0) ^ 1;
    expect(sealedLabelHash(a.privateKey, altered)).toBeUndefined();
  });
});
