/**
 * Destinations: apps deployed to the suite's cluster (A, the controller's own) and to a second
 * dev cluster (B) that this file starts and stops itself, registered with a cluster Secret as
 * `sluice cluster add` writes it. Objects land in their app's cluster only; self-heal works on
 * both; an unknown cluster is a condition and nothing is applied until its Secret appears; B
 * going away affects only B's apps, which recover by themselves when it is back.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, KIND, type Application } from '../../src/api/application.ts';
import { clusterSecret } from '../../src/api/cluster.ts';
import {
  down,
  startClusterComponent,
  stopClusterComponent,
  up,
} from '../../src/devcluster/cluster.ts';
import { FINALIZER, REFRESH_ANNOTATION } from '../../src/gitops/annotations.ts';
import { getCondition } from '../../src/gitops/conditions.ts';
import { readInventory } from '../../src/gitops/inventory.ts';
import { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';
import {
  configMap,
  createApp,
  createRepo,
  deployment,
  startController,
  syncedHealthy,
  waitApp,
  type TestRepo,
} from './gitops-harness.ts';

const B = `dest-b-${process.pid}`;
let kubeB: Kube;
let serverB = '';
let kubeconfigB = '';

beforeAll(async () => {
  const { state } = await up({ name: B, nodes: 1, realNodes: 0, progress: silentProgress });
  serverB = state.server;
  kubeconfigB = await readFile(state.kubeconfig, 'utf8');
  kubeB = await Kube.connect(state.kubeconfig);
}, 240_000);

afterAll(async () => {
  await kubeB?.close();
  await down(B);
}, 60_000);

const ns = useNamespace('dest');
// The apps' namespace on B (created by the sync, CreateNamespace=true) goes with the test.
afterEach(async () => {
  await kubeB
    .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns() } })
    .catch(() => undefined);
});

type CM = KubeObject & { data?: Record<string, string> };
const getCM = (k: Kube, name: string): Promise<CM | undefined> =>
  k.get<CM>('v1', 'ConfigMap', ns(), name);

/** Registers B under `name` in the controller's namespace (the test's). */
async function registerB(name = 'b'): Promise<void> {
  const k = await kube();
  await k.create(
    clusterSecret({ namespace: ns(), name, server: serverB, kubeconfig: kubeconfigB }),
  );
}

/** One repository with an app for A (`a/`) and one for B (`b/`). */
function twoAppRepo(): Promise<TestRepo> {
  return createRepo({
    'a/cm.yaml': configMap('on-a', { color: 'blue' }),
    'b/cm.yaml': configMap('on-b', { color: 'green' }),
    'b/web.yaml': deployment('web-b', 1),
  });
}

async function createAppOn(
  repo: TestRepo,
  path: string,
  destination: { name?: string; server?: string },
): Promise<string> {
  return createApp(await kube(), ns(), {
    source: { repoURL: repo.url, path },
    destination: { ...destination, namespace: ns() },
    syncPolicy: {
      automated: { prune: true, selfHeal: true },
      syncOptions: ['CreateNamespace=true'],
    },
  });
}

const ready = (a: Application): ReturnType<typeof getCondition> =>
  getCondition(a.status?.conditions, 'Ready');

async function revertedOn(k: Kube, name: string, color: string): Promise<void> {
  await k.mergePatch(
    { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns() } },
    { data: { color: 'red' } },
  );
  await eventually(
    `${name} back to ${color}`,
    async () => ((await getCM(k, name))?.data?.['color'] === color ? true : undefined),
    10_000,
  );
}

