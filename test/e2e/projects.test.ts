/**
 * Projects fence apps in, on the real dev cluster: an app in project team-a pointing at team-b's
 * namespace, or carrying a ClusterRole, or an object placed in team-b's namespace, is refused
 * with the project's rule named and nothing of it applied; an app naming a project that does not
 * exist is refused; an allowed app syncs; widening the project lets a refused app sync at once;
 * a project destination that names no cluster is refused by the API server at creation.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Application } from '../../src/api/application.ts';
import type { AppProject, AppProjectSpec } from '../../src/api/project.ts';
import { getCondition } from '../../src/gitops/conditions.ts';
import type { Kube } from '../../src/kube/api.ts';
import { kube, uniqueName, useNamespace } from './harness.ts';
import {
  configMap,
  createApp,
  createRepo,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('projects');
const teamA = useNamespace('team-a');
const teamB = useNamespace('team-b');

async function createProject(k: Kube, name: string, spec: AppProjectSpec): Promise<void> {
  const project: AppProject = {
    apiVersion: 'sluice.dev/v1alpha1',
    kind: 'AppProject',
    metadata: { name, namespace: ns() },
    spec,
  };
  await k.create(project);
}

/** team-a: any repository, only team-a's namespace on the local cluster, no cluster-scoped kinds. */
const teamASpec = (): AppProjectSpec => ({
  description: 'team a',
  sourceRepos: ['*'],
  destinations: [{ name: 'in-cluster', namespace: teamA() }],
});

async function refused(
  k: Kube,
  name: string,
  reason: 'ProjectRefused' | 'ProjectNotFound' = 'ProjectRefused',
): Promise<{ reason: string; message: string; app: Application }> {
  const app = await waitApp(
    k,
    ns(),
    name,
    `Ready=False ${reason}`,
    (a) => getCondition(a.status?.conditions, 'Ready')?.reason === reason,
  );
  const c = getCondition(app.status?.conditions, 'Ready');
  return { reason: c?.reason ?? '', message: c?.message ?? '', app };
}

