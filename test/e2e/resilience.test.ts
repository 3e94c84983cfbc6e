/**
 * Resilience: kill -9 the controller in the middle of a 200-app sync and restart it; restart the
 * API server mid-sync; make a repository unreachable for a while. Each time everything converges,
 * nothing is duplicated or lost, and nothing is pruned while the source is away.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_VERSION, KIND, type Application } from '../../src/api/application.ts';
import { installCrds } from '../../src/api/install.ts';
import { GitOpsController as Controller } from '../../src/gitops/controller.ts';
import { down, restartComponent, up } from '../../src/devcluster/cluster.ts';
import { getCondition } from '../../src/gitops/conditions.ts';
import { Kube } from '../../src/kube/api.ts';
import { startGitHttpServer } from '../../src/source/git-http-server.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentLogger } from '../../src/util/log.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { eventually, kube, uniqueName, useNamespace } from './harness.ts';
import {
  application,
  configMap,
  controllerProcess,
  createRepo,
  repoSecret,
  startController,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';

const ns = useNamespace('chaos');

/** Resolves once the process has exited (at once if it has, or never started). */
function exited(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

async function countSynced(k: Kube, namespace: string): Promise<Application[]> {
  return (await k.list<Application>(API_VERSION, KIND, { namespace })).items.filter(syncedHealthy);
}

describe('resilience', () => {
  it('kill -9 of the controller mid-sync: a new one converges 200 apps, nothing duplicated or lost', async () => {
    const k = await kube();
    await startController(k, ns()).then((c) => c.stop()); // CRDs
    const files: Record<string, string> = {};
    for (let i = 0; i < 200; i++)
      files[`apps/a${i}/cm.yaml`] = configMap(`cm-${i}`, { i: String(i) });
    const repo = await createRepo(files);
    const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-chaos-'));
    let first: ChildProcess | undefined = controllerProcess(ns(), cacheDir, [
      '--lease-duration',
      '3s',
      '--concurrency',
      '8',
    ]);
    let second: ChildProcess | undefined;
    try {
      for (let i = 0; i < 200; i++) {
        await k.create(
          application(ns(), `a${i}`, {
            source: { repoURL: repo.url, path: `apps/a${i}` },
            destination: { namespace: ns() },
            syncPolicy: { automated: { prune: true } },
          }),
        );
      }
      await eventually(
        'some apps synced',
        async () => ((await countSynced(k, ns())).length >= 30 ? true : undefined),
        60_000,
      );
      first.kill('SIGKILL');
      first = undefined;
      const atKill = (await countSynced(k, ns())).length;
      expect(atKill).toBeLessThan(200);
      second = controllerProcess(ns(), cacheDir, ['--lease-duration', '3s', '--concurrency', '8']);
      await eventually(
        'all 200 synced',
        async () => ((await countSynced(k, ns())).length === 200 ? true : undefined),
        120_000,
      );
      const apps = (await k.list<Application>(API_VERSION, KIND, { namespace: ns() })).items;
      for (const a of apps) expect(a.status?.history?.length, a.metadata.name).toBe(1);
      const cms = (
        await k.list('v1', 'ConfigMap', {
          namespace: ns(),
          labelSelector: 'sluice.dev/managed=true',
        })
      ).items;
      expect(cms).toHaveLength(200);
    } finally {
      first?.kill('SIGKILL');
      second?.kill('SIGTERM');
      // Both gone before their cache goes (a controller still shutting down writes there).
      await Promise.all([exited(first), exited(second)]);
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('an API server restart mid-sync: the controller reconnects and converges', async () => {
    const name = `chaos-${process.pid}`;
    const { state } = await up({ name, nodes: 1, realNodes: 0, progress: silentProgress });
    const k = await Kube.connect(state.kubeconfig);
    const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-chaos-'));
    let controller: Controller | undefined;
    try {
      await installCrds(k, silentProgress);
      await k.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps' } });
      const files: Record<string, string> = {};
      for (let i = 0; i < 60; i++)
        files[`apps/a${i}/cm.yaml`] = configMap(`cm-${i}`, { i: String(i) });
      const repo = await createRepo(files);
      controller = new Controller({
        kube: k,
        namespace: 'apps',
        appNamespaces: ['apps'],
        cacheDir,
        leaderElection: { enabled: false },
        log: silentLogger,
        concurrency: 4,
      });
      await controller.start();
      for (let i = 0; i < 60; i++) {
        await k.create(
          application('apps', `a${i}`, {
            source: { repoURL: repo.url, path: `apps/a${i}` },
            destination: { namespace: 'apps' },
            syncPolicy: { automated: { prune: true } },
          }),
        );
      }
      await eventually(
        'some synced',
        async () => ((await countSynced(k, 'apps')).length >= 5 ? true : undefined),
        60_000,
      );
      await restartComponent(name, 'kube-apiserver');
      await eventually(
        'all 60 synced after the restart',
        async () =>
          (await countSynced(k, 'apps').catch(() => [])).length === 60 ? true : undefined,
        120_000,
      );
      expect(
        (
          await k.list('v1', 'ConfigMap', {
            namespace: 'apps',
            labelSelector: 'sluice.dev/managed=true',
          })
        ).items,
      ).toHaveLength(60);
    } finally {
      await controller?.stop();
      await k.close();
      await down(name);
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('an unreachable repository: apps keep running, the condition says why, nothing is pruned, it recovers', async () => {
    const k = await kube();
    const repo = await createRepo({
      'app/a.yaml': configMap('a', { v: '1' }),
      'app/b.yaml': configMap('b', { v: '1' }),
    });
    const root = await mkdtemp(join(tmpdir(), 'sluice-http-'));
    const bare = join(root, 'deploy.git');
    await execFile('git', ['clone', '-q', '--bare', repo.dir, bare]);
    const creds = { projectRoot: root, username: 'bot', password: 'pw', bearerToken: 't' };
    let server = await startGitHttpServer(creds);
    const port = Number(new URL(server.baseURL).port);
    const url = `${server.baseURL}/deploy.git`;
    try {
      await repoSecret(k, ns(), { url, username: 'bot', password: 'pw' }, 'creds');
      await startController(k, ns(), { pollIntervalMs: 1000 });
      const name = uniqueName('app');
      await k.create(
        application(ns(), name, {
          source: { repoURL: url, targetRevision: 'main', path: 'app' },
          destination: { namespace: ns() },
          syncPolicy: { automated: { prune: true, selfHeal: true } },
        }),
      );
      await waitApp(k, ns(), name, 'Synced', syncedHealthy);

      await server.close();
      // Git moves on while the server is away: b is removed.
      const next = await repo.commit({ 'app/b.yaml': null });
      await execFile('git', ['push', '-q', bare, 'main'], { cwd: repo.dir });
      const failing = await waitApp(
        k,
        ns(),
        name,
        'SourceFailed',
        (a) => getCondition(a.status?.conditions, 'Ready')?.reason === 'SourceFailed',
        20_000,
      );
      expect(getCondition(failing.status?.conditions, 'Ready')?.message).toContain(url);
      expect(getCondition(failing.status?.conditions, 'Stalled')?.status).toBe('False');
      expect(await k.get('v1', 'ConfigMap', ns(), 'a')).toBeDefined();
      expect(await k.get('v1', 'ConfigMap', ns(), 'b')).toBeDefined();

      server = await startGitHttpServer({ ...creds, port });
      await waitApp(
        k,
        ns(),
        name,
        'recovered at the new commit',
        (a) => a.status?.sync?.revision === next && syncedHealthy(a),
        30_000,
      );
      expect(await k.get('v1', 'ConfigMap', ns(), 'b')).toBeUndefined();
      expect(await k.get('v1', 'ConfigMap', ns(), 'a')).toBeDefined();
    } finally {
      await server.close().catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    }
  });
});