describe('destinations', () => {
  it('apps on A and on B: objects land in their cluster only; self-heal on both; diff and delete on B', async () => {
    const k = await kube();
    const repo = await twoAppRepo();
    await registerB();
    await startController(k, ns());
    const appA = await createAppOn(repo, 'a', {});
    const appB = await createAppOn(repo, 'b', { name: 'b' });
    // A destination by server works as well as by name.
    const appB2 = await createAppOn(repo, 'b2', { server: serverB });
    await repo.commit({ 'b2/cm.yaml': configMap('on-b2', { color: 'pink' }) });

    await waitApp(k, ns(), appA, 'A app Synced/Healthy', syncedHealthy);
    const b = await waitApp(k, ns(), appB, 'B app Synced/Healthy', syncedHealthy, 60_000);
    await waitApp(k, ns(), appB2, 'B app (by server) Synced/Healthy', syncedHealthy, 60_000);

    expect((await getCM(k, 'on-a'))?.data).toEqual({ color: 'blue' });
    expect(await getCM(kubeB, 'on-a')).toBeUndefined();
    expect((await getCM(kubeB, 'on-b'))?.data).toEqual({ color: 'green' });
    expect((await getCM(kubeB, 'on-b2'))?.data).toEqual({ color: 'pink' });
    for (const name of ['on-b', 'on-b2']) expect(await getCM(k, name)).toBeUndefined();
    expect(await kubeB.get('apps/v1', 'Deployment', ns(), 'web-b')).toBeDefined();
    expect(await k.get('apps/v1', 'Deployment', ns(), 'web-b')).toBeUndefined();
    expect(b.status?.sync?.comparedTo?.destination).toMatchObject({ name: 'b', server: serverB });

    await revertedOn(kubeB, 'on-b', 'green');
    await revertedOn(k, 'on-a', 'blue');

    // `sluice app diff` compares with the app's cluster too (against A, all would be missing).
    const diff = await execFile(
      process.execPath,
      ['bin/sluice.js', 'app', 'diff', appB, '--kubeconfig', kubeconfigPath()].concat([
        '-N',
        ns(),
        '--controller-namespace',
        ns(),
      ]),
      { timeoutMs: 60_000, env: { ...process.env, NO_COLOR: '1' } },
    );
    expect(diff.stderr).toContain('is in sync');
    expect(diff.code).toBe(0);

    // Deleting it with the resources finalizer prunes on B.
    const appRef = {
      apiVersion: API_VERSION,
      kind: KIND,
      metadata: { name: appB, namespace: ns() },
    };
    await k.mergePatch(appRef, { metadata: { finalizers: [FINALIZER] } });
    await k.delete(appRef);
    await eventually(
      'the app gone and its objects pruned on B',
      async () =>
        !(await k.get(API_VERSION, KIND, ns(), appB)) && !(await getCM(kubeB, 'on-b'))
          ? true
          : undefined,
      30_000,
    );
    expect(await kubeB.get('apps/v1', 'Deployment', ns(), 'web-b')).toBeUndefined();
    expect((await getCM(kubeB, 'on-b2'))?.data).toEqual({ color: 'pink' });
    expect((await getCM(k, 'on-a'))?.data).toEqual({ color: 'blue' });
  });

  it('an unknown cluster: InvalidDestination naming it, nothing applied; its Secret appears -> synced', async () => {
    const k = await kube();
    const repo = await twoAppRepo();
    await startController(k, ns());
    const app = await createAppOn(repo, 'b', { name: 'later' });

    const stalled = await waitApp(k, ns(), app, 'InvalidDestination', (a) => {
      return ready(a)?.reason === 'InvalidDestination';
    });
    expect(ready(stalled)?.status).toBe('False');
    expect(ready(stalled)?.message).toContain(`Application ${ns()}/${app}`);
    expect(ready(stalled)?.message).toContain('"later"');
    expect(ready(stalled)?.message).toContain('sluice cluster add later --kubeconfig');
    expect(getCondition(stalled.status?.conditions, 'Stalled')?.status).toBe('True');
    expect(await getCM(k, 'on-b')).toBeUndefined();
    expect(await getCM(kubeB, 'on-b')).toBeUndefined();
    expect(await kubeB.get('v1', 'Namespace', undefined, ns())).toBeUndefined();

    await registerB('later');
    await waitApp(k, ns(), app, 'Synced/Healthy once registered', syncedHealthy, 60_000);
    expect((await getCM(kubeB, 'on-b'))?.data).toEqual({ color: 'green' });
    expect(await getCM(k, 'on-b')).toBeUndefined();
    const after = await waitApp(k, ns(), app, 'no Stalled', (a) => ready(a)?.status === 'True');
    expect(getCondition(after.status?.conditions, 'Stalled')).toBeUndefined();
  });

  it('an app moved from A to B: applied on B, nothing deleted on A, and an event says so', async () => {
    const k = await kube();
    const repo = await twoAppRepo();
    await registerB();
    await startController(k, ns());
    const app = await createAppOn(repo, 'a', {});
    await waitApp(k, ns(), app, 'Synced/Healthy on A', syncedHealthy);

    await k.mergePatch(
      { apiVersion: API_VERSION, kind: KIND, metadata: { name: app, namespace: ns() } },
      { spec: { destination: { name: 'b' } } },
    );
    const moved = await waitApp(
      k,
      ns(),
      app,
      'Synced on B',
      (a) => syncedHealthy(a) && a.status?.sync?.comparedTo?.destination?.name === 'b',
      60_000,
    );
    expect(readInventory(moved.status).map((e) => e.name)).toEqual(['on-a']);
    expect((await getCM(kubeB, 'on-a'))?.data).toEqual({ color: 'blue' });
    expect((await getCM(k, 'on-a'))?.data).toEqual({ color: 'blue' });
    const events = await k.list<KubeObject & { reason?: string; message?: string }>('v1', 'Event', {
      namespace: ns(),
    });
    const event = events.items.find((e) => e.reason === 'DestinationChanged');
    expect(event?.message).toContain('moved from cluster "in-cluster" to "b"');
    expect(event?.message).toContain(`ConfigMap/${ns()}/on-a`);
  });

  it('cluster B stopped: only B apps show the error, A apps keep syncing; B back: recovered', async () => {
    const k = await kube();
    const repo = await twoAppRepo();
    await registerB();
    await startController(k, ns());
    const appA = await createAppOn(repo, 'a', {});
    const appB = await createAppOn(repo, 'b', { name: 'b' });
    await waitApp(k, ns(), appA, 'A app Synced/Healthy', syncedHealthy);
    await waitApp(k, ns(), appB, 'B app Synced/Healthy', syncedHealthy, 60_000);

    await stopClusterComponent(B, 'kube-apiserver');
    try {
      const broken = await waitApp(k, ns(), appB, 'B app ClusterUnreachable', (a) => {
        return ready(a)?.reason === 'ClusterUnreachable';
      });
      expect(ready(broken)?.message).toContain('cluster "b"');
      expect(broken.status?.sync?.status).toBe('Unknown');

      const sha = await repo.commit({ 'a/cm.yaml': configMap('on-a', { color: 'yellow' }) });
      await k.mergePatch(
        { apiVersion: API_VERSION, kind: KIND, metadata: { name: appA, namespace: ns() } },
        { metadata: { annotations: { [REFRESH_ANNOTATION]: sha } } },
      );
      const a = await waitApp(
        k,
        ns(),
        appA,
        'A app synced to the new commit',
        (x) => syncedHealthy(x) && x.status?.sync?.revision === sha,
      );
      expect(ready(a)?.status).toBe('True');
      expect((await getCM(k, 'on-a'))?.data).toEqual({ color: 'yellow' });
      const stillBroken = await waitApp(k, ns(), appB, 'B app still failing', () => true);
      expect(ready(stillBroken)?.reason).toBe('ClusterUnreachable');
    } finally {
      await startClusterComponent(B, 'kube-apiserver');
    }

    await waitApp(
      k,
      ns(),
      appB,
      'B app recovered',
      (a) => syncedHealthy(a) && ready(a)?.status === 'True',
      60_000,
    );
    // Its cache watches again: drift on B is reverted.
    await revertedOn(kubeB, 'on-b', 'green');
  });
});
