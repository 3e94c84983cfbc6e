/**
 * What an AppProject allows, as fixture tables: repositories, destinations (server or name,
 * namespace globs, deny rules), kinds (cluster-scoped vs namespaced), the default project, a
 * missing project, and apps outside the controller's namespace.
 */
import { describe, expect, it } from 'vitest';
import type { Application } from '../../api/application.ts';
import type { AppProject, AppProjectSpec } from '../../api/project.ts';
import type { ObjectRef } from '../../kube/types.ts';
import { refuseApp, refuseObjects, resolveProject } from './resolve.ts';
import { checkDestination, checkSource, type Destination, type Project } from './rules.ts';

const IN_CLUSTER = { server: 'https://kubernetes.default.svc', name: 'in-cluster' };

const teamA: Project = {
  name: 'team-a',
  spec: {
    sourceRepos: ['https://git.example.com/team-a/*', '!https://git.example.com/team-a/secret*'],
    destinations: [
      { server: 'https://kubernetes.default.svc', namespace: 'team-a-*' },
      { name: 'staging', namespace: 'team-a' },
    ],
    clusterResourceWhitelist: [{ group: '', kind: 'Namespace', name: 'team-a-*' }],
    namespaceResourceBlacklist: [{ group: '', kind: 'ResourceQuota' }],
  },
};

describe('sourceRepos', () => {
  const cases: Array<[string, Project, string, string | undefined]> = [
    ['a repository under the glob', teamA, 'https://git.example.com/team-a/web.git', undefined],
    [
      'compared without .git and case',
      { name: 'p', spec: { sourceRepos: ['https://git.example.com/Team-A/web'] } },
      'https://git.example.com/team-a/web.git',
      undefined,
    ],
    [
      'another team',
      teamA,
      'https://git.example.com/team-b/web.git',
      'does not allow repository https://git.example.com/team-b/web.git (sourceRepos: https://git.example.com/team-a/*, !https://git.example.com/team-a/secret*)',
    ],
    [
      'a deny rule wins',
      teamA,
      'https://git.example.com/team-a/secrets.git',
      'denies repository https://git.example.com/team-a/secrets.git (sourceRepos: !https://git.example.com/team-a/secret*)',
    ],
    [
      'none listed: none allowed',
      { name: 'p', spec: {} },
      'file:///tmp/repo',
      'does not allow repository file:///tmp/repo (sourceRepos: none listed)',
    ],
    ['* allows any', { name: 'p', spec: { sourceRepos: ['*'] } }, 'file:///tmp/repo', undefined],
  ];
  it.each(cases)('%s', (_what, project, url, message) => {
    const r = checkSource(project, url);
    expect(r?.message).toBe(
      message === undefined ? undefined : `project ${project.name} ${message}`,
    );
    if (r) expect(r).toMatchObject({ code: 'ProjectRefused', rule: 'sourceRepos' });
  });
});

describe('destinations', () => {
  const denyKube: Project = {
    name: 'p',
    spec: {
      destinations: [
        { server: '*', namespace: '!kube-*' },
        { server: '*', namespace: '*' },
      ],
    },
  };
  const cases: Array<[string, Project, Destination, string | undefined]> = [
    ['a namespace under the glob', teamA, { ...IN_CLUSTER, namespace: 'team-a-web' }, undefined],
    [
      'another team’s namespace',
      teamA,
      { ...IN_CLUSTER, namespace: 'team-b' },
      'does not allow destination namespace team-b (allowed: team-a-*)',
    ],
    [
      'a cluster by name',
      teamA,
      { server: 'https://10.0.0.9', name: 'staging', namespace: 'team-a' },
      undefined,
    ],
    [
      'a cluster not listed',
      teamA,
      { server: 'https://10.0.0.8', name: 'prod', namespace: 'team-a' },
      'does not allow destination cluster prod (https://10.0.0.8) (allowed: server https://kubernetes.default.svc namespace team-a-*, name staging namespace team-a)',
    ],
    [
      'a deny rule wins over a later allow',
      denyKube,
      { ...IN_CLUSTER, namespace: 'kube-system' },
      'denies destination in-cluster namespace kube-system (destinations: server * namespace !kube-*)',
    ],
    [
      'what the deny rule leaves is allowed',
      denyKube,
      { ...IN_CLUSTER, namespace: 'web' },
      undefined,
    ],
    [
      'none listed: nowhere',
      { name: 'p', spec: {} },
      { ...IN_CLUSTER, namespace: 'web' },
      'does not allow destination cluster in-cluster (https://kubernetes.default.svc) (allowed: none listed)',
    ],
    [
      'no namespace given matches only a namespace pattern that allows none',
      teamA,
      { ...IN_CLUSTER, namespace: '' },
      'does not allow destination namespace (none) (allowed: team-a-*)',
    ],
  ];
  it.each(cases)('%s', (_what, project, dst, message) => {
    expect(checkDestination(project, dst)?.message).toBe(
      message === undefined ? undefined : `project ${project.name} ${message}`,
    );
  });
});

