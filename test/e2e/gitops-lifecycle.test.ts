/**
 * An Application's life: prune off and Prune=false keep objects, PruneLast prunes after the
 * rest, history and rollback (which pauses automated sync), dependsOn ordering, and deletion
 * with the resources finalizer pruning what the app managed.
 */
import { describe, expect, it } from 'vitest';
import { API_VERSION, KIND } from '../../src/api/application.ts';
import { FINALIZER } from '../../src/gitops/annotations.ts';
import { getCondition } from '../../src/gitops/conditions.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import {
  application,
  appName,
  configMap,
  createApp,
  createRepo,
  getApp,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('life');
const ref = (name: string) => ({
  apiVersion: API_VERSION,
  kind: KIND,
  metadata: { name, namespace: ns() },
});
const refresh = async (name: string): Promise<void> => {
  await (
    await kube()
  ).mergePatch(ref(name), {
    metadata: { annotations: { 'sluice.dev/refresh': String(Math.random()) } },
  });
};
type CM = KubeObject & { data?: Record<string, string> };

describe('application lifecycle', () => {
  it('prune off keeps removed objects (OutOfSync, requiresPruning); Prune=false keeps one even with prune on', async () => {
    const k = await kube();
    const repo = await createRepo({
      'app/a.yaml': configMap('a', { v: '1' }),
      'app/b.yaml': configMap('b', { v: '1' }),
      'app/c.yaml': configMap(
        'c',
        { v: '1' },
        '  annotations:\n    sluice.dev/sync-options: Prune=false\n',
      ),
    });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app' },
      syncPolicy: { automated: { prune: false } },
    });
    await waitApp(k, ns(), name, 'Synced', syncedHealthy);
    const rev = await repo.commit({ 'app/b.yaml': null, 'app/c.yaml': null });
    await refresh(name);
    const app = await waitApp(
      k,
      ns(),
      name,
      'OutOfSync with b to prune',
      (a) => a.status?.sync?.revision === rev && a.status.sync.status === 'OutOfSync',
    );
    expect(app.status?.resources?.find((r) => r.name === 'b')?.requiresPruning).toBe(true);
    expect(await k.get('v1', 'ConfigMap', ns(), 'b')).toBeDefined();

    await k.mergePatch(ref(name), { spec: { syncPolicy: { automated: { prune: true } } } });
    const pruned = await waitApp(
      k,
      ns(),
      name,
      'Synced after pruning',
      (a) =>
        syncedHealthy(a) &&
        (a.status?.operationState?.syncResult?.resources.some(
          (r) => r.name === 'b' && r.action === 'pruned',
        ) ??
          false),
    );
    expect(await k.get('v1', 'ConfigMap', ns(), 'b')).toBeUndefined();
    expect(await k.get('v1', 'ConfigMap', ns(), 'c')).toBeDefined();
    // Prune=false: left alone on purpose, so it neither blocks Synced nor gets deleted.
    expect(pruned.status?.sync?.status).toBe('Synced');
    expect(pruned.status?.resources?.some((r) => r.name === 'c')).toBe(false);
  });

  it('keeps history, rolls back to an earlier revision and pauses automated sync until resumed', async () => {
    const k = await kube();
    const repo = await createRepo({ 'app/cm.yaml': configMap('settings', { version: 'one' }) });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, targetRevision: 'main', path: 'app' },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    const v1 = await waitApp(k, ns(), name, 'Synced', syncedHealthy);
    const rev2 = await repo.commit({ 'app/cm.yaml': configMap('settings', { version: 'two' }) });
    await refresh(name);
    const v2 = await waitApp(
      k,
      ns(),
      name,
      'at rev 2',
      (a) => a.status?.sync?.revision === rev2 && syncedHealthy(a),
    );
    expect(v2.status?.history?.map((h) => h.id)).toEqual([1, 2]);

    // Rollback as `sluice app rollback NAME 1` does: pause automation, sync history entry 1.
    const first = v1.status?.history?.[0];
    await k.mergePatch(ref(name), { spec: { syncPolicy: { automated: { enabled: false } } } });
    await k.mergePatch(ref(name), {
      operation: {
        sync: { revision: first?.revision, historyId: 1 },
        initiatedBy: { username: 'alice' },
      },
    });
    const rolled = await waitApp(
      k,
      ns(),
      name,
      'rolled back',
      (a) => a.operation === undefined && a.status?.history?.length === 3,
    );
    expect((await k.get<CM>('v1', 'ConfigMap', ns(), 'settings'))?.data?.['version']).toBe('one');
    expect(rolled.status?.history?.at(-1)).toMatchObject({
      id: 3,
      revision: first?.revision,
      initiatedBy: 'alice',
    });
    // Automated sync stays paused: the app reports OutOfSync against main and does not move.
    const paused = await waitApp(
      k,
      ns(),
      name,
      'OutOfSync, paused',
      (a) => a.status?.sync?.status === 'OutOfSync',
    );
    expect(getCondition(paused.status?.conditions, 'Ready')?.reason).toBe('AutoSyncPaused');
    await new Promise((r) => setTimeout(r, 1000));
    expect((await k.get<CM>('v1', 'ConfigMap', ns(), 'settings'))?.data?.['version']).toBe('one');
    // Turned on again: back to main.
    await k.mergePatch(ref(name), { spec: { syncPolicy: { automated: { enabled: true } } } });
    await waitApp(
      k,
      ns(),
      name,
      'back at main',
      (a) => a.status?.sync?.revision === rev2 && syncedHealthy(a),
    );
    expect((await k.get<CM>('v1', 'ConfigMap', ns(), 'settings'))?.data?.['version']).toBe('two');
  });

  it('dependsOn: an app waits until the apps it depends on are Synced and Healthy', async () => {
    const k = await kube();
    const repo = await createRepo({
      'db/cm.yaml': configMap('db', { v: '1' }),
      'web/cm.yaml': configMap('web', { v: '1' }),
    });
    await startController(k, ns());
    const db = appName('db');
    const web = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'web' },
      syncPolicy: { automated: {} },
      dependsOn: [{ name: db }],
    });
    const waiting = await waitApp(
      k,
      ns(),
      web,
      'DependencyNotReady',
      (a) => getCondition(a.status?.conditions, 'Ready')?.reason === 'DependencyNotReady',
    );
    expect(getCondition(waiting.status?.conditions, 'Ready')?.message).toContain(db);
    expect(await k.get('v1', 'ConfigMap', ns(), 'web')).toBeUndefined();
    await k.create(
      application(ns(), db, {
        source: { repoURL: repo.url, path: 'db' },
        destination: { namespace: ns() },
        syncPolicy: { automated: {} },
      }),
    );
    await waitApp(k, ns(), web, 'web synced after db', syncedHealthy);
    const dbApp = await getApp(k, ns(), db);
    const webApp = await getApp(k, ns(), web);
    expect(Date.parse(webApp?.status?.history?.[0]?.deployedAt ?? '')).toBeGreaterThanOrEqual(
      Date.parse(dbApp?.status?.history?.[0]?.deployedAt ?? ''),
    );
  });

  it('deleting an app with the resources finalizer prunes what it managed', async () => {
    const k = await kube();
    const repo = await createRepo({
      'app/a.yaml': configMap('a', { v: '1' }),
      'app/b.yaml': configMap('b', { v: '1' }),
    });
    await startController(k, ns());
    const name = appName();
    const app = application(ns(), name, {
      source: { repoURL: repo.url, path: 'app' },
      destination: { namespace: ns() },
      syncPolicy: { automated: {} },
    });
    app.metadata.finalizers = [FINALIZER];
    await k.create(app);
    await waitApp(k, ns(), name, 'Synced', syncedHealthy);
    await k.delete(ref(name));
    await eventually('the app gone', async () =>
      (await getApp(k, ns(), name)) ? undefined : true,
    );
    expect(await k.get('v1', 'ConfigMap', ns(), 'a')).toBeUndefined();
    expect(await k.get('v1', 'ConfigMap', ns(), 'b')).toBeUndefined();
  });
});
