/**
 * Whole or nothing, and visible before a sync: objects the API server refuses show as a
 * condition naming them before anyone syncs; with CreateNamespace=true a new namespace is
 * created first, everything is dry-run inside it, and one bad object means nothing is applied
 * and the namespace goes again.
 */
import { describe, expect, it } from 'vitest';
import { getCondition } from '../../src/gitops/conditions.ts';
import { kube, uniqueName, useNamespace } from './harness.ts';
import { configMap, createApp, createRepo, startController, waitApp } from './gitops-harness.ts';

const ns = useNamespace('valid');
const bad = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  n: 1\n';

describe('validation', () => {
  it('objects that fail dry-run show as a condition naming them, before any sync', async () => {
    const k = await kube();
    const repo = await createRepo({
      'app/good.yaml': configMap('good', { a: '1' }),
      'app/bad.yaml': bad,
    });
    await startController(k, ns());
    const name = await createApp(k, ns(), { source: { repoURL: repo.url, path: 'app' } });
    const app = await waitApp(k, ns(), name, 'ValidationFailed', (a) =>
      getCondition(a.status?.conditions, 'Ready')?.reason === 'ValidationFailed' ? true : false,
    );
    const ready = getCondition(app.status?.conditions, 'Ready');
    expect(ready?.message).toContain(`ConfigMap/${ns()}/bad`);
    expect(ready?.message).toContain('nothing');
    expect(app.status?.sync?.status).toBe('OutOfSync');
    expect(app.status?.operationState).toBeUndefined();
    expect(await k.get('v1', 'ConfigMap', ns(), 'good')).toBeUndefined();
  });

  it('CreateNamespace: one invalid object and nothing is applied, the new namespace removed', async () => {
    const k = await kube();
    const target = uniqueName('fresh');
    const repo = await createRepo({
      'app/good.yaml': configMap('good', { a: '1' }),
      'app/bad.yaml': bad,
    });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app' },
      destination: { namespace: target },
      syncPolicy: { automated: {}, syncOptions: ['CreateNamespace=true'], retry: { limit: 0 } },
    });
    try {
      const app = await waitApp(
        k,
        ns(),
        name,
        'sync Failed',
        (a) => a.status?.operationState?.phase === 'Failed',
      );
      const op = app.status?.operationState;
      expect(op?.message).toContain('nothing was applied');
      expect(op?.message).toContain(`ConfigMap/${target}/bad`);
      const failed = op?.syncResult?.resources.find((r) => r.name === 'bad');
      expect(failed).toMatchObject({ action: 'failed', reason: 'DryRunFailed' });
      expect(await k.get('v1', 'ConfigMap', target, 'good')).toBeUndefined();
      const left = await k.get('v1', 'Namespace', undefined, target);
      expect(left === undefined || left.metadata.deletionTimestamp !== undefined).toBe(true);
    } finally {
      await k
        .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: target } })
        .catch(() => false);
    }
  });
});
