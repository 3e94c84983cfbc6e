import { describe, expect, it } from 'vitest';
import type { SealedSecret, Secret } from '../api/sealedsecret.ts';
import { planSecret } from './ownership.ts';

const ss: SealedSecret = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'SealedSecret',
  metadata: { name: 'db', namespace: 'shop', uid: 'uid-new' },
  spec: { encryptedData: {} },
};

const desired: Secret = {
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'shop', labels: { app: 'shop' } },
  type: 'Opaque',
  data: { pw: 'aHVudGVyMg==' },
};

const owner = (
  uid: string,
  extra: Partial<{ kind: string; apiVersion: string; name: string }> = {},
) => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'SealedSecret',
  name: 'db',
  uid,
  controller: true,
  ...extra,
});

function existing(meta: Partial<Secret['metadata']>, extra: Partial<Secret> = {}): Secret {
  return {
    ...desired,
    metadata: { ...desired.metadata, resourceVersion: '7', ...meta },
    ...extra,
  };
}

describe('planSecret', () => {
  const cases: Array<[string, Secret | undefined, string]> = [
    ['no Secret yet', undefined, 'create'],
    ['ours and unchanged', existing({ ownerReferences: [owner('uid-new')] }), 'none'],
    [
      'ours, data changed',
      existing({ ownerReferences: [owner('uid-new')] }, { data: { pw: 'b2xk' } }),
      'update',
    ],
    [
      'ours, a label removed from the template',
      existing({ ownerReferences: [owner('uid-new')], labels: { app: 'shop', old: 'x' } }),
      'update',
    ],
    [
      'left by an earlier SealedSecret of the same name',
      existing({ ownerReferences: [owner('uid-old')] }),
      'update',
    ],
    [
      'ours, type changed',
      existing({ ownerReferences: [owner('uid-new')] }, { type: 'kubernetes.io/tls' }),
      'replace',
    ],
    [
      'ours, immutable and data changed',
      existing({ ownerReferences: [owner('uid-new')] }, { immutable: true, data: { pw: 'eA==' } }),
      'replace',
    ],
    ['created by hand', existing({}), 'refuse'],
    [
      'controlled by a bitnami SealedSecret',
      existing({ ownerReferences: [owner('uid-x', { apiVersion: 'bitnami.com/v1alpha1' })] }),
      'refuse',
    ],
    [
      'controlled by a Deployment',
      existing({
        ownerReferences: [owner('uid-x', { kind: 'Deployment', apiVersion: 'apps/v1' })],
      }),
      'refuse',
    ],
    [
      'handed over with the managed annotation',
      existing({ annotations: { 'sealedsecrets.bitnami.com/managed': 'true' } }),
      'update',
    ],
  ];

  it.each(cases)('%s: %s', (_name, live, action) => {
    expect(planSecret(live, desired, ss).action).toBe(action);
  });

  it('says whose Secret it is when it refuses', () => {
    const plan = planSecret(
      existing({ ownerReferences: [owner('x', { kind: 'Deployment', name: 'web' })] }),
      desired,
      ss,
    );
    expect(plan).toEqual({
      action: 'refuse',
      message: expect.stringMatching(
        /^Secret shop\/db already exists and is not managed by this SealedSecret \(it is controlled by Deployment\/web\); nothing was changed/,
      ) as unknown,
    });
  });

  it('updates over the live version, with this SealedSecret as controller, other owners kept', () => {
    const other = { apiVersion: 'v1', kind: 'ConfigMap', name: 'c', uid: 'c1' };
    const plan = planSecret(
      existing({ ownerReferences: [owner('uid-old'), other] }, { data: { pw: 'eA==' } }),
      desired,
      ss,
    );
    if (plan.action !== 'update') throw new Error(plan.action);
    expect(plan.secret.metadata.resourceVersion).toBe('7');
    expect(plan.secret.metadata.ownerReferences).toEqual([owner('uid-new'), other]);
    expect(plan.secret.data).toEqual(desired.data);
    expect(plan.secret.metadata.labels).toEqual({ app: 'shop' });
  });
});
