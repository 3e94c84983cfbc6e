/**
 * Big apps (issue 8, item 2): an app of 5,000 or 20,000 ConfigMaps must finish. Before the
 * status was bounded, its final status write (every object listed three times: inventory,
 * resources, sync result) exceeded etcd's request limit, so the app showed Running forever and a
 * later `app sync` lost its history entry and timed out.
 *
 * Each case: `app sync` of the whole app returns Succeeded, the app is Synced and Healthy, history
 * has the entry, `app get -o json` and `app resources` work and show the capped list with totals,
 * the status stays well under 1 MiB (its size is printed), and removing 100 objects from Git then
 * `app sync --prune` prunes exactly those (the compact inventory is read back).
 */
import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import { execFile } from '../../src/util/exec.ts';
import { kube, kubeconfigPath, useNamespace } from './harness.ts';
import { configMap, createRepo, startController, type TestRepo } from './gitops-harness.ts';

const ns = useNamespace('big');
const sluice = (timeoutS: number, ...args: string[]) =>
  execFile(
    process.execPath,
    ['bin/sluice.js', ...args, '--kubeconfig', kubeconfigPath(), '-N', ns()],
    { timeoutMs: (timeoutS + 30) * 1000, env: { ...process.env, NO_COLOR: '1' } },
  );

const PER_FILE = 100;
const cmName = (i: number): string => `cm-${String(i).padStart(5, '0')}`;
const fileName = (f: number): string => `big/cms-${String(f).padStart(3, '0')}.yaml`;

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

async function getJson(timeoutS: number, name: string): Promise<Application> {
  const got = await sluice(timeoutS, 'app', 'get', name, '-o', 'json');
  expect(got.code, got.stderr).toBe(0);
  return JSON.parse(got.stdout) as Application;
}

const statusBytes = (app: Application): number => Buffer.byteLength(JSON.stringify(app.status));

describe('big apps', () => {
  for (const [n, timeoutS] of [
    [5_000, 240],
    [20_000, 600],
  ] as const) {
    it(
      `an app of ${n} ConfigMaps syncs, records history, and prunes`,
      async () => {
        const k = await kube();
        const started = Date.now();
        const repo = await bigRepo(n);
        await startController(k, ns(), { waitTimeoutMs: timeoutS * 1000 });
        const created = await sluice(
          60,
          'app',
          'create',
          'big',
          '--repo',
          repo.url,
          '--path',
          'big',
        );
        expect(created.code, created.stderr).toBe(0);

        const synced = await sluice(timeoutS, 'app', 'sync', 'big', '--timeout', String(timeoutS));
        expect(synced.code, synced.stderr).toBe(0);
        expect(synced.stderr).toContain(`${n} created`);
        const syncedAt = Date.now();

        const app = await getJson(60, 'big');
        expect(app.status?.operationState?.phase).toBe('Succeeded');
        expect(app.status?.sync?.status).toBe('Synced');
        expect(app.status?.health?.status).toBe('Healthy');
        expect(app.status?.history?.map((h) => h.initiatedBy)).toHaveLength(1);
        const result = app.status?.operationState?.syncResult;
        expect(result?.total).toBe(n);
        expect(result?.counts).toEqual({ created: n });
        expect(result?.truncated).toBe(true);
        expect(result?.resources.length).toBeLessThanOrEqual(500);
        expect(app.status?.summary).toMatchObject({
          total: n,
          truncated: true,
          sync: { Synced: n },
          health: { Healthy: n },
        });
        expect(app.status?.resources?.length).toBeLessThanOrEqual(500);
        expect(app.status?.compactInventory?.count).toBe(n);
        const bytes = statusBytes(app);
        expect(bytes).toBeLessThan(1024 * 1024);

        const listed = await sluice(60, 'app', 'resources', 'big');
        expect(listed.code, listed.stderr).toBe(0);
        expect(listed.stdout.trim().split('\n').length).toBeLessThanOrEqual(501);
        expect(listed.stderr).toContain(`showing 500 of ${n} objects`);
        expect(listed.stderr).toContain(`${n} Synced`);

        // Remove the first file from Git: `app sync --prune` deletes exactly those 100 objects.
        await repo.commit({ [fileName(0)]: null }, 'drop the first 100');
        const pruned = await sluice(
          timeoutS,
          'app',
          'sync',
          'big',
          '--prune',
          '--timeout',
          String(timeoutS),
        );
        expect(pruned.code, pruned.stderr).toBe(0);
        expect(pruned.stderr).toContain(`${PER_FILE} pruned`);
        const after = await getJson(60, 'big');
        expect(after.status?.sync?.status).toBe('Synced');
        expect(after.status?.history).toHaveLength(2);
        expect(after.status?.operationState?.syncResult?.counts).toEqual({
          pruned: PER_FILE,
          unchanged: n - PER_FILE,
        });
        expect(after.status?.compactInventory?.count).toBe(n - PER_FILE);
        expect(await k.get('v1', 'ConfigMap', ns(), cmName(0))).toBeUndefined();
        expect(await k.get('v1', 'ConfigMap', ns(), cmName(PER_FILE))).toBeDefined();
        process.stderr.write(
          `big app, ${n} ConfigMaps: first sync ${((syncedAt - started) / 1000).toFixed(1)} s ` +
            `(repo, controller, create, sync); status ${bytes} bytes after it, ` +
            `${statusBytes(after)} after the prune; whole test ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
        );
      },
      1000 * (2 * 600 + 120),
    );
  }
});
