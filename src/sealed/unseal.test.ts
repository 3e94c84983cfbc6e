import { describe, expect, it } from 'vitest';
import type { SealedSecret } from '../api/sealedsecret.ts';
import { hybridEncrypt } from './crypto.ts';
import { SealedError, type SealedErrorCode } from './errors.ts';
import { newestFirst, type SealingKey } from './keys.ts';
import { CLUSTER_WIDE_ANNOTATION, encryptionLabel, NAMESPACE_WIDE_ANNOTATION } from './scope.ts';
import { openAll, unsealSecret } from './unseal.ts';
import { testKey } from './testkeys.ts';

const blob = (key: SealingKey, value: string, label: string): string =>
  hybridEncrypt(key.publicKey, Buffer.from(value), Buffer.from(label)).toString('base64');

function sealed(
  encryptedData: Record<string, string>,
  extra: { annotations?: Record<string, string>; template?: SealedSecret['spec']['template'] } = {},
): SealedSecret {
  return {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'SealedSecret',
    metadata: {
      name: 'db',
      namespace: 'shop',
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec: { encryptedData, ...(extra.template ? { template: extra.template } : {}) },
  };
}

function failure(fn: () => unknown): SealedError {
  try {
    fn();
  } catch (err) {
    if (err instanceof SealedError) return err;
    throw err;
  }
  throw new Error('expected a SealedError');
}

describe('unsealSecret', () => {
  it('gives the Secret of the template with every value opened', async () => {
    const a = await testKey('a');
    const ss = sealed(
      { password: blob(a, 'hunter2', 'shop/db'), user: blob(a, 'app', 'shop/db') },
      {
        template: {
          metadata: { labels: { app: 'shop' }, annotations: { note: 'x' } },
          type: 'kubernetes.io/basic-auth',
          data: { url: 'postgres://{{ .user }}:{{ index . "password" }}@db/shop' },
        },
      },
    );
    const s = unsealSecret(ss, [a]);
    expect(s.metadata).toEqual({
      name: 'db',
      namespace: 'shop',
      labels: { app: 'shop' },
      annotations: { note: 'x' },
    });
    expect(s.type).toBe('kubernetes.io/basic-auth');
    const text = Object.fromEntries(
      Object.entries(s.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]),
    );
    expect(text).toEqual({
      password: 'hunter2',
      user: 'app',
      url: 'postgres://app:hunter2@db/shop',
    });
  });

  it.each([
    ['namespace-wide', { [NAMESPACE_WIDE_ANNOTATION]: 'true' }, 'shop'],
    ['cluster-wide', { [CLUSTER_WIDE_ANNOTATION]: 'true' }, ''],
  ])('opens %s blobs by their annotation', async (_scope, annotations, label) => {
    const a = await testKey('a');
    const s = unsealSecret(sealed({ k: blob(a, 'v', label) }, { annotations }), [a]);
    expect(s.data).toEqual({ k: Buffer.from('v').toString('base64') });
  });

  it('opens blobs of an older key when a newer one seals', async () => {
    const older = await testKey('k1', 2048, new Date('2026-01-01T00:00:00Z'));
    const newer = await testKey('k2', 2048, new Date('2026-02-01T00:00:00Z'));
    const ss = sealed({ old: blob(older, '1', 'shop/db'), new: blob(newer, '2', 'shop/db') });
    expect(Object.keys(unsealSecret(ss, newestFirst([older, newer])).data ?? {})).toEqual([
      'new',
      'old',
    ]);
  });
});