describe('objects', () => {
  const ref = (group: string, kind: string, namespace: string, name: string): ObjectRef => ({
    group,
    kind,
    namespace,
    name,
  });
  const onlyConfigMaps: Project = {
    name: 'cm',
    spec: {
      destinations: [{ server: '*', namespace: '*' }],
      namespaceResourceWhitelist: [{ group: '', kind: 'ConfigMap' }],
      clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      clusterResourceBlacklist: [{ group: 'rbac.authorization.k8s.io', kind: '*' }],
    },
  };
  const noneNamespaced: Project = {
    name: 'none',
    spec: { destinations: [{ server: '*', namespace: '*' }], namespaceResourceWhitelist: [] },
  };
  const cases: Array<[string, Project, ObjectRef, boolean, string | undefined, string?]> = [
    [
      'a ClusterRole: cluster-scoped kinds need the whitelist',
      teamA,
      ref('rbac.authorization.k8s.io', 'ClusterRole', '', 'admin'),
      false,
      'does not allow ClusterRole/admin: cluster-scoped kind rbac.authorization.k8s.io/ClusterRole is not in clusterResourceWhitelist (allowed: (core)/Namespace named team-a-*)',
      'clusterResourceWhitelist',
    ],
    [
      'a Namespace the whitelist names',
      teamA,
      ref('', 'Namespace', '', 'team-a-web'),
      false,
      undefined,
    ],
    [
      'a Namespace of another name',
      teamA,
      ref('', 'Namespace', '', 'team-b'),
      false,
      'does not allow Namespace/team-b: cluster-scoped kind (core)/Namespace is not in clusterResourceWhitelist (allowed: (core)/Namespace named team-a-*)',
      'clusterResourceWhitelist',
    ],
    [
      'the blacklist beats the whitelist',
      onlyConfigMaps,
      ref('rbac.authorization.k8s.io', 'ClusterRoleBinding', '', 'x'),
      false,
      'does not allow ClusterRoleBinding/x: clusterResourceBlacklist denies rbac.authorization.k8s.io/*',
      'clusterResourceBlacklist',
    ],
    [
      'namespaced kinds are allowed by default',
      teamA,
      ref('apps', 'Deployment', 'team-a-web', 'web'),
      true,
      undefined,
    ],
    [
      'a namespaced kind the blacklist names',
      teamA,
      ref('', 'ResourceQuota', 'team-a-web', 'q'),
      true,
      'does not allow ResourceQuota/team-a-web/q: namespaceResourceBlacklist denies (core)/ResourceQuota',
      'namespaceResourceBlacklist',
    ],
    [
      'a namespaced kind outside a given whitelist',
      onlyConfigMaps,
      ref('apps', 'Deployment', 'web', 'web'),
      true,
      'does not allow Deployment/web/web: kind apps/Deployment is not in namespaceResourceWhitelist (allowed: (core)/ConfigMap)',
      'namespaceResourceWhitelist',
    ],
    [
      'an empty namespaced whitelist allows none',
      noneNamespaced,
      ref('', 'ConfigMap', 'web', 'c'),
      true,
      'does not allow ConfigMap/web/c: kind (core)/ConfigMap is not in namespaceResourceWhitelist (allowed: none listed)',
      'namespaceResourceWhitelist',
    ],
    [
      'an object in another team’s namespace',
      teamA,
      ref('', 'ConfigMap', 'team-b', 'c'),
      true,
      'does not allow ConfigMap/team-b/c: destination namespace team-b (allowed: team-a-*)',
      'destinations',
    ],
    [
      'an object in an allowed namespace',
      teamA,
      ref('', 'ConfigMap', 'team-a-x', 'c'),
      true,
      undefined,
    ],
  ];
  it.each(cases)('%s', (_what, project, r, namespaced, message, rule) => {
    const [refusal] = refuseObjects(project, [{ ref: r, namespaced }], IN_CLUSTER);
    expect(refusal?.message).toBe(
      message === undefined ? undefined : `project ${project.name} ${message}`,
    );
    if (rule) expect(refusal).toMatchObject({ rule, object: r, project: project.name });
  });
});

