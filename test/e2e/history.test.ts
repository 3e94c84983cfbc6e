/**
 * History tells who started each sync (issue 8, item 9): an automated sync says "automated", a
 * `sluice app sync` says the user's name, also when the controller restarts while the sync
 * waits on a hook; a sync asked for while an automated one runs is refused by the CLI (as argocd
 * does) and, written anyway, is neither swallowed by nor credited to the automated one.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import { installCrds } from '../../src/api/install.ts';
import { GitOpsController } from '../../src/gitops/controller.ts';
import type { Kube } from '../../src/kube/api.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentLogger } from '../../src/util/log.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { configMap, createRepo, getApp, syncedHealthy, waitApp } from './gitops-harness.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';

const ns = useNamespace('hist');
const me = userInfo().username;
const app = (...args: string[]) =>
  execFile(
    process.execPath,
    ['bin/sluice.js', 'app', ...args, '--kubeconfig', kubeconfigPath(), '-N', ns()],
    {
      timeoutMs: 180_000,
      env: { ...process.env, NO_COLOR: '1', SLUICE_CONTROLLER_NAMESPACE: ns() },
    },
  );

/** A controller as `sluice controller` runs it: holding the Lease in the test namespace. */
async function controller(k: Kube, cacheDir: string): Promise<GitOpsController> {
  const c = new GitOpsController({
    kube: k,
    namespace: ns(),
    appNamespaces: [ns()],
    cacheDir,
    leaderElection: { enabled: true, leaseDurationMs: 5000, renewMs: 1000 },
    waitTimeoutMs: 120_000,
    log: silentLogger,
  });
  await c.start();
  return c;
}

/** A PreSync hook that waits until the test lets it run (`spec.suspend: false`). */
const heldHook = `apiVersion: batch/v1
kind: Job
metadata:
  name: migrate
  annotations:
    argocd.argoproj.io/hook: PreSync
spec:
  suspend: true
  backoffLimit: 0
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: busybox:1.36
`;

const release = (k: Kube): Promise<unknown> =>
  k.mergePatch(
    { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'migrate', namespace: ns() } },
    { spec: { suspend: false } },
  );

const history = async (k: Kube, name: string): Promise<string[]> =>
  ((await getApp(k, ns(), name))?.status?.history ?? []).map((h) => h.initiatedBy);

const running = (a: Application): boolean => a.status?.operationState?.phase === 'Running';

async function create(name: string, url: string, ...flags: string[]): Promise<void> {
  const r = await app(
    'create',
    name,
    '--repo',
    url,
    '--path',
    'app',
    '--dest-namespace',
    ns(),
    ...flags,
  );
  expect(r.code, r.stderr).toBe(0);
}

describe('history records who started each sync', () => {
  it('automated, then the CLI user', async () => {
    const k = await kube();
    await installCrds(k, silentProgress);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-ctrl-'));
    const c = await controller(k, dir);
    try {
      const repo = await createRepo({ 'app/cm.yaml': configMap('settings', { color: 'blue' }) });
      await create('auto', repo.url, '--sync-policy', 'automated');
      await waitApp(
        k,
        ns(),
        'auto',
        'first automated sync',
        (a) => syncedHealthy(a) && (a.status?.history?.length ?? 0) > 0,
      );
      // Three rounds: the end of a requested sync used to race with the next reconcile.
      for (const color of ['green', 'red', 'white']) {
        await repo.commit({ 'app/cm.yaml': configMap('settings', { color }) });
        const synced = await app('sync', 'auto', '--timeout', '60');
        expect(synced.code, synced.stderr).toBe(0);
      }
      expect(await history(k, 'auto')).toEqual(['automated', me, me, me]);
    } finally {
      await c.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the CLI user, when the controller restarts while the sync waits on a hook', async () => {
    const k = await kube();
    await installCrds(k, silentProgress);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-ctrl-'));
    let c = await controller(k, dir);
    try {
      const repo = await createRepo({
        'app/hook.yaml': heldHook,
        'app/cm.yaml': configMap('after', { n: '1' }),
      });
      await create('manual', repo.url);
      const sync = app('sync', 'manual', '--timeout', '150');
      await waitApp(k, ns(), 'manual', 'the sync to wait on its hook', running, 60_000);
      const job = await eventually('the hook Job', () => k.get('batch/v1', 'Job', ns(), 'migrate'));
      await c.stop();
      c = await controller(k, dir);
      await release(k);
      const r = await sync;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('Succeeded');
      expect(await history(k, 'manual')).toEqual([me]);
      expect((await k.get('batch/v1', 'Job', ns(), 'migrate'))?.metadata.uid).toBe(
        job.metadata.uid,
      );
    } finally {
      await c.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a sync asked for while an automated one runs: refused by the CLI; written anyway, it runs after it', async () => {
    const k = await kube();
    await installCrds(k, silentProgress);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-ctrl-'));
    const c = await controller(k, dir);
    try {
      const repo = await createRepo({
        'app/hook.yaml': heldHook,
        'app/cm.yaml': configMap('after', { n: '1' }),
      });
      await create('busy', repo.url, '--sync-policy', 'automated');
      await waitApp(k, ns(), 'busy', 'the automated sync to wait on its hook', running, 60_000);

      const refused = await app('sync', 'busy', '--timeout', '10');
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain('another operation is in progress (automated sync');
      expect(refused.stderr).toContain('sluice app terminate-op busy');

      // As if the CLI's check and the automated sync's start had crossed.
      await k.mergePatch(
        {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'Application',
          metadata: { name: 'busy', namespace: ns() },
        },
        {
          operation: {
            sync: {},
            initiatedBy: { username: 'racer' },
            requestedAt: new Date().toISOString(),
          },
        },
      );
      await release(k);
      // The automated sync ends; the request is still there and runs next (its hook again).
      await waitApp(
        k,
        ns(),
        'busy',
        'the requested sync to wait on its hook',
        (a) => running(a) && a.status?.operationState?.initiatedBy === 'racer',
        60_000,
      );
      expect(await history(k, 'busy')).toEqual(['automated']);
      await eventually('the hook Job again', async () =>
        (await k.get('batch/v1', 'Job', ns(), 'migrate')) ? release(k) : undefined,
      );
      const done = await waitApp(
        k,
        ns(),
        'busy',
        'both syncs done',
        (a) => a.operation === undefined && (a.status?.history?.length ?? 0) >= 2 && !running(a),
        60_000,
      );
      expect(done.status?.history?.map((h) => h.initiatedBy)).toEqual(['automated', 'racer']);
    } finally {
      await c.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
