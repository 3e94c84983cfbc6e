/**
 * `sluice app delete` as `argocd app delete` (issue 8, items 8 and 11): it cascades by default and
 * shows progress while the controller prunes; without a terminal it refuses unless -y; with
 * --cascade=false the objects stay untouched. What a new app does with objects left behind (as
 * `app delete --help` says): same name or another, it adopts them in place; what is not in its
 * manifests shows as needing pruning and goes with a pruning sync.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import { installCrds } from '../../src/api/install.ts';
import { GitOpsController } from '../../src/gitops/controller.ts';
import type { Kube } from '../../src/kube/api.ts';
import type { KubeObject } from '../../src/kube/types.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentLogger } from '../../src/util/log.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { configMap, createRepo, getApp, waitApp, syncedHealthy } from './gitops-harness.ts';
import { kube, kubeconfigPath, useNamespace } from './harness.ts';

const ns = useNamespace('clidel');
const app = (...args: string[]) =>
  execFile(
    process.execPath,
    ['bin/sluice.js', 'app', ...args, '--kubeconfig', kubeconfigPath(), '-N', ns()],
    {
      timeoutMs: 120_000,
      env: { ...process.env, NO_COLOR: '1', SLUICE_CONTROLLER_NAMESPACE: ns() },
    },
  );

/** A controller holding the Lease in the test namespace, as `sluice controller` would. */
async function withLeader(k: Kube, fn: () => Promise<void>): Promise<void> {
  await installCrds(k, silentProgress);
  const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-ctrl-'));
  const c = new GitOpsController({
    kube: k,
    namespace: ns(),
    appNamespaces: [ns()],
    cacheDir,
    leaderElection: { enabled: true, leaseDurationMs: 5000, renewMs: 1000 },
    log: silentLogger,
  });
  await c.start();
  try {
    await fn();
  } finally {
    await c.stop();
    await rm(cacheDir, { recursive: true, force: true });
  }
}

const files = {
  'app/a.yaml': configMap('a', { n: '1' }),
  'app/b.yaml': configMap('b', { n: '2' }),
  'app/c.yaml': configMap('c', { n: '3' }),
};

async function createAndSync(name: string, repoUrl: string): Promise<Application> {
  const created = await app(
    'create',
    name,
    '--repo',
    repoUrl,
    '--path',
    'app',
    '--dest-namespace',
    ns(),
    '--sync-policy',
    'automated',
  );
  expect(created.code, created.stderr).toBe(0);
  return waitApp(await kube(), ns(), name, 'Synced and Healthy', syncedHealthy);
}

const uid = async (k: Kube, name: string): Promise<string | undefined> =>
  (await k.get<KubeObject>('v1', 'ConfigMap', ns(), name))?.metadata.uid;

describe('sluice app delete', () => {
  it('refuses without a terminal and -y; cascades by default, printing progress', async () => {
    const k = await kube();
    const repo = await createRepo(files);
    await withLeader(k, async () => {
      await createAndSync('gb', repo.url);
      const refused = await app('delete', 'gb');
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain('without confirmation');
      expect(refused.stderr).toContain('-y');
      expect(await getApp(k, ns(), 'gb')).toBeDefined();

      const deleted = await app('delete', 'gb', '-y');
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(deleted.stderr).toContain(`deleting ${ns()}/gb and the 3 object(s) it manages`);
      expect(deleted.stderr).toMatch(/\n {2}\S.*\n• deleted/);
      expect(deleted.stderr).not.toContain('no controller');
      expect(await getApp(k, ns(), 'gb')).toBeUndefined();
      for (const n of ['a', 'b', 'c']) expect(await uid(k, n)).toBeUndefined();
    });
  });

  it('--cascade=false keeps the objects; a new app of the same name or another adopts them in place', async () => {
    const k = await kube();
    const repo = await createRepo(files);
    await withLeader(k, async () => {
      await createAndSync('gb', repo.url);
      const before = { a: await uid(k, 'a'), b: await uid(k, 'b'), c: await uid(k, 'c') };

      const kept = await app('delete', 'gb', '--cascade=false', '-y');
      expect(kept.code, kept.stderr).toBe(0);
      expect(kept.stderr).toContain('3 object(s) stay in the cluster');
      expect(await getApp(k, ns(), 'gb')).toBeUndefined();
      expect({ a: await uid(k, 'a'), b: await uid(k, 'b'), c: await uid(k, 'c') }).toEqual(before);

      // Same name, manifests without c: a and b adopted in place, c needs pruning.
      await repo.commit({ 'app/c.yaml': null });
      const created = await app(
        'create',
        'gb',
        '--repo',
        repo.url,
        '--path',
        'app',
        '--dest-namespace',
        ns(),
      );
      expect(created.code, created.stderr).toBe(0);
      // A new app may compare with a mirror fetched a moment ago: fetch the commit now.
      expect((await app('get', 'gb', '--refresh')).code).toBe(0);
      const adopted = await waitApp(k, ns(), 'gb', 'compared, c left to prune', (a) =>
        (a.status?.resources ?? []).some((r) => r.name === 'c' && r.requiresPruning === true),
      );
      expect(adopted.status?.sync?.status).toBe('OutOfSync');
      expect({ a: await uid(k, 'a'), b: await uid(k, 'b') }).toEqual({ a: before.a, b: before.b });
      const pruned = await app('sync', 'gb', '--prune', '--timeout', '60');
      expect(pruned.code, pruned.stderr).toBe(0);
      expect(await uid(k, 'c')).toBeUndefined();
      expect(await uid(k, 'a')).toBe(before.a);

      // Another name: once gb is gone without cascade, "other" takes a and b over in place.
      expect((await app('delete', 'gb', '--no-cascade', '-y')).code).toBe(0);
      const other = await createAndSync('other', repo.url);
      expect(other.status?.operationState?.phase).toBe('Succeeded');
      expect({ a: await uid(k, 'a'), b: await uid(k, 'b') }).toEqual({ a: before.a, b: before.b });
      const tracking = (await k.get<KubeObject>('v1', 'ConfigMap', ns(), 'a'))?.metadata
        .annotations?.['sluice.dev/tracking-id'];
      expect(tracking).toMatch(new RegExp(`^${ns()}_other:`));
    });
  });

  it('--help says what a new app does with what --cascade=false left', async () => {
    const help = await app('delete', '--help');
    expect(help.stdout).toContain('--cascade=false');
    expect(help.stdout).toContain('adopts them');
  });
});
