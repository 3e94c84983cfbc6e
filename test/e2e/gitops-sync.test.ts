/**
 * The GitOps loop end to end on the dev cluster: an Application syncs a plain-YAML directory
 * from a real Git repository, follows new commits, prunes what left Git, and keeps history.
 */
import { describe, expect, it } from 'vitest';
import { API_VERSION, KIND } from '../../src/api/application.ts';
import { readInventory } from '../../src/gitops/inventory.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { Kube } from '../../src/kube/api.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';
import {
  application,
  appName,
  configMap,
  createApp,
  createRepo,
  deployment,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('gitops');

describe('Application sync', () => {
  it('applies a directory of manifests, follows a new commit, prunes what left Git', async () => {
    const k = await kube();
    const repo = await createRepo({
      'app/web.yaml': deployment('web', 2),
      'app/config.yaml':
        configMap('settings', { color: 'blue' }) + '---\n' + configMap('extra', { a: '1' }),
    });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, targetRevision: 'main', path: 'app' },
      syncPolicy: { automated: { prune: true } },
    });
    const first = await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
    expect(first.status?.sync?.revision).toBe(await repo.git('rev-parse', 'HEAD'));
    expect(first.status?.operationState?.phase).toBe('Succeeded');
    // The images it deploys, as Argo CD's status.summary.images (promotion and scripts read it).
    expect(first.status?.summary?.images).toEqual(['nginx:1.27']);
    expect(
      readInventory(first.status)
        .map((e) => `${e.kind}/${e.name}`)
        .sort(),
    ).toEqual(['ConfigMap/extra', 'ConfigMap/settings', 'Deployment/web']);
    const web = await k.get<KubeObject & { status?: { availableReplicas?: number } }>(
      'apps/v1',
      'Deployment',
      ns(),
      'web',
    );
    expect(web?.status?.availableReplicas).toBe(2);
    expect(web?.metadata.annotations?.['sluice.dev/tracking-id']).toBe(
      `${ns()}_${name}:apps/Deployment:${ns()}/web`,
    );
    expect(first.status?.history).toHaveLength(1);
    await eventually('a SyncSucceeded event', async () => {
      const events = await k.list<KubeObject & { reason?: string; type?: string }>('v1', 'Event', {
        namespace: ns(),
        fieldSelector: `involvedObject.name=${name}`,
      });
      return events.items.some((e) => e.type === 'Normal' && e.reason === 'SyncSucceeded')
        ? true
        : undefined;
    });

    // A new commit: change a value, drop a ConfigMap. Refresh as a webhook would.
    const second = await repo.commit({
      'app/config.yaml': configMap('settings', { color: 'green' }),
    });
    await k.mergePatch(
      { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns() } },
      { metadata: { annotations: { 'sluice.dev/refresh': String(Date.now()) } } },
    );
    const after = await waitApp(
      k,
      ns(),
      name,
      'synced at the new commit',
      (a) => a.status?.sync?.revision === second && syncedHealthy(a),
    );
    const settings = await k.get<KubeObject & { data?: Record<string, string> }>(
      'v1',
      'ConfigMap',
      ns(),
      'settings',
    );
    expect(settings?.data?.['color']).toBe('green');
    expect(await k.get('v1', 'ConfigMap', ns(), 'extra')).toBeUndefined();
    const actions = after.status?.operationState?.syncResult?.resources
      .map((r) => `${r.kind}/${r.name}:${r.action}`)
      .sort();
    expect(actions).toEqual([
      'ConfigMap/extra:pruned',
      'ConfigMap/settings:configured',
      'Deployment/web:unchanged',
    ]);
    expect(after.status?.history?.map((h) => h.revision)).toEqual([
      first.status?.sync?.revision,
      second,
    ]);
  });
});

describe('steady state and health', () => {
  it('an in-sync app costs zero API requests per reconcile', async () => {
    const shared = await kube();
    const own = await Kube.connect(kubeconfigPath());
    try {
      const repo = await createRepo({
        'app/web.yaml': deployment('web', 1),
        'app/cm.yaml': configMap('settings', { a: '1' }),
      });
      const controller = await startController(own, ns());
      const name = appName();
      await shared.create(
        application(ns(), name, {
          source: { repoURL: repo.url, path: 'app' },
          destination: { namespace: ns() },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        }),
      );
      await waitApp(shared, ns(), name, 'Synced/Healthy', syncedHealthy);
      await new Promise((r) => setTimeout(r, 500)); // let the last events settle
      const snapshot = new Map(own.client.counts);
      const before = own.client.total();
      const processed = controller.queue.processed;
      for (let i = 1; i <= 5; i++) {
        controller.queue.add(`${ns()}/${name}`);
        await eventually('reconciled', async () =>
          controller.queue.processed >= processed + i ? true : undefined,
        );
      }
      const delta = [...own.client.counts]
        .filter(([k, v]) => v !== (snapshot.get(k) ?? 0))
        .map(([k, v]) => `${k}: +${v - (snapshot.get(k) ?? 0)}`);
      expect(delta).toEqual([]);
      expect(own.client.total() - before).toBe(0);
    } finally {
      await own.close();
    }
  });

  it('a Deployment past its progress deadline makes the app Degraded', async () => {
    const k = await kube();
    const stuck = deployment('stuck', 1)
      .replace('    spec:\n', '    spec:\n      nodeSelector: { no-such-node: "true" }\n')
      .replace('spec:\n  replicas', 'spec:\n  progressDeadlineSeconds: 1\n  replicas');
    const repo = await createRepo({ 'app/stuck.yaml': stuck });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app' },
      syncPolicy: { automated: {} },
    });
    const app = await waitApp(
      k,
      ns(),
      name,
      'Degraded',
      (a) => a.status?.health?.status === 'Degraded',
      60_000,
    );
    expect(app.status?.health?.message).toMatch(/progress deadline/);
    expect(app.status?.sync?.status).toBe('Synced');
  });
});
