/**
 * The controller process: leader election on a Lease (two controllers never both act; the
 * second takes over when the first hands over), graceful shutdown that leaves no half-written
 * status, and retries with backoff for a failing sync.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GitOpsController as Controller } from '../../src/gitops/controller.ts';
import { createLogger, silentLogger } from '../../src/util/log.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import {
  configMap,
  createApp,
  createRepo,
  getApp,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('ctrl');

async function candidate(
  identity: string,
): Promise<{ c: Controller; cleanup: () => Promise<void> }> {
  const k = await kube();
  const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-le-'));
  const c = new Controller({
    kube: k,
    namespace: ns(),
    appNamespaces: [ns()],
    cacheDir,
    leaderElection: {
      enabled: true,
      leaseName: 'sluice-controller',
      identity,
      leaseDurationMs: 5000,
      renewMs: 1000,
    },
    log: process.env['SLUICE_TEST_LOG']
      ? createLogger('debug', (l) => process.stderr.write(`[${identity}] ${l}`))
      : silentLogger,
  });
  return {
    c,
    cleanup: async () => (await c.stop(), await rm(cacheDir, { recursive: true, force: true })),
  };
}

describe('controller', () => {
  it('only the Lease holder acts; a successor takes over when it hands over', async () => {
    const k = await kube();
    await startController(k, ns()).then((c) => c.stop()); // installs the CRDs, then steps aside
    const a = await candidate('controller-a');
    const b = await candidate('controller-b');
    try {
      await a.c.start();
      await eventually('a leads', async () => (a.c.isLeader ? true : undefined));
      await b.c.start();
      await new Promise((r) => setTimeout(r, 1500));
      expect(b.c.isLeader).toBe(false);

      const repo = await createRepo({ 'app/cm.yaml': configMap('one', { v: '1' }) });
      const first = await createApp(k, ns(), {
        source: { repoURL: repo.url, path: 'app' },
        syncPolicy: { automated: {} },
      });
      await waitApp(k, ns(), first, 'synced by a', syncedHealthy);
      expect(b.c.queue.processed).toBe(0);

      await a.cleanup();
      await eventually('b leads', async () => (b.c.isLeader ? true : undefined), 8000);
      await repo.commit({ 'app2/cm.yaml': configMap('two', { v: '2' }) });
      const second = await createApp(k, ns(), {
        source: { repoURL: repo.url, path: 'app2' },
        syncPolicy: { automated: {} },
      });
      await waitApp(k, ns(), second, 'synced by b', syncedHealthy);
      expect(b.c.queue.processed).toBeGreaterThan(0);
      const lease = await k.get<{
        apiVersion: string;
        kind: string;
        metadata: object;
        spec?: { holderIdentity?: string; leaseTransitions?: number };
      }>('coordination.k8s.io/v1', 'Lease', ns(), 'sluice-controller');
      expect(lease?.spec?.holderIdentity).toBe('controller-b');
      expect(lease?.spec?.leaseTransitions).toBe(1);
    } finally {
      await a.cleanup().catch(() => undefined);
      await b.cleanup();
    }
  });

  it('a new leader fetches before it trusts the Git mirror a previous process left on disk', async () => {
    const k = await kube();
    await startController(k, ns()).then((c) => c.stop()); // installs the CRDs
    const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-mirror-'));
    const make = () =>
      new Controller({
        kube: k,
        namespace: ns(),
        appNamespaces: [ns()],
        cacheDir,
        pollIntervalMs: 3_600_000, // no poll during the test: only the first reconcile can fetch
        log: silentLogger,
      });
    const first = make();
    try {
      const repo = await createRepo({ 'app/cm.yaml': configMap('cfg', { v: '1' }) });
      await first.start();
      const name = await createApp(k, ns(), {
        source: { repoURL: repo.url, path: 'app' },
        syncPolicy: { automated: {} },
      });
      await waitApp(k, ns(), name, 'v1 synced', syncedHealthy);
      await first.stop();
      const head = await repo.commit({ 'app/cm.yaml': configMap('cfg', { v: '2' }) });
      const second = make();
      try {
        await second.start();
        const app = await waitApp(
          k,
          ns(),
          name,
          'the new commit synced',
          (a) => a.status?.sync?.revision === head && syncedHealthy(a),
        );
        expect(app.status?.sync?.revision).toBe(head);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop().catch(() => undefined);
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('graceful shutdown holds no worker on a running hook: the next controller resumes the operation', async () => {
    const k = await kube();
    const repo = await createRepo({
      'app/slow-hook.yaml': `apiVersion: batch/v1
kind: Job
metadata:
  name: slow
  annotations: { sluice.dev/hook: PreSync }
spec:
  backoffLimit: 0
  activeDeadlineSeconds: 5
  template:
    spec:
      restartPolicy: Never
      nodeSelector: { no-such-node: "true" }
      containers: [{ name: c, image: busybox }]
`,
      'app/cm.yaml': configMap('cm', { v: '1' }),
    });
    const controller = await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app' },
      syncPolicy: { automated: {} },
    });
    // A sync that takes more than a second shows its progress in status.
    const running = await waitApp(
      k,
      ns(),
      name,
      'phase Running',
      (a) => a.status?.operationState?.phase === 'Running',
    );
    expect(running.status?.operationState?.message).toContain('PreSync hook');
    const job = await eventually('the hook running', () => k.get('batch/v1', 'Job', ns(), 'slow'));
    // Nothing blocks on the hook: stopping is quick, and the operation is saved as it stands.
    const t = Date.now();
    await controller.stop();
    expect(Date.now() - t).toBeLessThan(3000);
    const saved = await getApp(k, ns(), name);
    expect(saved?.status?.operationState?.phase).toBe('Running');
    expect(saved?.status?.operationState?.progress?.hooks?.[0]).toMatchObject({
      name: 'slow',
      uid: job.metadata.uid,
      phase: 'Running',
    });
    // The next controller takes it from there: the hook hits its deadline, the sync fails.
    await startController(k, ns());
    const app = await waitApp(
      k,
      ns(),
      name,
      'phase Failed',
      (a) => a.status?.operationState?.phase === 'Failed',
    );
    expect(app.status?.operationState?.message).toContain('PreSync hook Job/slow failed');
    expect(app.status?.operationState?.finishedAt).toBeDefined();
    expect((await k.get('batch/v1', 'Job', ns(), 'slow'))?.metadata.uid).toBe(job.metadata.uid);
  });

  it('retries a failing sync with backoff, up to the limit', async () => {
    const k = await kube();
    const repo = await createRepo({
      'app/bad.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\ndata:\n  n: 1\n',
    });
    await startController(k, ns());
    const name = await createApp(k, ns(), {
      source: { repoURL: repo.url, path: 'app' },
      syncPolicy: {
        automated: {},
        retry: { limit: 2, backoff: { duration: '500ms', factor: 2 } },
      },
    });
    const failed = await waitApp(
      k,
      ns(),
      name,
      'two retries',
      (a) => a.status?.operationState?.retryCount === 2,
      15_000,
    );
    expect(failed.status?.operationState?.message).toContain('ConfigMap');
    await new Promise((r) => setTimeout(r, 2500));
    expect((await getApp(k, ns(), name))?.status?.operationState?.retryCount).toBe(2);
  });
});
