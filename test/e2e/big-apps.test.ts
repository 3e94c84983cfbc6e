/**
 * Big apps (issue 8, items 2 and 11): an app of 5,000 or 20,000 ConfigMaps must finish. Before
 * the status was bounded, its final status write (every object listed three times: inventory,
 * resources, sync result) exceeded etcd's request limit, so the app showed Running forever and a
 * later `app sync` lost its history entry and timed out.
 *
 * Each case: `app sync` of the whole app returns Succeeded, the app is Synced and Healthy, history
 * has the entry, `app get -o json` and `app resources` work and show the capped list with totals,
 * the status stays well under 1 MiB (its size is printed); removing 100 objects from Git then
 * `app sync --prune` prunes exactly those (the compact inventory is read back). The 5,000 case
 * then deletes the app with its resources: the status says how far the cascade is
 * ("deleting: N/4900 objects") and the controller logs it.
 *
 * And a status written by the previous version (the inventory as a plain list) is still read:
 * an object only that list knows of (its kind is no longer in Git, so no watch sees it after a
 * restart) is pruned, and the inventory is rewritten in the compact form.
 */
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import { MANAGED_LABEL, TRACKING_ANNOTATION, trackingId } from '../../src/gitops/annotations.ts';
import { getCondition } from '../../src/gitops/conditions.ts';
import { readInventory } from '../../src/gitops/inventory.ts';
import type { Kube } from '../../src/kube/api.ts';
import { execFile } from '../../src/util/exec.ts';
import { createLogger } from '../../src/util/log.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';
import { configMap, createRepo, getApp, startController, type TestRepo } from './gitops-harness.ts';

const ns = useNamespace('big');
const sluice = (timeoutS: number, ...args: string[]) =>
  execFile(
    process.execPath,
    ['bin/sluice.js', ...args, '--kubeconfig', kubeconfigPath(), '-N', ns()],
    {
      timeoutMs: (timeoutS + 30) * 1000,
      env: { ...process.env, NO_COLOR: '1', SLUICE_CONTROLLER_NAMESPACE: ns() },
    },
  );

const PER_FILE = 100;
const cmName = (i: number): string => `cm-${String(i).padStart(5, '0')}`;
const fileName = (f: number): string => `big/cms-${String(f).padStart(3, '0')}.yaml`;
const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/** `n` small ConfigMaps, PER_FILE to a file. */
async function bigRepo(n: number): Promise<TestRepo> {
  const files: Record<string, string> = {};
  for (let f = 0; f < n / PER_FILE; f++) {
    const docs: string[] = [];
    for (let i = f * PER_FILE; i < (f + 1) * PER_FILE; i++)
      docs.push(configMap(cmName(i), { index: String(i) }));
    files[fileName(f)] = docs.join('---\n');
  }
  return createRepo(files);
}

async function getJson(name: string): Promise<Application> {
  const got = await sluice(60, 'app', 'get', name, '-o', 'json');
  expect(got.code, got.stderr).toBe(0);
  return JSON.parse(got.stdout) as Application;
}

const statusBytes = (app: Application): number => Buffer.byteLength(JSON.stringify(app.status));

/** `app sync` of all n objects; what a user checks after it. Returns the status size. */
async function firstSync(n: number, timeoutS: number): Promise<number> {
  const synced = await sluice(timeoutS, 'app', 'sync', 'big', '--timeout', String(timeoutS));
  expect(synced.code, synced.stderr).toBe(0);
  expect(synced.stderr).toContain(`${n} created`);
  expect(synced.stderr).toContain(`500 of ${n} objects listed`);

  const app = await getJson('big');
  expect(app.status?.operationState?.phase).toBe('Succeeded');
  expect(app.status?.sync?.status).toBe('Synced');
  expect(app.status?.health?.status).toBe('Healthy');
  expect(app.status?.history).toHaveLength(1);
  const result = app.status?.operationState?.syncResult;
  expect(result).toMatchObject({ total: n, counts: { created: n }, truncated: true });
  expect(result?.resources).toHaveLength(500);
  expect(app.status?.summary).toEqual({
    total: n,
    truncated: true,
    sync: { Synced: n },
    health: { Healthy: n },
  });
  expect(app.status?.resources).toHaveLength(500);
  expect(app.status?.compactInventory?.count).toBe(n);
  expect(app.status?.inventory).toBeUndefined();
  expect(statusBytes(app)).toBeLessThan(1024 * 1024);

  const listed = await sluice(60, 'app', 'resources', 'big');
  expect(listed.code, listed.stderr).toBe(0);
  expect(listed.stdout.trim().split('\n')).toHaveLength(501);
  expect(listed.stderr).toContain(`showing 500 of ${n} objects; ${n} Synced; ${n} Healthy`);
  const got = await sluice(60, 'app', 'get', 'big');
  expect(got.stdout).toContain(`showing 500 of ${n} objects`);
  return statusBytes(app);
}

