/**
 * Hooks, waves and staging: a PreSync migration Job completes before the Deployment is applied;
 * a failed hook fails the sync and runs SyncFail hooks; waves apply in order; a CRD and its
 * custom resource sync together; CreateNamespace creates the destination.
 */
import { describe, expect, it } from 'vitest';
import { readInventory } from '../../src/gitops/inventory.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { kube, uniqueName, useNamespace } from './harness.ts';
import {
  configMap,
  createApp,
  createRepo,
  deployment,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('hooks');

const job = (
  name: string,
  annotations: Record<string, string>,
  fail = false,
): string => `apiVersion: batch/v1
kind: Job
metadata:
  name: ${name}
  annotations:
${Object.entries(annotations)
  .map(([k, v]) => `    ${k}: "${v}"`)
  .join('\n')}
spec:
  backoffLimit: 0
${fail ? '  activeDeadlineSeconds: 2\n' : ''}  template:
    spec:
      restartPolicy: Never
${fail ? '      nodeSelector: { no-such-node: "true" }\n' : ''}      containers:
        - name: main
          image: busybox
          command: ["sh", "-c", "echo migrate"]
`;

interface JobStatus extends KubeObject {
  status?: { completionTime?: string; succeeded?: number };
}

describe('hooks and waves', () => {
  it('runs a PreSync migration Job to completion before applying the Deployment', async () => {
    const k = await kube();
    const repo = await createRepo({
      'app/migrate.yaml': job('migrate', { 'argocd.argoproj.io/hook': 'PreSync' }),
      'app/web.yaml': deployment('web', 1),
      'app/post.yaml': configMap(
        'post-sync-marker',
        { done: 'yes' },
        '  annotations:\n    sluice.dev/hook: PostSync\n    sluice.dev/hook-delete-policy: HookSucceeded\n',
      ),
    });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app' },
      syncPolicy: { automated: {} },
    });
    const app = await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
    const results = app.status?.operationState?.syncResult?.resources ?? [];
    const order = results.map(
      (r) => `${r.kind}/${r.name}${r.hook ? `(${r.hook}:${r.hookPhase})` : ''}`,
    );
    expect(order).toEqual([
      'Job/migrate(PreSync:Succeeded)',
      'Deployment/web',
      'ConfigMap/post-sync-marker(PostSync:Succeeded)',
    ]);
    const migrate = await k.get<JobStatus>('batch/v1', 'Job', ns(), 'migrate');
    const web = await k.get('apps/v1', 'Deployment', ns(), 'web');
    expect(migrate?.status?.succeeded).toBe(1);
    expect(Date.parse(migrate?.status?.completionTime ?? '')).toBeLessThanOrEqual(
      Date.parse(web?.metadata.creationTimestamp ?? ''),
    );
    // HookSucceeded deleted the PostSync hook; hooks are not part of the inventory.
    expect(await k.get('v1', 'ConfigMap', ns(), 'post-sync-marker')).toBeUndefined();
    expect(readInventory(app.status).map((e) => e.name)).toEqual(['web']);
  });

  it('a failed PreSync hook fails the sync, applies nothing after it, and runs the SyncFail hooks', async () => {
    const k = await kube();
    const repo = await createRepo({
      'app/migrate.yaml': job('migrate', { 'sluice.dev/hook': 'PreSync' }, true),
      'app/web.yaml': deployment('web', 1),
      'app/cleanup.yaml': configMap(
        'sync-failed-marker',
        { failed: 'yes' },
        '  annotations:\n    sluice.dev/hook: SyncFail\n',
      ),
    });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app' },
    });
    // Manual sync (no automation), as `sluice app sync` asks for it.
    await k.mergePatch(
      {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'Application',
        metadata: { name, namespace: ns() },
      },
      { operation: { sync: {} } },
    );
    const app = await waitApp(
      k,
      ns(),
      name,
      'the sync to fail',
      (a) => a.status?.operationState?.phase === 'Failed',
      60_000,
    );
    expect(app.status?.operationState?.message).toMatch(
      /PreSync hook Job\/migrate(-\w+)? failed: Degraded/,
    );
    expect(app.status?.operationState?.message).toMatch(/DeadlineExceeded|deadline/i);
    expect(await k.get('apps/v1', 'Deployment', ns(), 'web')).toBeUndefined();
    expect(await k.get('v1', 'ConfigMap', ns(), 'sync-failed-marker')).toBeDefined();
    expect(app.status?.sync?.status).toBe('OutOfSync');
  });

  it('applies sync waves in order, a CRD before its custom resource, into a namespace it creates', async () => {
    const k = await kube();
    const group = `${uniqueName('w')}.example.com`;
    const target = uniqueName('created');
    const repo = await createRepo({
      'app/crd.yaml': `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.${group}
spec:
  group: ${group}
  scope: Namespaced
  names: { plural: gadgets, singular: gadget, kind: Gadget, listKind: GadgetList }
  versions:
    - name: v1
      served: true
      storage: true
      schema: { openAPIV3Schema: { type: object, x-kubernetes-preserve-unknown-fields: true } }
`,
      'app/gadget.yaml': `apiVersion: ${group}/v1\nkind: Gadget\nmetadata:\n  name: g1\nspec:\n  size: 2\n`,
      'app/late.yaml': configMap(
        'late',
        { wave: '2' },
        '  annotations:\n    sluice.dev/sync-wave: "2"\n',
      ),
      'app/early.yaml': configMap(
        'early',
        { wave: '-1' },
        '  annotations:\n    argocd.argoproj.io/sync-wave: "-1"\n',
      ),
    });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app' },
      destination: { namespace: target },
      syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
    });
    try {
      const app = await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
      const order = app.status?.operationState?.syncResult?.resources.map(
        (r) => `${r.syncWave}:${r.kind}/${r.name}`,
      );
      expect(order).toEqual([
        '-1:ConfigMap/early',
        `0:CustomResourceDefinition/gadgets.${group}`,
        '0:Gadget/g1',
        '2:ConfigMap/late',
      ]);
      const gadget = await k.get<KubeObject & { spec?: { size?: number } }>(
        `${group}/v1`,
        'Gadget',
        target,
        'g1',
      );
      expect(gadget?.spec?.size).toBe(2);
    } finally {
      await k.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: target } });
      await k.delete({
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'CustomResourceDefinition',
        metadata: { name: `gadgets.${group}` },
      });
    }
  });
});
