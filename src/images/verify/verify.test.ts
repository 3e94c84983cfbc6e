import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { keyId, signPayload, type PublicKey } from './keys.ts';
import { simpleSigningPayload } from './payload.ts';
import type { StoredSignature } from './signatures.ts';
import { assess, satisfied, type AttestorSet } from './verify.ts';

function pair(): { priv: KeyObject; pub: PublicKey } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { priv: privateKey, pub: { key: publicKey, id: keyId(publicKey) } };
}
const alice = pair();
const bob = pair();
const mallory = pair();
const IMAGE = 'localhost:5000/shop/web:v1';
const DIGEST = `sha256:${'1'.repeat(64)}`;
const OTHER = `sha256:${'2'.repeat(64)}`;

function signed(by: KeyObject, digest = DIGEST, payload?: Buffer): StoredSignature {
  const p = payload ?? simpleSigningPayload('localhost:5000/shop/web', digest);
  return { payload: p, signature: signPayload(p, by), layer: `sha256:${'9'.repeat(64)}` };
}

const anyOf = (...keys: PublicKey[]): AttestorSet[] => [{ count: 1, keys }];
const allOf = (...keys: PublicKey[]): AttestorSet[] => [{ keys }];

describe('assess', () => {
  it.each<[string, StoredSignature[], AttestorSet[], string, RegExp]>([
    [
      'signed by the trusted key',
      [signed(alice.priv)],
      anyOf(alice.pub),
      'Verified',
      /is signed by key/,
    ],
    [
      'signed by one of two trusted keys',
      [signed(bob.priv)],
      anyOf(alice.pub, bob.pub),
      'Verified',
      /signed/,
    ],
    [
      'no signature',
      [],
      anyOf(alice.pub),
      'Unsigned',
      /is not signed: no signature at tag sha256-1+\.sig/,
    ],
    [
      'signed by an unknown key',
      [signed(mallory.priv)],
      anyOf(alice.pub),
      'Untrusted',
      /none of its 1 signature/,
    ],
    [
      "a trusted signature of another image's digest",
      [signed(alice.priv, OTHER)],
      anyOf(alice.pub),
      'DigestMismatch',
      /digest mismatch: the signature by key \w+ at tag sha256-1+\.sig is for sha256:2+, not sha256:1+/,
    ],
    [
      'both keys needed, one signed',
      [signed(alice.priv)],
      allOf(alice.pub, bob.pub),
      'Untrusted',
      /attestors need more/,
    ],
    [
      'both keys needed, both signed',
      [signed(alice.priv), signed(bob.priv)],
      allOf(alice.pub, bob.pub),
      'Verified',
      /signed/,
    ],
    [
      'a payload that is not cosign’s',
      [
        signed(
          alice.priv,
          DIGEST,
          Buffer.from(
            `{"critical":{"image":{"docker-manifest-digest":"${DIGEST}"},"type":"other"}}`,
          ),
        ),
      ],
      anyOf(alice.pub),
      'Untrusted',
      /is refused: payload type "other" is not a cosign image signature/,
    ],
    [
      'a mismatch beside a good signature',
      [signed(alice.priv, OTHER), signed(alice.priv)],
      anyOf(alice.pub),
      'Verified',
      /signed/,
    ],
  ])('%s', (_what, stored, attestors, outcome, message) => {
    const r = assess(IMAGE, DIGEST, stored, attestors);
    expect(r.outcome).toBe(outcome);
    expect(r.verified).toBe(outcome === 'Verified');
    expect(r.message).toMatch(message);
    expect(r.message).toContain(IMAGE);
  });

  it('says which key signed each signature, and why one does not count', () => {
    const r = assess(
      IMAGE,
      DIGEST,
      [signed(alice.priv, OTHER), signed(mallory.priv)],
      anyOf(alice.pub),
    );
    expect(r.signatures).toEqual([
      expect.objectContaining({
        keyId: alice.pub.id,
        payloadDigest: OTHER,
        problem: expect.stringMatching(/digest mismatch/) as unknown,
      }),
      expect.objectContaining({ problem: 'not signed by a trusted key' }),
    ]);
  });
});

describe('satisfied', () => {
  it.each<[string, AttestorSet[], string[], boolean]>([
    ['count 1 of 2, one', anyOf(alice.pub, bob.pub), [bob.pub.id], true],
    ['all of 2, one', allOf(alice.pub, bob.pub), [bob.pub.id], false],
    [
      'two sets, each one',
      [...anyOf(alice.pub), ...anyOf(bob.pub)],
      [alice.pub.id, bob.pub.id],
      true,
    ],
    ['two sets, one missing', [...anyOf(alice.pub), ...anyOf(bob.pub)], [alice.pub.id], false],
    [
      'count above the keys is all of them',
      [{ count: 5, keys: [alice.pub] }],
      [alice.pub.id],
      true,
    ],
  ])('%s', (_what, attestors, keys, want) => {
    expect(satisfied(attestors, new Set(keys))).toBe(want);
  });
});