/** The first file leaves Git: `app sync --prune` deletes exactly its objects. */
async function pruneSync(k: Kube, repo: TestRepo, n: number, timeoutS: number): Promise<number> {
  await repo.commit({ [fileName(0)]: null }, 'drop the first 100');
  const args = ['app', 'sync', 'big', '--prune', '--timeout', String(timeoutS)];
  const pruned = await sluice(timeoutS, ...args);
  expect(pruned.code, pruned.stderr).toBe(0);
  expect(pruned.stderr).toContain(`${PER_FILE} pruned`);
  const after = await getJson('big');
  expect(after.status?.sync?.status).toBe('Synced');
  expect(after.status?.history).toHaveLength(2);
  expect(after.status?.operationState?.syncResult?.counts).toEqual({
    pruned: PER_FILE,
    unchanged: n - PER_FILE,
  });
  expect(after.status?.compactInventory?.count).toBe(n - PER_FILE);
  expect(await k.get('v1', 'ConfigMap', ns(), cmName(0))).toBeUndefined();
  expect(await k.get('v1', 'ConfigMap', ns(), cmName(PER_FILE))).toBeDefined();
  return statusBytes(after);
}

/** Deleting the app (it carries the resources finalizer) says how far the cascade is. */
async function cascadeDelete(k: Kube, left: number, logs: string[], timeoutS: number) {
  const app = await getApp(k, ns(), 'big');
  if (!app) throw new Error('the app is gone already');
  await k.delete(app);
  const seen = new Set<string>();
  await eventually(
    'the app and its objects to go',
    async () => {
      const a = await getApp(k, ns(), 'big');
      const ready = getCondition(a?.status?.conditions, 'Ready');
      if (ready?.reason === 'Deleting' && ready.message) seen.add(ready.message);
      return a ? undefined : true;
    },
    timeoutS * 1000,
  );
  const progress = [...seen].filter((m) => new RegExp(`^deleting: \\d+/${left} objects`).test(m));
  expect(progress.length, [...seen].join('\n')).toBeGreaterThan(0);
  // How many are gone only grows.
  const gone = progress.map((m) => Number(/^deleting: (\d+)/.exec(m)?.[1]));
  expect(gone).toEqual([...gone].sort((a, b) => a - b));
  expect(logs.some((l) => l.includes(`deleting: `) && l.includes(`/${left} objects`))).toBe(true);
  expect(await k.get('v1', 'ConfigMap', ns(), cmName(PER_FILE))).toBeUndefined();
  return progress;
}

/** Deletes the app without its resources (the test's namespace takes them). */
async function letGo(k: Kube, name: string): Promise<void> {
  const app = await getApp(k, ns(), name);
  if (!app) return;
  await k.mergePatch(app, { metadata: { finalizers: null } });
  await k.delete(app);
}

/** A repository of `n` ConfigMaps, a controller (its log kept) and the app "big". */
async function bigApp(
  k: Kube,
  n: number,
  timeoutS: number,
): Promise<{ repo: TestRepo; logs: string[] }> {
  const repo = await bigRepo(n);
  const logs: string[] = [];
  // Holding the Lease: the CLI waits for a controller that takes a while to start a big sync.
  await startController(k, ns(), {
    leader: true,
    waitTimeoutMs: timeoutS * 1000,
    log: createLogger('info', (l) => {
      logs.push(l);
      if (process.env['SLUICE_TEST_LOG']) process.stderr.write(l);
    }),
  });
  const args = ['--repo', repo.url, '--path', 'big', '--dest-namespace', ns()];
  const created = await sluice(60, 'app', 'create', 'big', ...args);
  expect(created.code, created.stderr).toBe(0);
  onTestFinished(() => letGo(k, 'big'));
  return { repo, logs };
}

