/**
 * The AppProject resource (sluice.dev/v1alpha1): a fence around Applications, with Argo CD's
 * field names so an Argo CD AppProject works after changing its apiVersion alone. It says which
 * repositories its apps may deploy from, to which clusters and namespaces, and which kinds they
 * may create (cluster-scoped ones are denied unless allowed; namespaced ones allowed unless
 * denied). What the rules mean is in src/gitops/projects/ (pure functions, table-tested).
 *
 * AppProjects live in the controller's namespace (Argo CD's control-plane namespace); an app in
 * another namespace may use one only if the project's `sourceNamespaces` names that namespace.
 * Fields Argo CD has that Sluice does not enforce (roles, sync windows, orphaned resources,
 * signature keys) are kept as written, and said to be unenforced in their descriptions.
 */
import { Type, type Static } from 'typebox';
import type { KubeObject, ObjectMeta } from '../kube/types.ts';
import { API_VERSION } from './application.ts';
import { FreeForm } from './schema.ts';

export const PROJECT_KIND = 'AppProject';
export const PROJECT_API_VERSION = API_VERSION;
/** The project of an app that names none (Argo CD's). */
export const DEFAULT_PROJECT = 'default';

const Opt = Type.Optional;

const GLOB =
  'a glob: `*` any characters (`/` included), `?` one, `[abc]` one of, `{a,b}` either; a leading `!` denies what it matches';

export const ProjectDestinationSchema = Type.Object(
  {
    server: Opt(Type.String({ description: `API server URL, ${GLOB}` })),
    name: Opt(
      Type.String({ description: `registered cluster name (in-cluster: the local one), ${GLOB}` }),
    ),
    namespace: Opt(Type.String({ description: `namespace, ${GLOB}` })),
  },
  {
    description: 'a cluster (by server or name) and namespace the project may deploy to',
    // Refused at creation, not found out at the first sync: an entry naming no cluster.
    'x-kubernetes-validations': [
      {
        rule: "(has(self.server) && self.server != '') || (has(self.name) && self.name != '')",
        message:
          'a destination names its cluster: give server (a URL glob) or name, e.g. server: "*"',
      },
    ],
  },
);

export const GroupKindSchema = Type.Object(
  {
    group: Type.String({ description: "API group ('' for the core group); `*` globs" }),
    kind: Type.String({ description: 'kind; `*` globs' }),
    name: Opt(Type.String({ description: 'only objects of this name (a glob); default any' })),
  },
  { description: 'kinds of objects, by API group and kind' },
);

export const DestinationServiceAccountSchema = Type.Object({
  server: Opt(Type.String({ description: `API server URL, ${GLOB}` })),
  namespace: Opt(Type.String({ description: `namespace, ${GLOB}` })),
  defaultServiceAccount: Type.String({
    description:
      'the ServiceAccount (`name`, or `namespace:name`) apps deploying there act as when they name none in spec.destination.serviceAccountName',
  }),
});

const unenforced = (what: string): ReturnType<typeof FreeForm> =>
  FreeForm(`${what}: accepted for Argo CD compatibility and kept, not enforced by Sluice`);

export const AppProjectSpecSchema = Type.Object({
  description: Opt(Type.String()),
  sourceRepos: Opt(
    Type.Array(Type.String(), {
      description: `repositories the project's apps may deploy from, each ${GLOB}; none listed: none allowed`,
    }),
  ),
  destinations: Opt(
    Type.Array(ProjectDestinationSchema, {
      description:
        'where the apps and each of their namespaced objects may go; none listed: nowhere',
    }),
  ),
  sourceNamespaces: Opt(
    Type.Array(Type.String(), {
      description: `namespaces outside the controller's own whose Applications may use this project, each ${GLOB}`,
    }),
  ),
  clusterResourceWhitelist: Opt(
    Type.Array(GroupKindSchema, {
      description: 'cluster-scoped kinds the apps may create; none listed: none allowed',
    }),
  ),
  clusterResourceBlacklist: Opt(
    Type.Array(GroupKindSchema, {
      description: 'cluster-scoped kinds denied even if allowed above',
    }),
  ),
  namespaceResourceWhitelist: Opt(
    Type.Array(GroupKindSchema, {
      description: 'namespaced kinds the apps may create; left out: all; an empty list: none',
    }),
  ),
  namespaceResourceBlacklist: Opt(
    Type.Array(GroupKindSchema, { description: 'namespaced kinds denied' }),
  ),
  destinationServiceAccounts: Opt(
    Type.Array(DestinationServiceAccountSchema, {
      description:
        'the ServiceAccount apps act as by destination, when they name none themselves (first match wins)',
    }),
  ),
  roles: Opt(Type.Array(unenforced('project roles'))),
  syncWindows: Opt(Type.Array(unenforced('sync windows'))),
  orphanedResources: Opt(unenforced('orphaned resources monitoring')),
  signatureKeys: Opt(Type.Array(unenforced('GnuPG signature keys'))),
  sourceIntegrity: Opt(unenforced('source integrity')),
  permitOnlyProjectScopedClusters: Opt(
    Type.Boolean({ description: 'accepted for Argo CD compatibility, not enforced by Sluice' }),
  ),
});

export type AppProjectSpec = Static<typeof AppProjectSpecSchema>;
export type ProjectDestination = Static<typeof ProjectDestinationSchema>;
export type GroupKindRule = Static<typeof GroupKindSchema>;
export type DestinationServiceAccount = Static<typeof DestinationServiceAccountSchema>;

export interface AppProject extends KubeObject {
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: AppProjectSpec;
}
