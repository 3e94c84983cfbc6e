/** What a live cache watches, whole or limited to some namespaces (`--destination-namespace`). */
import { describe, expect, it } from 'vitest';
import { informerKey } from './livecache.ts';

const deployment = { group: 'apps', namespaced: true };
const namespace = { group: '', namespaced: false };
const clusterRole = { group: 'rbac.authorization.k8s.io', namespaced: false };

describe('informerKey', () => {
  const cases: Array<{
    name: string;
    info: { group: string; namespaced: boolean };
    kind: string;
    ns: string | undefined;
    scope: readonly string[] | undefined;
    want: string | undefined;
  }> = [
    {
      name: 'whole cluster: one informer per kind, whatever the namespace',
      info: deployment,
      kind: 'Deployment',
      ns: 'shop',
      scope: undefined,
      want: 'apps/Deployment',
    },
    {
      name: 'whole cluster: cluster-scoped kinds are watched',
      info: clusterRole,
      kind: 'ClusterRole',
      ns: undefined,
      scope: undefined,
      want: 'rbac.authorization.k8s.io/ClusterRole',
    },
    {
      name: 'limited: a namespaced kind in an allowed namespace, one informer there',
      info: deployment,
      kind: 'Deployment',
      ns: 'shop',
      scope: ['shop', 'web'],
      want: 'apps/Deployment/shop',
    },
    {
      name: 'limited: another namespace is not watched (reads as missing; a write is refused)',
      info: deployment,
      kind: 'Deployment',
      ns: 'kube-system',
      scope: ['shop'],
      want: undefined,
    },
    {
      name: 'limited: Namespaces are still watched (CreateNamespace, preflight)',
      info: namespace,
      kind: 'Namespace',
      ns: undefined,
      scope: ['shop'],
      want: '/Namespace',
    },
    {
      name: 'limited: other cluster-scoped kinds are not watched',
      info: clusterRole,
      kind: 'ClusterRole',
      ns: undefined,
      scope: ['shop'],
      want: undefined,
    },
  ];
  it.each(cases)('$name', ({ info, kind, ns, scope, want }) => {
    expect(informerKey(info, kind, ns, scope)).toBe(want);
  });
});
