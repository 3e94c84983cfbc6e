import { execFileSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SealedError } from './errors.ts';
import {
  assertNotExpired,
  keyPem,
  newestFirst,
  parseCertificate,
  parsePrivateKey,
  sealingKeyFromPem,
} from './keys.ts';
import { testKey } from './testkeys.ts';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

describe('generateSealingKey', () => {
  it('makes a self-signed certificate that openssl verifies, with the key it holds', async () => {
    const k = await testKey('a');
    const cert = parseCertificate(k.certificatePem);
    expect(cert.fingerprint).toBe(k.fingerprint);
    expect(cert.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(k.notAfter.getTime() - k.notBefore.getTime()).toBeGreaterThan(3600 * 86_400_000);
    if (hasOpenssl()) {
      const { mkdtempSync, writeFileSync } = await import('node:fs');
      const dir = mkdtempSync('/tmp/sealed-cert-');
      writeFileSync(`${dir}/c.pem`, k.certificatePem);
      const out = execFileSync('openssl', ['verify', '-CAfile', `${dir}/c.pem`, `${dir}/c.pem`]);
      expect(out.toString()).toContain(': OK');
    }
  });

  it('round-trips through a key Secret’s PEM (tls.crt + PKCS#1 tls.key)', async () => {
    const k = await testKey('a');
    const pem = keyPem(k);
    const back = sealingKeyFromPem(pem.cert, pem.key, 'Secret/ns/key');
    expect(back.fingerprint).toBe(k.fingerprint);
    expect(createPublicKey(back.privateKey).export({ format: 'jwk' }).n).toBe(
      k.publicKey.export({ format: 'jwk' }).n,
    );
  });
});

describe('errors', () => {
  it.each([
    ['not PEM', () => parseCertificate('hello'), 'CertificateInvalid'],
    [
      'garbage in a PEM block',
      () => parseCertificate('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----'),
      'CertificateInvalid',
    ],
    ['a private key that is not one', () => parsePrivateKey('nope'), 'PrivateKeyInvalid'],
  ])('%s', (_n, fn, code) => {
    expect(fn).toThrow(SealedError);
    try {
      fn();
    } catch (err) {
      expect((err as SealedError).code).toBe(code);
    }
  });

  it('refuses a tls.key that does not belong to tls.crt', async () => {
    const a = await testKey('a');
    const b = await testKey('b');
    expect(() => sealingKeyFromPem(a.certificatePem, keyPem(b).key, 'Secret/x/y')).toThrow(
      /does not belong to the certificate/,
    );
  });

  it('refuses to seal with an expired certificate, naming its end date', async () => {
    const old = await testKey('old', 2048, new Date('2001-01-01T00:00:00Z'));
    const cert = { ...old, notAfter: new Date('2011-01-01T00:00:00Z') };
    expect(() => assertNotExpired(cert, new Date('2026-01-01T00:00:00Z'))).toThrow(
      /expired on 2011-01-01/,
    );
    expect(() => assertNotExpired(old, new Date('2005-01-01T00:00:00Z'))).not.toThrow();
  });
});

describe('newestFirst', () => {
  it('orders keys by certificate start, newest first', async () => {
    const older = await testKey('k1', 2048, new Date('2026-01-01T00:00:00Z'));
    const newer = await testKey('k2', 2048, new Date('2026-02-01T00:00:00Z'));
    expect(newestFirst([older, newer]).map((k) => k.fingerprint)).toEqual([
      newer.fingerprint,
      older.fingerprint,
    ]);
  });
});