describe('resolveProject', () => {
  const app = (namespace: string, project?: string, repoURL = 'file:///repo'): Application => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'Application',
    metadata: { name: 'web', namespace },
    spec: {
      ...(project !== undefined ? { project } : {}),
      source: { repoURL },
      destination: { namespace: 'team-a-web' },
    },
  });
  const stored = (name: string, spec: AppProjectSpec): AppProject => ({
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AppProject',
    metadata: { name, namespace: 'sluice-system' },
    spec,
  });
  const projects = new Map([
    ['team-a', stored('team-a', { ...teamA.spec, sourceNamespaces: ['team-a-*'] })],
  ]);
  const lookup = (name: string): AppProject | undefined => projects.get(name);
  const cases: Array<[string, Application, string]> = [
    ['no project named: the implicit default allows everything', app('anywhere'), 'default'],
    ['`default` named, none stored: the same', app('sluice-system', 'default'), 'default'],
    ['a stored project, app in the controller namespace', app('sluice-system', 'team-a'), 'team-a'],
    ['a stored project, app in a namespace it lists', app('team-a-apps', 'team-a'), 'team-a'],
    [
      'a project that does not exist',
      app('sluice-system', 'team-z'),
      'ProjectNotFound: project team-z does not exist: create AppProject sluice-system/team-z, or set spec.project to an existing project',
    ],
    [
      'an app in a namespace the project does not list',
      app('team-b', 'team-a'),
      'sourceNamespaces: project team-a does not allow Applications in namespace team-b (sourceNamespaces: team-a-*; Applications in sluice-system always may)',
    ],
  ];
  it.each(cases)('%s', (_what, a, want) => {
    const r = resolveProject(a, lookup, 'sluice-system');
    const got =
      'project' in r
        ? r.project.name
        : `${r.refusal.code === 'ProjectNotFound' ? r.refusal.code : r.refusal.rule}: ${r.refusal.message}`;
    expect(got).toBe(want);
  });

  it('the implicit default refuses nothing', () => {
    const r = resolveProject(app('x'), lookup, 'sluice-system');
    if (!('project' in r)) throw new Error('expected a project');
    const dst = { server: 'https://10.1.1.1', name: 'far', namespace: 'kube-system' };
    expect(refuseApp(r.project, app('x', undefined, 'ssh://git@h/x.git'), dst)).toBeUndefined();
    const objects = [
      {
        ref: { group: 'rbac.authorization.k8s.io', kind: 'ClusterRole', namespace: '', name: 'a' },
        namespaced: false,
      },
      {
        ref: { group: 'apps', kind: 'Deployment', namespace: 'kube-system', name: 'd' },
        namespaced: true,
      },
    ];
    expect(refuseObjects(r.project, objects, dst)).toEqual([]);
  });

  it('refuseApp checks the repository before the destination', () => {
    const r = refuseApp(teamA, app('x', 'team-a', 'https://git.example.com/team-b/x'), {
      ...IN_CLUSTER,
      namespace: 'team-b',
    });
    expect(r?.rule).toBe('sourceRepos');
  });
});
