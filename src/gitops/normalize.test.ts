import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import {
  fieldsToPointers,
  ignoredPointers,
  jsonEqual,
  keepLiveAt,
  normalize,
  removePointer,
  rulesFor,
} from './normalize.ts';
import { maskSecretPair } from './mask.ts';

const live: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'shop',
    resourceVersion: '42',
    generation: 3,
    uid: 'u',
    creationTimestamp: 't',
    annotations: { 'deployment.kubernetes.io/revision': '2' },
    managedFields: [{ manager: 'hpa', fieldsV1: { 'f:spec': { 'f:replicas': {} } } }],
  },
  spec: { replicas: 5, template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } },
  status: { availableReplicas: 5 },
};

describe('normalize', () => {
  it('drops server-owned metadata and status', () => {
    const n = normalize(live, []);
    expect(n.metadata).toEqual({ name: 'web', namespace: 'shop' });
    expect(n['status']).toBeUndefined();
    expect(live.metadata.resourceVersion).toBe('42'); // the input is not changed
  });

  it('removes JSON pointers, including escaped keys and array items', () => {
    const o = { a: { 'b/c': 1, 'd~e': 2, list: [1, 2, 3] } };
    removePointer(o, '/a/b~1c');
    removePointer(o, '/a/d~0e');
    removePointer(o, '/a/list/1');
    removePointer(o, '/missing/path');
    expect(o).toEqual({ a: { list: [1, 3] } });
  });

  it('turns managedFields into pointers for managedFieldsManagers rules', () => {
    expect(
      fieldsToPointers({
        'f:spec': {
          'f:replicas': {},
          'f:template': { 'f:metadata': { 'f:labels': { 'f:app': {} } } },
        },
      }),
    ).toEqual(['/spec/replicas', '/spec/template/metadata/labels/app']);
    const rules = rulesFor(
      [{ group: 'apps', kind: 'Deployment', managedFieldsManagers: ['hpa'] }],
      {
        group: 'apps',
        kind: 'Deployment',
        namespace: 'shop',
        name: 'web',
      },
    );
    expect(ignoredPointers(rules, live)).toEqual(['/spec/replicas']);
  });

  it('matches rules by group, kind, and optional name and namespace', () => {
    const ref = { group: 'apps', kind: 'Deployment', namespace: 'shop', name: 'web' };
    expect(
      rulesFor([{ group: 'apps', kind: 'Deployment', jsonPointers: ['/x'] }], ref),
    ).toHaveLength(1);
    expect(rulesFor([{ kind: 'Deployment', jsonPointers: ['/x'] }], ref)).toHaveLength(0);
    expect(rulesFor([{ group: 'apps', kind: 'Deployment', name: 'other' }], ref)).toHaveLength(0);
  });

  it('compares JSON ignoring key order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
  });
});

describe('secret masking', () => {
  it('hides every value but shows which keys changed', () => {
    const s = (data: Record<string, string>): KubeObject => ({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's' },
      data,
    });
    const { desired, live: l } = maskSecretPair(
      s({ user: 'YWRtaW4=', pass: 'bmV3' }),
      s({ user: 'YWRtaW4=', pass: 'b2xk' }),
    );
    expect(desired?.['data']).toEqual({ user: '++++++++', pass: '+++++++++' });
    expect(l?.['data']).toEqual({ user: '++++++++', pass: '++++++++++' });
    expect(JSON.stringify([desired, l])).not.toMatch(/bmV3|b2xk|YWRtaW4/);
  });
});

describe('keepLiveAt (RespectIgnoreDifferences=true)', () => {
  const git: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', annotations: { owner: 'git', note: 'x' } },
    spec: { replicas: 2, template: { spec: { containers: [{ name: 'web', image: 'nginx:2' }] } } },
  };

  it.each<[string, string[], Record<string, unknown>]>([
    ['a scalar takes the live value', ['/spec/replicas'], { replicas: 5 }],
    [
      'a list item by index takes the live value',
      ['/spec/template/spec/containers/0/image'],
      { template: { spec: { containers: [{ name: 'web', image: 'nginx:1' }] } } },
    ],
    ['a field live does not have is left out', ['/spec/paused'], { replicas: 2 }],
  ])('%s', (_name, pointers, want) => {
    const out = keepLiveAt(
      { ...git, spec: { ...(git['spec'] as object), paused: true } },
      live,
      pointers,
    );
    expect(out['spec']).toMatchObject(want);
    if (pointers[0] === '/spec/paused') expect(out['spec']).not.toHaveProperty('paused');
  });

  it('an annotation live lacks is dropped; Git’s object is not changed', () => {
    const out = keepLiveAt(git, live, ['/metadata/annotations/note']);
    expect(out.metadata.annotations).toEqual({ owner: 'git' });
    expect(git.metadata.annotations).toEqual({ owner: 'git', note: 'x' });
  });
});
