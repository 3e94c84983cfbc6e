import { describe, expect, it } from 'vitest';
import type { Secret } from '../api/sealedsecret.ts';
import { SealedError } from './errors.ts';
import { newestFirst } from './keys.ts';
import { CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION } from './scope.ts';
import { parseSealedSecret, parseSecret, reEncrypt, sealSecret } from './seal.ts';
import { openAll, unsealSecret } from './unseal.ts';
import { testKey } from './testkeys.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function secret(meta: Secret['metadata'], extra: Partial<Secret> = {}): Secret {
  return { apiVersion: 'v1', kind: 'Secret', metadata: meta, ...extra };
}

describe('sealSecret', () => {
  it('seals data and stringData per key, strips what would leak, and unseals to the same Secret', async () => {
    const a = await testKey('a');
    const input = secret(
      {
        name: 'db',
        namespace: 'shop',
        uid: 'u-1',
        resourceVersion: '42',
        labels: { app: 'shop' },
        annotations: {
          'kubectl.kubernetes.io/last-applied-configuration':
            '{"data":{"password":"aHVudGVyMg=="}}',
          keep: 'me',
        },
        ownerReferences: [{ apiVersion: 'v1', kind: 'X', name: 'x', uid: 'y' }],
      },
      { type: 'Opaque', data: { password: b64('hunter2') }, stringData: { user: 'app' } },
    );
    const ss = sealSecret(input, { certificate: a });
    expect(ss.apiVersion).toBe('sluice.dev/v1alpha1');
    expect(ss.metadata).toEqual({ name: 'db', namespace: 'shop' });
    expect(Object.keys(ss.spec.encryptedData)).toEqual(['password', 'user']);
    expect(ss.spec.template).toEqual({
      metadata: {
        name: 'db',
        namespace: 'shop',
        labels: { app: 'shop' },
        annotations: { keep: 'me' },
      },
      type: 'Opaque',
    });
    expect(JSON.stringify(ss)).not.toContain('aHVudGVyMg');
    const out = unsealSecret(ss, [a]);
    expect(out.data).toEqual({ password: b64('hunter2'), user: b64('app') });
  });

  it.each([
    ['namespace-wide', NAMESPACE_WIDE_ANNOTATION],
    ['cluster-wide', CLUSTER_WIDE_ANNOTATION],
  ] as const)(
    '--scope %s sets the annotation and opens under another name',
    async (scope, annotation) => {
      const a = await testKey('a');
      const ss = sealSecret(secret({ name: 'db', namespace: 'shop' }, { stringData: { k: 'v' } }), {
        certificate: a,
        scope,
      });
      expect(ss.metadata.annotations).toEqual({ [annotation]: 'true' });
      const moved = { ...ss, metadata: { ...ss.metadata, name: 'renamed' } };
      expect(unsealSecret(moved, [a]).data).toEqual({ k: b64('v') });
    },
  );

  it('takes the scope from the Secret’s annotations', async () => {
    const a = await testKey('a');
    const ss = sealSecret(
      secret(
        { name: 'db', namespace: 'shop', annotations: { [NAMESPACE_WIDE_ANNOTATION]: 'true' } },
        { stringData: { k: 'v' } },
      ),
      { certificate: a },
    );
    expect(ss.metadata.annotations).toEqual({ [NAMESPACE_WIDE_ANNOTATION]: 'true' });
  });

  it.each([
    ['no namespace (strict)', secret({ name: 'db' }), /has no namespace/],
    ['no name (strict)', secret({ namespace: 'shop' }), /has no name/],
  ])('refuses a Secret with %s', async (_n, s, message) => {
    const a = await testKey('a');
    expect(() => sealSecret(s, { certificate: a })).toThrow(message);
  });

  it('writes the bitnami apiVersion when asked', async () => {
    const a = await testKey('a');
    const ss = sealSecret(secret({ name: 'db', namespace: 'shop' }), {
      certificate: a,
      apiVersion: 'bitnami.com/v1alpha1',
    });
    expect(ss.apiVersion).toBe('bitnami.com/v1alpha1');
  });
});

describe('reEncrypt', () => {
  it('re-seals every value with the newest key; the old key no longer opens them', async () => {
    const older = await testKey('k1', 2048, new Date('2026-01-01T00:00:00Z'));
    const newer = await testKey('k2', 2048, new Date('2026-02-01T00:00:00Z'));
    const ss = sealSecret(secret({ name: 'db', namespace: 'shop' }, { stringData: { k: 'v' } }), {
      certificate: older,
    });
    const keys = newestFirst([older, newer]);
    const again = reEncrypt({ ...ss, status: { observedGeneration: 1 } }, keys, newer);
    expect(again.status).toBeUndefined();
    expect(again.spec.encryptedData['k']).not.toBe(ss.spec.encryptedData['k']);
    expect(openAll(again, [newer]).get('k')?.toString()).toBe('v');
    expect(() => openAll(again, [older])).toThrow(SealedError);
  });
});

describe('parsing documents', () => {
  it.each([
    ['a ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', metadata: {} }],
    ['data not strings', { apiVersion: 'v1', kind: 'Secret', metadata: {}, data: { a: 1 } }],
    ['not an object', 'hello'],
  ])('parseSecret refuses %s', (_n, doc) => {
    expect(() => parseSecret(doc, 'stdin')).toThrow(SealedError);
  });

  it.each([
    ['bitnami.com/v1alpha1', true],
    ['sluice.dev/v1alpha1', true],
    ['example.com/v1', false],
  ])('parseSealedSecret with apiVersion %s: accepted %s', (apiVersion, ok) => {
    const doc = {
      apiVersion,
      kind: 'SealedSecret',
      metadata: { name: 'x' },
      spec: { encryptedData: {} },
    };
    if (ok) expect(parseSealedSecret(doc, 'f').spec.encryptedData).toEqual({});
    else expect(() => parseSealedSecret(doc, 'f')).toThrow(/is not a SealedSecret/);
  });
});
