import { describe, expect, it } from 'vitest';
import type { IgnoreDifference } from '../api/application.ts';
import { refKey, refOf, type KubeObject } from '../kube/types.ts';
import { buildChanges, changedPaths, type Change } from './changes.ts';
import type { ResourceDiff } from './diff.ts';
import { ResourceError } from './errors.ts';
import type { DesiredResource } from './preflight.ts';

const cm = (data: Record<string, string>, extra: Partial<KubeObject> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'settings', namespace: 'shop' },
  data,
  ...extra,
});
const secret = (data: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name: 'db', namespace: 'shop' },
  data,
});
/** What a server adds to a stored object: metadata it owns, and status. */
const stored = (o: KubeObject): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, uid: 'u-1', resourceVersion: '42', managedFields: [{}] },
});

function resource(object: KubeObject): DesiredResource {
  const ref = refOf(object);
  return {
    ref,
    key: refKey(ref),
    version: 'v1',
    object,
    namespaced: true,
    wave: 0,
    options: new Map(),
  };
}

function diff(
  desired: KubeObject,
  live: KubeObject | undefined,
  extra: Partial<ResourceDiff> = {},
): ResourceDiff {
  return {
    resource: resource(desired),
    live: live && stored(live),
    predicted: stored(desired),
    inSync: false,
    ...extra,
  };
}

describe('changedPaths', () => {
  it.each<[string, unknown, unknown, string[]]>([
    ['equal, key order ignored', { a: 1, b: 2 }, { b: 2, a: 1 }, []],
    ['one leaf', { spec: { replicas: 2 } }, { spec: { replicas: 5 } }, ['/spec/replicas']],
    ['added and removed keys', { a: 1 }, { b: 1 }, ['/a', '/b']],
    ['array item', { l: [1, 2] }, { l: [1, 3] }, ['/l/1']],
    ['longer array', { l: [1] }, { l: [1, 2] }, ['/l/1']],
    ['escaped keys', { m: { 'a/b~c': 1 } }, { m: { 'a/b~c': 2 } }, ['/m/a~1b~0c']],
    ['type change', { a: { b: 1 } }, { a: 'x' }, ['/a']],
    ['whole document', undefined, { a: 1 }, ['']],
  ])('%s', (_case, a, b, want) => {
    expect(changedPaths(a, b)).toEqual(want);
  });
});

describe('buildChanges', () => {
  const rules: IgnoreDifference[] = [
    { kind: 'ConfigMap', name: 'settings', jsonPointers: ['/data/ignored'] },
  ];

  it.each<[string, ResourceDiff, Partial<Change>]>([
    [
      'in sync: unchanged, no paths',
      diff(cm({ color: 'blue' }), cm({ color: 'blue' }), { inSync: true }),
      { action: 'unchanged', changedPaths: [] },
    ],
    [
      'missing: created as a whole',
      diff(cm({ color: 'blue' }), undefined),
      { action: 'create', changedPaths: [''] },
    ],
    [
      'drifted: the field that differs, server metadata ignored',
      diff(cm({ color: 'blue' }), cm({ color: 'green' })),
      { action: 'update', changedPaths: ['/data/color'] },
    ],
    [
      'ignoreDifferences: the ignored field is neither compared nor shown',
      diff(cm({ color: 'blue', ignored: 'a' }), cm({ color: 'green', ignored: 'b' })),
      {
        action: 'update',
        changedPaths: ['/data/color'],
        desired: cm({ color: 'blue' }),
        live: cm({ color: 'green' }),
      },
    ],
    [
      'dry-run failed: error naming the object',
      diff(cm({ color: 'blue' }), cm({ color: 'green' }), {
        predicted: undefined,
        error: new ResourceError(
          { group: '', kind: 'ConfigMap', namespace: 'shop', name: 'settings' },
          'DryRunFailed',
          'invalid',
          { hint: 'fix the manifest in Git' },
        ),
      }),
      {
        action: 'error',
        error: 'ConfigMap/shop/settings: invalid',
        reason: 'DryRunFailed',
        hint: 'fix the manifest in Git',
        changedPaths: [],
      },
    ],
  ])('%s', (_case, d, want) => {
    const [change] = buildChanges([d], [], rules);
    expect(change).toMatchObject({
      group: '',
      version: 'v1',
      kind: 'ConfigMap',
      namespace: 'shop',
      name: 'settings',
      ...want,
    });
    if (want.action === 'create') expect(change).not.toHaveProperty('live');
    expect(change?.desired?.metadata).not.toHaveProperty('managedFields');
    expect(change?.live?.metadata ?? {}).not.toHaveProperty('resourceVersion');
  });

  it('masks Secret values in desired and live but still shows which key changed', () => {
    const [change] = buildChanges(
      [
        diff(
          secret({ password: 'bmV3', user: 'YWRtaW4=' }),
          secret({ password: 'b2xk', user: 'YWRtaW4=' }),
        ),
      ],
      [],
      undefined,
    );
    expect(change?.changedPaths).toEqual(['/data/password']);
    const text = JSON.stringify(change);
    for (const value of ['bmV3', 'b2xk', 'YWRtaW4='])
      expect(text, `${value} leaked`).not.toContain(value);
    const d = change?.desired?.['data'] as Record<string, string>;
    const l = change?.live?.['data'] as Record<string, string>;
    expect(d['user']).toBe(l['user']);
    expect(d['password']).not.toBe(l['password']);
  });

  it('lists prune candidates last, as deletions, masked', () => {
    const changes = buildChanges(
      [diff(cm({ a: '1' }), cm({ a: '1' }), { inSync: true })],
      [
        {
          entry: { group: '', version: 'v1', kind: 'Secret', namespace: 'shop', name: 'old' },
          live: stored(secret({ token: 'c2VjcmV0' })),
        },
        {
          entry: {
            group: 'apps',
            version: 'v1',
            kind: 'Deployment',
            namespace: 'shop',
            name: 'gone',
          },
          live: undefined,
        },
      ],
      undefined,
    );
    expect(changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toEqual([
      'unchanged ConfigMap/settings',
      'delete Secret/old',
      'delete Deployment/gone',
    ]);
    expect(changes[1]?.changedPaths).toEqual(['']);
    expect(JSON.stringify(changes[1])).not.toContain('c2VjcmV0');
    expect(changes[1]?.live?.metadata).not.toHaveProperty('uid');
    expect(changes[2]).not.toHaveProperty('live');
  });

  it('is plain data: survives a JSON round trip unchanged', () => {
    const changes = buildChanges([diff(cm({ a: '1' }), cm({ a: '2' }))], [], undefined);
    expect(JSON.parse(JSON.stringify(changes))).toEqual(changes);
  });
});