describe('projects', () => {
  it('an app in team-a pointing at team-b’s namespace is refused, nothing applied; widening the project lets it sync', async () => {
    const k = await kube();
    await startController(k, ns());
    await createProject(k, 'team-a', teamASpec());
    const repo = await createRepo({ 'app/cm.yaml': configMap('settings', { a: '1' }) });
    const name = await createApp(k, ns(), {
      project: 'team-a',
      source: { repoURL: repo.url, path: 'app' },
      destination: { namespace: teamB() },
      syncPolicy: { automated: { prune: true } },
    });
    const { reason, message, app } = await refused(k, name);
    expect(reason).toBe('ProjectRefused');
    expect(message).toContain(
      `project team-a does not allow destination namespace ${teamB()} (allowed: ${teamA()})`,
    );
    expect(message).toContain('nothing is applied or pruned');
    expect(getCondition(app.status?.conditions, 'Stalled')?.status).toBe('True');
    expect(await k.get('v1', 'ConfigMap', teamB(), 'settings')).toBeUndefined();

    // The project changes: the apps in it are reconciled again at once.
    await k.mergePatch(
      {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'AppProject',
        metadata: { name: 'team-a', namespace: ns() },
      },
      {
        spec: {
          destinations: [
            ...(teamASpec().destinations ?? []),
            { name: 'in-cluster', namespace: teamB() },
          ],
        },
      },
    );
    await waitApp(k, ns(), name, 'Synced/Healthy after the project allows team-b', syncedHealthy);
    expect(await k.get('v1', 'ConfigMap', teamB(), 'settings')).toBeDefined();
  });

  it('an app in team-a carrying a ClusterRole is refused with the project’s rule named, nothing applied', async () => {
    const k = await kube();
    await startController(k, ns());
    await createProject(k, 'team-a', teamASpec());
    const role = uniqueName('team-a-reader');
    const repo = await createRepo({
      'app/cm.yaml': configMap('settings', { a: '1' }),
      'app/role.yaml': `apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: ${role}\nrules:\n  - apiGroups: ['']\n    resources: [pods]\n    verbs: [get]\n`,
    });
    const name = await createApp(k, ns(), {
      project: 'team-a',
      source: { repoURL: repo.url, path: 'app' },
      destination: { namespace: teamA() },
      syncPolicy: { automated: { prune: true } },
    });
    const { reason, message } = await refused(k, name);
    expect(reason).toBe('ProjectRefused');
    expect(message).toContain(
      `project team-a does not allow ClusterRole/${role}: cluster-scoped kind rbac.authorization.k8s.io/ClusterRole is not in clusterResourceWhitelist (allowed: none listed)`,
    );
    expect(await k.get('v1', 'ConfigMap', teamA(), 'settings')).toBeUndefined();
    expect(
      await k.get('rbac.authorization.k8s.io/v1', 'ClusterRole', undefined, role),
    ).toBeUndefined();
  });

  it('an object placed in team-b’s namespace by its manifest is refused, nothing applied', async () => {
    const k = await kube();
    await startController(k, ns());
    await createProject(k, 'team-a', teamASpec());
    const repo = await createRepo({
      'app/mine.yaml': configMap('mine', { a: '1' }),
      'app/theirs.yaml': configMap('theirs', { a: '1' }, `  namespace: ${teamB()}\n`),
    });
    const name = await createApp(k, ns(), {
      project: 'team-a',
      source: { repoURL: repo.url, path: 'app' },
      destination: { namespace: teamA() },
      syncPolicy: { automated: {} },
    });
    const { reason, message } = await refused(k, name);
    expect(reason).toBe('ProjectRefused');
    expect(message).toContain(
      `project team-a does not allow ConfigMap/${teamB()}/theirs: destination namespace ${teamB()} (allowed: ${teamA()})`,
    );
    expect(await k.get('v1', 'ConfigMap', teamA(), 'mine')).toBeUndefined();
    expect(await k.get('v1', 'ConfigMap', teamB(), 'theirs')).toBeUndefined();
  });

  it('an allowed app syncs; one naming a project that does not exist is refused', async () => {
    const k = await kube();
    await startController(k, ns());
    await createProject(k, 'team-a', teamASpec());
    const repo = await createRepo({ 'app/cm.yaml': configMap('settings', { a: '1' }) });
    const allowed = await createApp(k, ns(), {
      project: 'team-a',
      source: { repoURL: repo.url, path: 'app' },
      destination: { namespace: teamA() },
      syncPolicy: { automated: {} },
    });
    const missing = await createApp(k, ns(), {
      project: 'team-z',
      source: { repoURL: repo.url, path: 'app' },
      destination: { namespace: teamB() },
      syncPolicy: { automated: {} },
    });
    await waitApp(k, ns(), allowed, 'Synced/Healthy', syncedHealthy);
    expect(await k.get('v1', 'ConfigMap', teamA(), 'settings')).toBeDefined();
    const { reason, message } = await refused(k, missing, 'ProjectNotFound');
    expect(reason).toBe('ProjectNotFound');
    expect(message).toContain(`project team-z does not exist: create AppProject ${ns()}/team-z`);
    expect(await k.get('v1', 'ConfigMap', teamB(), 'settings')).toBeUndefined();
  });

  it('bad input: a destination naming no cluster is refused when the project is created', async () => {
    const k = await kube();
    await startController(k, ns());
    await expect(
      createProject(k, 'bad', { sourceRepos: ['*'], destinations: [{ namespace: teamA() }] }),
    ).rejects.toThrow('a destination names its cluster: give server (a URL glob) or name');
    expect(await k.get('sluice.dev/v1alpha1', 'AppProject', ns(), 'bad')).toBeUndefined();
  });

  it('an Argo CD AppProject works after changing its apiVersion alone (roles and sync windows kept)', async () => {
    const k = await kube();
    await startController(k, ns());
    const argo = `apiVersion: sluice.dev/v1alpha1
kind: AppProject
metadata:
  name: team-a
  namespace: ${ns()}
spec:
  description: Team A
  sourceRepos:
    - 'file:///*'
    - '!file:///nowhere/*'
  destinations:
    - namespace: '${teamA()}'
      server: https://kubernetes.default.svc
  clusterResourceWhitelist: []
  namespaceResourceBlacklist:
    - group: ''
      kind: ResourceQuota
  roles:
    - name: read-only
      policies: ['p, proj:team-a:read-only, applications, get, team-a/*, allow']
  syncWindows:
    - kind: deny
      schedule: '0 22 * * *'
      duration: 1h
      applications: ['*']
`;
    await k.create(parse(argo) as AppProject);
    const stored = await k.get<AppProject>('sluice.dev/v1alpha1', 'AppProject', ns(), 'team-a');
    expect(stored?.spec.roles).toHaveLength(1);
    expect(stored?.spec.syncWindows).toHaveLength(1);
    const repo = await createRepo({
      'app/cm.yaml': configMap('settings', { a: '1' }),
      'app/quota.yaml': `apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\nspec:\n  hard: { pods: "10" }\n`,
    });
    const name = await createApp(k, ns(), {
      project: 'team-a',
      source: { repoURL: repo.url, path: 'app' },
      destination: { server: 'https://kubernetes.default.svc', namespace: teamA() },
      syncPolicy: { automated: {} },
    });
    const { message } = await refused(k, name);
    expect(message).toContain(
      `project team-a does not allow ResourceQuota/${teamA()}/q: namespaceResourceBlacklist denies (core)/ResourceQuota`,
    );
    expect(await k.get('v1', 'ConfigMap', teamA(), 'settings')).toBeUndefined();
  });
});
