/**
 * Per-app ServiceAccount impersonation on the real dev cluster (Flux's model): an app with
 * `spec.destination.serviceAccountName` is applied and pruned as that ServiceAccount, so its RBAC
 * limits the app even though the controller's own identity could do more. A ServiceAccount that
 * may only manage ConfigMaps syncs ConfigMaps; a Deployment in a later revision is refused by the
 * API server, the condition shows the server's forbidden message naming the ServiceAccount, and
 * nothing of that revision is applied or pruned.
 */
import { describe, expect, it } from 'vitest';
import { getCondition } from '../../src/gitops/conditions.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { kube, useNamespace } from './harness.ts';
import {
  configMap,
  createApp,
  createRepo,
  deployment,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('imp');
const tenant = useNamespace('tenant');

/** ServiceAccount `deployer` in the tenant namespace, allowed ConfigMaps there and nothing else. */
async function configMapsOnlyAccount(k: Kube, namespace: string): Promise<void> {
  await k.create({
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: { name: 'deployer', namespace },
  });
  await k.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'Role',
    metadata: { name: 'configmaps', namespace },
    rules: [
      {
        apiGroups: [''],
        resources: ['configmaps'],
        verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
      },
    ],
  });
  await k.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'deployer-configmaps', namespace },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'configmaps' },
    subjects: [{ kind: 'ServiceAccount', name: 'deployer', namespace }],
  });
}

const data = async (k: Kube, namespace: string, name: string): Promise<unknown> =>
  (await k.get<KubeObject & { data?: Record<string, string> }>('v1', 'ConfigMap', namespace, name))
    ?.data;

describe('ServiceAccount impersonation', () => {
  it('applies as the app’s ServiceAccount: ConfigMaps sync, a Deployment is forbidden by the API server naming it, nothing else applied or pruned', async () => {
    const k = await kube();
    await configMapsOnlyAccount(k, tenant());
    const repo = await createRepo({
      'app/a.yaml': configMap('a', { v: '1' }),
      'app/b.yaml': configMap('b', { v: '1' }),
    });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app' },
      destination: { namespace: tenant(), serviceAccountName: 'deployer' },
      syncPolicy: { automated: { prune: true } },
    });
    await waitApp(k, ns(), name, 'Synced/Healthy as the ServiceAccount', syncedHealthy);
    expect(await data(k, tenant(), 'a')).toEqual({ v: '1' });
    expect(await data(k, tenant(), 'b')).toEqual({ v: '1' });

    // A revision that changes a, drops b (a prune) and adds a Deployment the account may not make.
    await repo.commit({
      'app/a.yaml': configMap('a', { v: '2' }),
      'app/b.yaml': null,
      'app/web.yaml': deployment('web', 1),
    });
    await k.mergePatch(
      {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: ns() },
      },
      { metadata: { annotations: { 'sluice.dev/refresh': 'now' } } },
    );
    const app = await waitApp(k, ns(), name, 'Ready=False with a forbidden message', (a) => {
      const c = getCondition(a.status?.conditions, 'Ready');
      return c?.status === 'False' && (c.message ?? '').includes('forbidden');
    });
    const message = getCondition(app.status?.conditions, 'Ready')?.message ?? '';
    expect(message).toContain(`Deployment/${tenant()}/web`);
    expect(message).toContain(`User "system:serviceaccount:${tenant()}:deployer" cannot`);
    expect(message).toContain('resource "deployments"');
    // Nothing of the refused revision: a keeps its old data, b was not pruned, no Deployment.
    expect(await data(k, tenant(), 'a')).toEqual({ v: '1' });
    expect(await data(k, tenant(), 'b')).toEqual({ v: '1' });
    expect(await k.get('apps/v1', 'Deployment', tenant(), 'web')).toBeUndefined();

    // Without the Deployment the revision syncs: a applied and b pruned, both as the account.
    await repo.commit({ 'app/web.yaml': null });
    await k.mergePatch(
      {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: ns() },
      },
      { metadata: { annotations: { 'sluice.dev/refresh': 'again' } } },
    );
    await waitApp(k, ns(), name, 'Synced/Healthy again', syncedHealthy);
    expect(await data(k, tenant(), 'a')).toEqual({ v: '2' });
    expect(await k.get('v1', 'ConfigMap', tenant(), 'b')).toBeUndefined();
  });

  it('without serviceAccountName the same app acts as the controller: the Deployment is applied', async () => {
    const k = await kube();
    await configMapsOnlyAccount(k, tenant());
    const repo = await createRepo({ 'app/web.yaml': deployment('web', 1) });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app' },
      destination: { namespace: tenant() },
      syncPolicy: { automated: {} },
    });
    await waitApp(k, ns(), name, 'Synced', (a) => a.status?.sync?.status === 'Synced');
    expect(await k.get('apps/v1', 'Deployment', tenant(), 'web')).toBeDefined();
  });
});
