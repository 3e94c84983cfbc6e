/**
 * `sluice app ...` as a person or a script uses it: create with argocd-style flags, wait, list and
 * get with -o json, diff (exit codes), sync, history, rollback (pauses automation and says so),
 * set, delete --cascade. A controller runs in this process, scoped to the test namespace.
 */
import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import { execFile } from '../../src/util/exec.ts';
import { kube, kubeconfigPath, useNamespace } from './harness.ts';
import { configMap, createRepo, deployment, startController } from './gitops-harness.ts';

const ns = useNamespace('cli');
const sluice = (...args: string[]) =>
  execFile(
    process.execPath,
    ['bin/sluice.js', ...args, '--kubeconfig', kubeconfigPath(), '-N', ns()],
    { timeoutMs: 120_000, env: { ...process.env, NO_COLOR: '1' } },
  );

describe('sluice app', () => {
  it('drives an Application through its life from the command line', async () => {
    const k = await kube();
    const repo = await createRepo({
      'guestbook/web.yaml': deployment('web', 2),
      'guestbook/cm.yaml': configMap('settings', { color: 'blue' }),
      'guestbook/secret.yaml':
        'apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ndata:\n  password: c3VwZXItc2VjcmV0\n  user: YWRtaW4=\n',
    });
    await startController(k, ns());
    const dest = `${ns()}-gb`;
    const created = await sluice(
      'app',
      'create',
      'guestbook',
      '--repo',
      repo.url,
      '--path',
      'guestbook',
      '--revision',
      'main',
      '--dest-namespace',
      dest,
      '--sync-policy',
      'automated',
      '--auto-prune',
      '--sync-option',
      'CreateNamespace=true',
    );
    expect(created.code, created.stderr).toBe(0);
    try {
      const again = await sluice('app', 'create', 'guestbook', '--repo', repo.url);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already exists');

      const waited = await sluice(
        'app',
        'wait',
        'guestbook',
        '--sync',
        '--health',
        '--timeout',
        '60',
      );
      expect(waited.code, waited.stderr).toBe(0);
      expect(waited.stderr).toContain('Synced Healthy');

      const got = await sluice('app', 'get', 'guestbook', '-o', 'json');
      const app = JSON.parse(got.stdout) as Application;
      expect(app.status?.sync?.status).toBe('Synced');
      expect(app.status?.health?.status).toBe('Healthy');
      const list = await sluice('app', 'list');
      expect(list.stdout).toMatch(/^NAME\s+SYNC\s+HEALTH/);
      expect(list.stdout).toMatch(/guestbook\s+Synced\s+Healthy/);
      const yaml = await sluice('app', 'list', '-o', 'yaml');
      expect(yaml.stdout).toContain('kind: Application');

      // In sync: diff exits 0. A manual scale (no self-heal): diff shows it and exits 1.
      expect((await sluice('app', 'diff', 'guestbook')).code).toBe(0);
      await k.mergePatch(
        { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: dest } },
        { spec: { replicas: 5 } },
      );
      await k.mergePatch(
        { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'db', namespace: dest } },
        { data: { password: 'aGFja2Vk' } },
      );
      const diff = await sluice('app', 'diff', 'guestbook');
      // Secret values never show: only that `password` differs and `user` does not.
      expect(diff.stdout).toContain(`--- live/Secret/${dest}/db`);
      expect(diff.stdout).not.toMatch(/c3VwZXItc2VjcmV0|aGFja2Vk|YWRtaW4=/);
      expect(diff.stdout).toMatch(/- {2}password: "?\+{10}"?/);
      expect(diff.stdout).toMatch(/\+ {2}password: "?\+{9}"?/);
      expect(diff.code).toBe(1);
      expect(diff.stdout).toContain(`--- live/Deployment/${dest}/web`);
      expect(diff.stdout).toContain('-  replicas: 5');
      expect(diff.stdout).toContain('+  replicas: 2');

      const synced = await sluice('app', 'sync', 'guestbook', '--timeout', '60');
      expect(synced.code, synced.stderr).toBe(0);
      expect(synced.stdout).toMatch(/configured\s+Deployment\.apps\/.*\/web/);

      const rev2 = await repo.commit({
        'guestbook/cm.yaml': configMap('settings', { color: 'green' }),
      });
      const synced2 = await sluice('app', 'sync', 'guestbook');
      expect(synced2.code).toBe(0);
      const history = JSON.parse(
        (await sluice('app', 'history', 'guestbook', '-o', 'json')).stdout,
      ) as Array<{ id: number; revision: string; initiatedBy: string }>;
      expect(history[0]?.revision).toBe(rev2);
      const firstId = history.at(-1)?.id ?? 0;

      const rolled = await sluice('app', 'rollback', 'guestbook', String(firstId));
      expect(rolled.code, rolled.stderr).toBe(0);
      expect(rolled.stderr).toContain('automated sync of guestbook is now paused');
      expect(rolled.stderr).toContain('sluice app set guestbook --auto-sync');
      const settings = await k.get<{
        apiVersion: string;
        kind: string;
        metadata: object;
        data?: Record<string, string>;
      }>('v1', 'ConfigMap', dest, 'settings');
      expect(settings?.data?.['color']).toBe('blue');
      const paused = JSON.parse(
        (await sluice('app', 'get', 'guestbook', '-o', 'json')).stdout,
      ) as Application;
      expect(paused.spec.syncPolicy?.automated?.enabled).toBe(false);

      expect((await sluice('app', 'set', 'guestbook', '--auto-sync')).code).toBe(0);
      expect((await sluice('app', 'wait', 'guestbook', '--timeout', '60')).code).toBe(0);

      const missing = await sluice('app', 'get', 'nope');
      expect(missing.code).toBe(3);
      expect(missing.stderr).toContain(`Application ${ns()}/nope not found`);
      const timeout = await sluice('app', 'wait', 'guestbook', '--health', '--timeout', 'x');
      expect(timeout.code).toBe(2);

      const deleted = await sluice('app', 'delete', 'guestbook', '-y');
      expect(deleted.code, deleted.stderr).toBe(0);
      expect(await k.get('apps/v1', 'Deployment', dest, 'web')).toBeUndefined();
    } finally {
      await k.delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: dest } });
    }
  });
});