describe('big apps', () => {
  for (const [n, timeoutS, deleteToo] of [
    [5_000, 240, true],
    [20_000, 600, false],
  ] as const) {
    it(
      `an app of ${n} ConfigMaps syncs, records history, prunes${deleteToo ? ', and is deleted with progress' : ''}`,
      async () => {
        const k = await kube();
        const started = Date.now();
        const { repo, logs } = await bigApp(k, n, timeoutS);
        const syncStarted = Date.now();
        const bytes = await firstSync(n, timeoutS);
        const firstSyncTook = seconds(syncStarted);
        const pruneStarted = Date.now();
        const afterPrune = await pruneSync(k, repo, n, timeoutS);
        // Two syncs were asked for; the controller ran two (a long sync's progress writes once
        // made the next reconcile read the finished operation back as running, and run it again).
        expect(logs.filter((l) => l.includes('sync succeeded'))).toHaveLength(2);
        const pruneTook = seconds(pruneStarted);
        let deleted = '';
        if (deleteToo) {
          const deleteStarted = Date.now();
          const progress = await cascadeDelete(k, n - PER_FILE, logs, timeoutS);
          const shown = `"${progress[0] ?? ''}" … "${progress.at(-1) ?? ''}"`;
          deleted = `; cascade delete ${seconds(deleteStarted)} (${progress.length} progress messages: ${shown})`;
        }
        process.stderr.write(
          `big app, ${n} ConfigMaps: sync ${firstSyncTook}, status ${bytes} bytes; ` +
            `prune sync ${pruneTook}, status ${afterPrune} bytes${deleted}; ` +
            `whole test ${seconds(started)}\n`,
        );
      },
      1000 * (3 * 600 + 120),
    );
  }

  it('a status written by the previous version (a plain inventory list) still prunes', async () => {
    const k = await kube();
    const repo = await createRepo({ 'app/keep.yaml': configMap('keep', { a: '1' }) });
    const args = ['--repo', repo.url, '--path', 'app', '--dest-namespace', ns()];
    const created = await sluice(60, 'app', 'create', 'old', ...args);
    expect(created.code, created.stderr).toBe(0);
    onTestFinished(() => letGo(k, 'old'));
    // What the previous version applied and recorded: a Secret that has since left Git.
    const ref = { group: '', kind: 'Secret', namespace: ns(), name: 'old-secret' };
    await k.create({
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: ref.name,
        namespace: ns(),
        labels: { [MANAGED_LABEL]: 'true' },
        annotations: { [TRACKING_ANNOTATION]: trackingId(ns(), 'old', ref) },
      },
      stringData: { password: 'x' },
    });
    const app = await getApp(k, ns(), 'old');
    if (!app) throw new Error('no app');
    const entry = { group: '', version: 'v1', namespace: ns() };
    await k.mergePatch(
      app,
      {
        status: {
          inventory: [
            { ...entry, kind: 'ConfigMap', name: 'keep' },
            { ...entry, kind: 'Secret', name: 'old-secret' },
          ],
        },
      },
      { subresource: 'status' },
    );
    await startController(k, ns(), { leader: true });
    const synced = await sluice(120, 'app', 'sync', 'old', '--prune', '--timeout', '120');
    expect(synced.code, synced.stderr).toBe(0);
    expect(synced.stderr).toContain('1 pruned');
    expect(await k.get('v1', 'Secret', ns(), 'old-secret')).toBeUndefined();
    const after = await getJson('old');
    expect(after.status?.inventory).toBeUndefined();
    expect(readInventory(after.status).map((e) => `${e.kind}/${e.name}`)).toEqual([
      'ConfigMap/keep',
    ]);
  });
});
