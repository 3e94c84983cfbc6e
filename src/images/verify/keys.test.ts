import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  openCosignKey,
  poly1305,
  sealCosignKey,
  secretboxOpen,
  secretboxSeal,
} from './cosignkey.ts';
import {
  generateKeyPair,
  loadPrivateKey,
  parsePublicKeys,
  publicKeyPem,
  signPayload,
  verifySignature,
} from './keys.ts';
import { parseSignatureManifest } from './payload.ts';

const testdata = (f: string): string =>
  readFileSync(join(import.meta.dirname, 'testdata', f), 'utf8');

describe('public keys', () => {
  it('reads every PUBLIC KEY block of a PEM text', () => {
    const a = generateKeyPair().publicKey;
    const b = generateKeyPair().publicKey;
    const keys = parsePublicKeys(`# two keys\n${a}\n${b}`, 'cosign.pub');
    expect(keys).toHaveLength(2);
    expect(keys[0]?.id).toMatch(/^[0-9a-f]{16}$/);
    expect(keys[0]?.id).not.toBe(keys[1]?.id);
  });

  it.each([
    ['no PEM', 'hello', /cosign.pub: no PEM public key/],
    ['a private key only', generateKeyPair().privateKey, /no PEM public key/],
    [
      'a broken block',
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----',
      /does not parse/,
    ],
  ])('refuses %s, naming the source', (_what, pem, message) => {
    expect(() => parsePublicKeys(pem, 'cosign.pub')).toThrow(message);
  });
});

describe('signatures', () => {
  it('verifies a signature the real cosign made', () => {
    const payload = readFileSync(join(import.meta.dirname, 'testdata', 'cosign-payload.bin'));
    const manifest = readFileSync(join(import.meta.dirname, 'testdata', 'cosign-sig-manifest.bin'));
    const [layer] = parseSignatureManifest(manifest);
    const [key] = parsePublicKeys(testdata('cosign-signer.pub'), 'signer');
    expect(verifySignature(payload, layer?.signature ?? '', key!.key)).toBe(true);
    expect(
      verifySignature(Buffer.concat([payload, Buffer.from(' ')]), layer?.signature ?? '', key!.key),
    ).toBe(false);
    const [other] = parsePublicKeys(testdata('cosign-made.pub'), 'other');
    expect(verifySignature(payload, layer?.signature ?? '', other!.key)).toBe(false);
  });

  it.each(['ec', 'ed25519', 'rsa'] as const)('signs and verifies with %s keys', (type) => {
    const { privateKey, publicKey } =
      type === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : type === 'rsa'
          ? generateKeyPairSync('rsa', { modulusLength: 2048 })
          : generateKeyPairSync('ed25519');
    const payload = Buffer.from('{"critical":{}}');
    const sig = signPayload(payload, privateKey);
    expect(verifySignature(payload, sig, publicKey)).toBe(true);
    expect(verifySignature(Buffer.from('{}'), sig, publicKey)).toBe(false);
    expect(verifySignature(payload, '', publicKey)).toBe(false);
    expect(verifySignature(payload, 'not base64 at all!', publicKey)).toBe(false);
  });
});

describe('private keys', () => {
  it('reads PKCS#8 and SEC1 PEM keys', () => {
    const { privateKey } = generateKeyPair();
    const key = loadPrivateKey(privateKey, 'k.pem');
    const sec1 = key.export({ type: 'sec1', format: 'pem' }).toString();
    expect(publicKeyPem(loadPrivateKey(sec1, 'k.pem'))).toBe(publicKeyPem(key));
  });

  it('opens the cosign.key the real cosign wrote (scrypt + nacl secretbox)', () => {
    const key = loadPrivateKey(testdata('cosign-made.key'), 'cosign.key', 'pw');
    expect(publicKeyPem(key)).toBe(testdata('cosign-made.pub'));
  });

  it.each([
    ['a wrong password', 'nope', /cosign.key: wrong password/],
    ['no password', undefined, /needs its password/],
  ])('refuses cosign.key with %s', (_what, password, message) => {
    expect(() => loadPrivateKey(testdata('cosign-made.key'), 'cosign.key', password)).toThrow(
      message,
    );
  });

  it('refuses text without a private key', () => {
    expect(() => loadPrivateKey(generateKeyPair().publicKey, 'k.pub')).toThrow(
      /k.pub: no PEM private key/,
    );
  });

  it('writes cosign.key that it reads back', () => {
    const key = loadPrivateKey(generateKeyPair().privateKey, 'k');
    const sealed = sealCosignKey(key, 'secret', 1024);
    expect(sealed).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    expect(publicKeyPem(openCosignKey(sealed, 'secret', 'k'))).toBe(publicKeyPem(key));
  });
});

describe('secretbox pieces', () => {
  it('computes Poly1305 as RFC 8439 §2.5.2 says', () => {
    const key = Buffer.from(
      '85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b',
      'hex',
    );
    expect(poly1305(key, Buffer.from('Cryptographic Forum Research Group')).toString('hex')).toBe(
      'a8061dc1305136c6c22b8baf0c0127a9',
    );
  });

  it('opens what it seals, and nothing tampered with', () => {
    const key = Buffer.alloc(32, 1);
    const nonce = Buffer.alloc(24, 2);
    const message = Buffer.alloc(200, 7); // several 64-byte blocks
    const box = secretboxSeal(message, nonce, key);
    expect(secretboxOpen(box, nonce, key)?.equals(message)).toBe(true);
    box[20] = (box[20] ?? 0) ^ 1;
    expect(secretboxOpen(box, nonce, key)).toBeUndefined();
  });
});
