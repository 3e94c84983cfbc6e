/**
 * The GitOps loop end to end on the dev cluster: an Application syncs a plain-YAML directory
 * from a real Git repository, follows new commits, prunes what left Git, and keeps history.
 */
import { describe, expect, it } from 'vitest';
import { API_VERSION, KIND } from '../../src/api/application.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { kube, useNamespace } from './harness.ts';
import {
  application,
  appName,
  configMap,
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
    const name = appName('guestbook');
    await k.create(
      application(ns(), name, {
        source: { repoURL: repo.url, targetRevision: 'main', path: 'app' },
        destination: { namespace: ns() },
        syncPolicy: { automated: { prune: true } },
      }),
    );
    const first = await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
    expect(first.status?.sync?.revision).toBe(await repo.git('rev-parse', 'HEAD'));
    expect(first.status?.operationState?.phase).toBe('Succeeded');
    expect(first.status?.inventory?.map((e) => `${e.kind}/${e.name}`).sort()).toEqual([
      'ConfigMap/extra',
      'ConfigMap/settings',
      'Deployment/web',
    ]);
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
