/**
 * Kustomize and Helm sources through the whole loop: a Kustomize overlay with an image
 * override, and a Helm chart whose pre-upgrade hook (a migration Job) runs before an upgrade.
 */
import { describe, expect, it } from 'vitest';
import { API_VERSION, KIND } from '../../src/api/application.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { kube, useNamespace } from './harness.ts';
import {
  createApp,
  createRepo,
  deployment,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('render');
type Dep = KubeObject & {
  spec: { replicas: number; template: { spec: { containers: Array<{ image: string }> } } };
};

describe('rendering through the loop', () => {
  it('Kustomize: builds the prod overlay and applies the image override', async () => {
    const k = await kube();
    const repo = await createRepo({
      'base/kustomization.yaml': 'resources:\n  - web.yaml\n',
      'base/web.yaml': deployment('web', 1, 'ghcr.io/org/guestbook:1.0'),
      'overlays/prod/kustomization.yaml':
        'resources:\n  - ../../base\nnamePrefix: prod-\nreplicas:\n  - name: web\n    count: 3\n',
    });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: {
        repoURL: repo.url,
        path: 'overlays/prod',
        kustomize: { images: ['ghcr.io/org/guestbook:3f2a9c1'] },
      },
      syncPolicy: { automated: { prune: true } },
    });
    await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
    const web = await k.get<Dep>('apps/v1', 'Deployment', ns(), 'prod-web');
    expect(web?.spec.replicas).toBe(3);
    expect(web?.spec.template.spec.containers[0]?.image).toBe('ghcr.io/org/guestbook:3f2a9c1');
  });

  it('Helm: renders with valueFiles, and runs the pre-upgrade migration hook before an upgrade', async () => {
    const k = await kube();
    const chart = {
      'chart/Chart.yaml': 'apiVersion: v2\nname: shop\nversion: 0.1.0\n',
      'chart/values.yaml': 'replicas: 1\nimage: shop:1\n',
      'chart/values-prod.yaml': 'replicas: 2\n',
      'chart/templates/web.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-web\nspec:\n  replicas: {{ .Values.replicas }}\n  selector: { matchLabels: { app: web } }\n  template:\n    metadata: { labels: { app: web } }\n    spec: { containers: [{ name: web, image: "{{ .Values.image }}" }] }\n',
      'chart/templates/migrate.yaml':
        'apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: {{ .Release.Name }}-migrate\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n    helm.sh/hook-weight: "-5"\n    helm.sh/hook-delete-policy: before-hook-creation\nspec:\n  backoffLimit: 0\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{ name: m, image: "{{ .Values.image }}", command: [migrate] }]\n',
    };
    const repo = await createRepo(chart);
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: {
        repoURL: repo.url,
        path: 'chart',
        helm: { valueFiles: ['values-prod.yaml'], releaseName: 'shop' },
      },
      syncPolicy: { automated: { prune: true } },
    });
    const first = await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
    expect((await k.get<Dep>('apps/v1', 'Deployment', ns(), 'shop-web'))?.spec.replicas).toBe(2);
    expect(first.status?.operationState?.syncResult?.resources[0]).toMatchObject({
      kind: 'Job',
      name: 'shop-migrate',
      hook: 'PreSync',
      hookPhase: 'Succeeded',
      syncWave: -5,
    });

    const rev = await repo.commit({ 'chart/values.yaml': 'replicas: 1\nimage: shop:2\n' });
    await k.mergePatch(
      { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns() } },
      { metadata: { annotations: { 'sluice.dev/refresh': 'x' } } },
    );
    const upgraded = await waitApp(
      k,
      ns(),
      name,
      'upgraded',
      (a) => a.status?.sync?.revision === rev && syncedHealthy(a),
    );
    const results = upgraded.status?.operationState?.syncResult?.resources.map(
      (r) => `${r.kind}/${r.name}:${r.action}${r.hook ? `:${r.hook}` : ''}`,
    );
    expect(results).toEqual(['Job/shop-migrate:created:PreSync', 'Deployment/shop-web:configured']);
    const job = await k.get<
      KubeObject & { spec: { template: { spec: { containers: Array<{ image: string }> } } } }
    >('batch/v1', 'Job', ns(), 'shop-migrate');
    expect(job?.spec.template.spec.containers[0]?.image).toBe('shop:2');
    expect(
      (await k.get<Dep>('apps/v1', 'Deployment', ns(), 'shop-web'))?.spec.template.spec
        .containers[0]?.image,
    ).toBe('shop:2');
  });
});
