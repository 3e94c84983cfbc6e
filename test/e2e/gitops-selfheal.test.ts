/**
 * Drift: with selfHeal a manual change (edit, scale, delete) is reverted within a second; without
 * it the app turns OutOfSync and the diff shows the change. ignoreDifferences hides what it names.
 */
import { describe, expect, it } from 'vitest';
import { API_VERSION, KIND } from '../../src/api/application.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import {
  configMap,
  createApp,
  createRepo,
  deployment,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('heal');
type Dep = KubeObject & { spec: { replicas: number } };

async function setup(selfHeal: boolean, extra: object = {}): Promise<string> {
  const k = await kube();
  const repo = await createRepo({
    'app/web.yaml': deployment('web', 2),
    'app/cm.yaml': configMap('settings', { color: 'blue' }),
  });
  await startController(k, ns());
  const name = await createApp(k, ns(), {
    source: { repoURL: repo.url, path: 'app' },
    syncPolicy: { automated: { prune: true, selfHeal } },
    ...extra,
  });
  await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
  return name;
}

describe('self-heal', () => {
  it('reverts a scale, an edit and a delete within a second', async () => {
    const k = await kube();
    await setup(true);
    const web = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns() },
    };
    await k.mergePatch(web, { spec: { replicas: 5 } });
    let t = Date.now();
    await eventually(
      'replicas back to 2',
      async () =>
        (await k.get<Dep>('apps/v1', 'Deployment', ns(), 'web'))?.spec.replicas === 2
          ? true
          : undefined,
      1000,
    );
    const scaleRevert = Date.now() - t;

    const cm = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns() },
    };
    await k.mergePatch(cm, { data: { color: 'red' } });
    t = Date.now();
    await eventually(
      'color back to blue',
      async () => {
        const c = await k.get<KubeObject & { data?: Record<string, string> }>(
          'v1',
          'ConfigMap',
          ns(),
          'settings',
        );
        return c?.data?.['color'] === 'blue' ? true : undefined;
      },
      1000,
    );
    const editRevert = Date.now() - t;

    await k.delete(cm);
    t = Date.now();
    await eventually(
      'ConfigMap re-created',
      async () => ((await k.get('v1', 'ConfigMap', ns(), 'settings')) ? true : undefined),
      1000,
    );
    expect(Math.max(scaleRevert, editRevert, Date.now() - t)).toBeLessThan(1000);
  });

  it('without selfHeal: OutOfSync, the deleted object shows as missing, nothing reverted', async () => {
    const k = await kube();
    const name = await setup(false);
    await k.delete({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'settings', namespace: ns() },
    });
    await k.mergePatch(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns() } },
      { spec: { replicas: 4 } },
    );
    const app = await waitApp(
      k,
      ns(),
      name,
      'OutOfSync',
      (a) =>
        a.status?.sync?.status === 'OutOfSync' &&
        a.status.health?.status === 'Missing' &&
        a.status.resources?.find((r) => r.name === 'web')?.status === 'OutOfSync',
    );
    const byName = new Map(app.status?.resources?.map((r) => [r.name, r]));
    expect(byName.get('settings')?.status).toBe('OutOfSync');
    expect(byName.get('settings')?.health?.status).toBe('Missing');
    expect(byName.get('web')?.status).toBe('OutOfSync');
    await new Promise((r) => setTimeout(r, 1500));
    expect((await k.get<Dep>('apps/v1', 'Deployment', ns(), 'web'))?.spec.replicas).toBe(4);
    expect(await k.get('v1', 'ConfigMap', ns(), 'settings')).toBeUndefined();
  });

  it('ignoreDifferences: a field it names may drift without the app going OutOfSync', async () => {
    const k = await kube();
    const name = await setup(true, {
      ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
    });
    await k.mergePatch(
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: ns() } },
      { spec: { replicas: 3 } },
    );
    await new Promise((r) => setTimeout(r, 1500));
    expect((await k.get<Dep>('apps/v1', 'Deployment', ns(), 'web'))?.spec.replicas).toBe(3);
    const app = await k.get<KubeObject & { status?: { sync?: { status?: string } } }>(
      API_VERSION,
      KIND,
      ns(),
      name,
    );
    expect(app?.status?.sync?.status).toBe('Synced');
  });

  it.each([
    ['without RespectIgnoreDifferences, a sync of the object resets it (as Argo CD)', [], 2],
    [
      'with RespectIgnoreDifferences=true, a sync of the object keeps it',
      ['RespectIgnoreDifferences=true'],
      3,
    ],
  ])('ignoreDifferences: %s', async (_name, syncOptions, replicas) => {
    const k = await kube();
    const repo = await createRepo({ 'app/web.yaml': deployment('web', 2) });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app' },
      syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions },
      ignoreDifferences: [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }],
    });
    await waitApp(k, ns(), name, 'Synced/Healthy', syncedHealthy);
    const web = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns() },
    };
    await k.mergePatch(web, { spec: { replicas: 3 } }); // an autoscaler, say
    // Git changes another field of the same Deployment: it is applied.
    const sha = await repo.commit({ 'app/web.yaml': deployment('web', 2, 'nginx:1.28') });
    await k.mergePatch(
      { apiVersion: API_VERSION, kind: KIND, metadata: { name, namespace: ns() } },
      { metadata: { annotations: { 'sluice.dev/refresh': sha } } },
    );
    await waitApp(
      k,
      ns(),
      name,
      'synced the commit',
      (a) => a.status?.sync?.revision === sha && a.status.operationState?.phase === 'Succeeded',
    );
    const d = await k.get<
      Dep & { spec: { template: { spec: { containers: Array<{ image: string }> } } } }
    >('apps/v1', 'Deployment', ns(), 'web');
    expect(d?.spec.template.spec.containers[0]?.image).toBe('nginx:1.28');
    expect(d?.spec.replicas).toBe(replicas);
  });

  it('backs off when another actor keeps changing the same field', async () => {
    const k = await kube();
    await setup(true);
    const web = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: ns() },
    };
    // Fight for 6 s: set replicas to 7 every 100 ms; count how often Sluice reverts.
    let reverts = 0;
    let last = 7;
    const end = Date.now() + 6000;
    while (Date.now() < end) {
      const d = await k.get<Dep>('apps/v1', 'Deployment', ns(), 'web');
      if (d?.spec.replicas === 2 && last === 7) reverts++;
      last = d?.spec.replicas ?? last;
      if (d?.spec.replicas !== 7) {
        await k.mergePatch(web, { spec: { replicas: 7 } });
        last = 7;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    // Without backoff it would revert ~every 100-200 ms (30+ times); with it, a handful.
    expect(reverts).toBeGreaterThanOrEqual(2);
    expect(reverts).toBeLessThan(12);
  });
});
