/** match/exclude: kinds, names, namespaces, selectors, user info. */
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/types.ts';
import { blockMatches, groupVersion, kindMatches, type MatchTarget } from './match.ts';
import type { MatchResources, RequestContext } from './types.ts';

const deploy: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web-1',
    namespace: 'team-a',
    labels: { app: 'web' },
    annotations: { owner: 'ops' },
  },
};
const target = (obj: KubeObject, request: RequestContext = {}): MatchTarget => ({
  object: obj,
  ...groupVersion(obj.apiVersion),
  kind: obj.kind,
  request,
});

describe('kinds', () => {
  it.each([
    ['Deployment', true],
    ['Deploy*', true],
    ['apps/v1/Deployment', true],
    ['apps/*/Deployment', true],
    ['v1/Deployment', true],
    ['batch/v1/Deployment', false],
    ['Pod', false],
    ['Deployment/scale', false],
    ['*', true],
  ])('%s → %s', (entry, expected) => {
    expect(kindMatches(entry, target(deploy))).toBe(expected);
  });
});

const cases: Array<[string, MatchResources, RequestContext, unknown]> = [
  [
    'any: kinds',
    { any: [{ resources: { kinds: ['Pod'] } }, { resources: { kinds: ['Deployment'] } }] },
    {},
    true,
  ],
  [
    'all: every filter',
    { all: [{ resources: { kinds: ['Deployment'] } }, { resources: { namespaces: ['team-b'] } }] },
    {},
    false,
  ],
  [
    'legacy resources form',
    { resources: { kinds: ['Deployment'], namespaces: ['team-*'] } },
    {},
    true,
  ],
  [
    'names with wildcards',
    { any: [{ resources: { kinds: ['Deployment'], names: ['web-?'] } }] },
    {},
    true,
  ],
  [
    'names mismatch',
    { any: [{ resources: { kinds: ['Deployment'], names: ['db*'] } }] },
    {},
    false,
  ],
  [
    'selector',
    { any: [{ resources: { kinds: ['Deployment'], selector: { matchLabels: { app: 'w*' } } } }] },
    {},
    true,
  ],
  [
    'selector expressions',
    {
      any: [
        {
          resources: {
            selector: { matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] },
          },
        },
      ],
    },
    {},
    true,
  ],
  [
    'annotations',
    { any: [{ resources: { kinds: ['Deployment'], annotations: { owner: 'o*' } } }] },
    {},
    true,
  ],
  [
    'operations',
    { any: [{ resources: { kinds: ['Deployment'], operations: ['UPDATE'] } }] },
    { operation: 'CREATE' },
    false,
  ],
  [
    'namespaceSelector without labels is unknown',
    {
      any: [
        {
          resources: { kinds: ['Deployment'], namespaceSelector: { matchLabels: { env: 'prod' } } },
        },
      ],
    },
    {},
    { unknown: expect.stringContaining('namespaceSelector') as unknown },
  ],
  [
    'namespaceSelector with labels',
    {
      any: [
        {
          resources: { kinds: ['Deployment'], namespaceSelector: { matchLabels: { env: 'prod' } } },
        },
      ],
    },
    { namespaceLabels: { env: 'prod' } },
    true,
  ],
  [
    'subjects without user info is unknown',
    {
      any: [{ resources: { kinds: ['Deployment'] }, subjects: [{ kind: 'User', name: 'alice' }] }],
    },
    {},
    { unknown: expect.stringContaining('user info') as unknown },
  ],
  [
    'subjects: a group',
    { any: [{ subjects: [{ kind: 'Group', name: 'devs' }] }] },
    { userInfo: { username: 'bob', groups: ['devs'] } },
    true,
  ],
  [
    'subjects: a service account',
    { any: [{ subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'tools' }] }] },
    { userInfo: { username: 'system:serviceaccount:tools:ci' } },
    true,
  ],
  [
    'clusterRoles',
    { any: [{ clusterRoles: ['cluster-admin'] }] },
    { userInfo: { username: 'x' }, clusterRoles: ['view'] },
    false,
  ],
  ['empty block matches nothing', {}, {}, false],
];

describe('match blocks', () => {
  it.each(cases)('%s', (_name, block, request, expected) => {
    expect(blockMatches(block, target(deploy, request))).toEqual(expected);
  });
  it('a Namespace is matched by its own name in namespaces', () => {
    const ns: KubeObject = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'prod' } };
    expect(
      blockMatches(
        { any: [{ resources: { kinds: ['Namespace'], namespaces: ['prod'] } }] },
        target(ns),
      ),
    ).toBe(true);
  });
});