describe('blobs that do not open', () => {
  const cases: Array<{
    name: string;
    make: (a: SealingKey) => Record<string, string>;
    annotations?: Record<string, string>;
    code: SealedErrorCode;
    message: RegExp;
  }> = [
    {
      name: 'sealed for another name',
      make: (a) => ({ pw: blob(a, 'v', 'shop/other') }),
      code: 'SealedForAnotherObject',
      message:
        /^SealedSecret\/shop\/db: encryptedData\.pw was not sealed for shop\/db: key SHA256:\S+ opens it, but it was sealed for another name or namespace$/,
    },
    {
      name: 'sealed for another namespace',
      make: (a) => ({ pw: blob(a, 'v', 'dev/db') }),
      code: 'SealedForAnotherObject',
      message: /not sealed for shop\/db/,
    },
    {
      name: 'sealed namespace-wide, opened strict',
      make: (a) => ({ pw: blob(a, 'v', 'shop') }),
      code: 'SealedForAnotherObject',
      message:
        /it was sealed namespace shop \(namespace-wide\), but the SealedSecret's scope is strict/,
    },
    {
      name: 'sealed strict, opened cluster-wide',
      make: (a) => ({ pw: blob(a, 'v', 'shop/db') }),
      annotations: { [CLUSTER_WIDE_ANNOTATION]: 'true' },
      code: 'SealedForAnotherObject',
      message: /not sealed for any namespace \(cluster-wide\).*it was sealed shop\/db/,
    },
    {
      name: 'truncated',
      make: (a) => ({ pw: blob(a, 'v', 'shop/db').slice(0, 200) }),
      code: 'BlobCorrupt',
      message: /encryptedData\.pw is corrupt: \d+ bytes, but its length prefix announces 256 bytes/,
    },
    {
      name: 'data altered',
      make: (a) => {
        const b = Buffer.from(blob(a, 'value', 'shop/db'), 'base64');
        b[b.length - 20] = (b[b.length - 20] ?? 0) ^ 0xff;
        return { pw: b.toString('base64') };
      },
      code: 'BlobCorrupt',
      message: /opens its session key, but the data fails its AES-GCM integrity check/,
    },
    {
      name: 'not base64',
      make: () => ({ pw: 'this is not base64!' }),
      code: 'BlobCorrupt',
      message: /is corrupt: it is not base64/,
    },
    {
      name: 'too short',
      make: () => ({ pw: 'AA==' }),
      code: 'BlobCorrupt',
      message: /is corrupt: 1 bytes, not even a length/,
    },
  ];

  it.each(cases)('$name', async ({ make, annotations, code, message }) => {
    const a = await testKey('a');
    const err = failure(() =>
      unsealSecret(sealed(make(a), annotations ? { annotations } : {}), [a]),
    );
    expect(err.code).toBe(code);
    expect(err.message).toMatch(message);
    expect(err.dataKey).toBe('pw');
  });

  it('says no key opens a blob of another cluster, naming the keys it tried', async () => {
    const a = await testKey('a');
    const b = await testKey('b');
    const err = failure(() => unsealSecret(sealed({ pw: blob(b, 'v', 'shop/db') }), [a]));
    expect(err.code).toBe('NoKeyOpensBlob');
    expect(err.message).toContain(`none of the 1 known keys (${a.fingerprint})`);
    expect(err.message).toContain('to open for shop/db');
  });

  it('names a blob sealed for a key of another size', async () => {
    const a = await testKey('a');
    const big = await testKey('big', 4096);
    const err = failure(() => unsealSecret(sealed({ pw: blob(big, 'v', 'shop/db') }), [a]));
    expect(err.message).toContain('sealed for a 4096-bit key; ours are 2048-bit');
  });

  it('never gives part of a Secret: one bad key fails the whole, naming the others', async () => {
    const a = await testKey('a');
    const ss = sealed({
      good: blob(a, 'v', 'shop/db'),
      bad1: blob(a, 'v', 'shop/x'),
      bad2: 'AA==',
    });
    const err = failure(() => openAll(ss, [a]));
    expect(err.dataKey).toBe('bad1');
    expect(err.message).toMatch(/and 1 more key that do not open: bad2/);
  });

  it('refuses the deprecated whole-Secret spec.data', async () => {
    const a = await testKey('a');
    const ss: SealedSecret = { ...sealed({}), spec: { encryptedData: {}, data: 'AgA=' } };
    expect(failure(() => unsealSecret(ss, [a])).code).toBe('InvalidInput');
  });

  it('reports NoKeys when there is no key at all', async () => {
    const a = await testKey('a');
    expect(failure(() => unsealSecret(sealed({ pw: blob(a, 'v', 'shop/db') }), [])).code).toBe(
      'NoKeys',
    );
  });

  it('binds the label to the scope (sanity of the table above)', () => {
    expect(encryptionLabel('strict', 'shop', 'db').toString()).toBe('shop/db');
  });
});
