/**
 * One app's manifests must never take the controller down for every app (issue 8, item 1).
 * The controller runs as its own process (`bin/sluice.js controller`, with its usual 192 MiB
 * heap), as in production:
 * - a ~1 MiB file whose anchor is aliased 98 times fails its own app with RenderFailed naming
 *   the file and the limit; a render that needs more than its worker's heap fails its own app;
 *   the controller stays up and the other apps sync; an app over a default limit syncs once its
 *   own limit is raised;
 * - an app whose render kills the controller (a test hook: SIGKILL while rendering that path)
 *   is quarantined after two deaths in a row; the other app syncs; a release annotation gives
 *   it one more try, and one more death quarantines it again.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { API_VERSION, KIND, type Application } from '../../src/api/application.ts';
import { installCrds } from '../../src/api/install.ts';
import { getCondition } from '../../src/gitops/conditions.ts';
import type { Kube } from '../../src/kube/api.ts';
import { silentProgress } from '../../src/util/progress.ts';
import {
  application,
  configMap,
  controllerProcess,
  createRepo,
  syncedHealthy,
  waitApp,
} from './gitops-harness.ts';
import { eventually, kube, useNamespace } from './harness.ts';

const ns = useNamespace('limits');

/** `k00: &big <1 MiB>`, `k01..k98: *big`: the file that crashed the controller in a loop. */
function aliasBomb(): string {
  let text = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\ndata:\n  k00: &big ${'x'.repeat(1024 * 1024)}\n`;
  for (let i = 1; i <= 98; i++) text += `  k${String(i).padStart(2, '0')}: *big\n`;
  return text;
}

/** ~8 MiB of one-character items: within the limits, but too much syntax tree for a 48 MiB heap. */
function hungry(): string {
  const items = Array.from({ length: 4 * 1024 * 1024 }, () => '1').join(',');
  return `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: hungry\ndata: {k: [${items}]}\n`;
}

/** A legitimate but alias-heavy ConfigMap: 12,000 aliases of one short value. */
function manyAliases(): string {
  let text = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: many\ndata:\n  v: &v "on"\n';
  for (let i = 0; i < 12_000; i++) text += `  k${i}: *v\n`;
  return text;
}

interface Proc {
  child: ChildProcess;
  exited: Promise<NodeJS.Signals | number | null>;
  log: () => string;
}

function controller(namespace: string, cacheDir: string, env: Record<string, string> = {}): Proc {
  const child = controllerProcess(namespace, cacheDir, ['--lease-duration', '2s'], {
    env,
    stderr: 'pipe',
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-20_000);
  });
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(signal ?? code)),
  );
  return { child, exited, log: () => stderr };
}

const appRef = (namespace: string, name: string) => ({
  apiVersion: API_VERSION,
  kind: KIND,
  metadata: { namespace, name },
});

const alive = (p: Proc): boolean => p.child.exitCode === null && p.child.signalCode === null;

const readyIs =
  (reason: string) =>
  (a: Application): boolean =>
    getCondition(a.status?.conditions, 'Ready')?.reason === reason;

async function createApps(k: Kube, namespace: string, url: string, paths: string[]): Promise<void> {
  for (const path of paths)
    await k.create(
      application(namespace, path, {
        source: { repoURL: url, path },
        destination: { namespace },
        syncPolicy: { automated: { prune: true } },
      }),
    );
}

describe('render limits and isolation', () => {
  it('a 98-alias file fails its own app naming the file and the limit; the controller stays up', async () => {
    const k = await kube();
    await installCrds(k, silentProgress);
    const repo = await createRepo({
      'bomb/cm.yaml': aliasBomb(),
      'many/cm.yaml': manyAliases(),
      'hungry/cm.yaml': hungry(),
      ...Object.fromEntries(
        ['ok1', 'ok2', 'ok3', 'ok4'].map((p) => [`${p}/cm.yaml`, configMap(p, { a: p })]),
      ),
    });
    const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-limits-'));
    // Render workers get a small heap here, so that one render can run out of it.
    const proc = controller(ns(), cacheDir, { SLUICE_RENDER_HEAP_MB: '48' });
    try {
      await createApps(k, ns(), repo.url, ['bomb', 'ok1', 'ok2', 'many', 'hungry', 'ok3', 'ok4']);
      for (const ok of ['ok1', 'ok2', 'ok3', 'ok4'])
        await waitApp(k, ns(), ok, 'Synced/Healthy', syncedHealthy, 60_000);
      const bomb = await waitApp(k, ns(), 'bomb', 'RenderFailed', readyIs('RenderFailed'), 60_000);
      const ready = getCondition(bomb.status?.conditions, 'Ready');
      expect(ready?.status).toBe('False');
      expect(ready?.message).toContain('bomb/cm.yaml document 1 is 99');
      expect(ready?.message).toContain('with its YAML aliases expanded');
      expect(ready?.message).toContain('over the limit of 16 MiB per render (maxBytes)');
      expect(ready?.message).toContain('spec.source.limits.maxBytes');
      expect(getCondition(bomb.status?.conditions, 'Stalled')?.status).toBe('True');

      // Within the limits, but more than a render worker's heap: that app fails, nothing else.
      const big = await waitApp(k, ns(), 'hungry', 'RenderFailed', readyIs('RenderFailed'), 60_000);
      expect(getCondition(big.status?.conditions, 'Ready')?.message).toContain(
        'rendering hungry needed more than 48 MiB of memory and was stopped',
      );

      // Over a default limit, then raised for that app alone.
      const many = await waitApp(k, ns(), 'many', 'RenderFailed', readyIs('RenderFailed'), 60_000);
      expect(getCondition(many.status?.conditions, 'Ready')?.message).toContain(
        'many/cm.yaml document 1 expands 12000 YAML aliases: over the limit of 10000 YAML alias expansions per render (maxAliases)',
      );
      await k.mergePatch(appRef(ns(), 'many'), {
        spec: { source: { limits: { maxAliases: 20_000 } } },
      });
      await waitApp(k, ns(), 'many', 'Synced/Healthy', syncedHealthy, 60_000);
      const cm = await k.get('v1', 'ConfigMap', ns(), 'many');
      expect(Object.keys((cm?.['data'] as Record<string, string> | undefined) ?? {})).toHaveLength(
        12_001,
      );

      expect(alive(proc), proc.log()).toBe(true);
      expect(() => process.kill(proc.child.pid ?? -1, 0)).not.toThrow();
    } finally {
      proc.child.kill('SIGTERM');
      await proc.exited;
      await rm(cacheDir, { recursive: true, force: true });
    }
  });

  it('an app during whose render the controller dies twice is quarantined; the others sync', async () => {
    const k = await kube();
    await installCrds(k, silentProgress);
    const repo = await createRepo({
      'crash/cm.yaml': configMap('crash', { a: '1' }),
      'ok/cm.yaml': configMap('ok', { a: '1' }),
    });
    const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-quarantine-'));
    const hooks = { SLUICE_TEST_HOOKS: '1', SLUICE_TEST_CRASH_RENDER: 'crash' };
    const procs: Proc[] = [];
    const start = (): Proc => {
      const p = controller(ns(), cacheDir, hooks);
      procs.push(p);
      return p;
    };
    try {
      await createApps(k, ns(), repo.url, ['crash', 'ok']);
      for (const n of [1, 2]) {
        const p = start();
        const how = await Promise.race([
          p.exited,
          new Promise((r) => setTimeout(() => r('still running'), 60_000)),
        ]);
        expect(how, `controller ${n} should die rendering crash/\n${p.log()}`).toBe('SIGKILL');
      }
      const third = start();
      const app = await waitApp(k, ns(), 'crash', 'Quarantined', readyIs('Quarantined'), 60_000);
      const ready = getCondition(app.status?.conditions, 'Ready');
      expect(ready?.status).toBe('False');
      expect(ready?.message).toContain(
        'the controller died 2 times in a row while rendering (or comparing) crash at ',
      );
      expect(ready?.message).toContain('sluice.dev/quarantine-release');
      expect(getCondition(app.status?.conditions, 'Stalled')).toMatchObject({
        status: 'True',
        reason: 'Quarantined',
      });
      await waitApp(k, ns(), 'ok', 'Synced/Healthy', syncedHealthy, 60_000);
      await new Promise((r) => setTimeout(r, 2000));
      expect(alive(third), third.log()).toBe(true);

      // Released by the annotation: one more try (alone), one more death quarantines it again.
      await k.mergePatch(appRef(ns(), 'crash'), {
        metadata: { annotations: { 'sluice.dev/quarantine-release': 'try-again' } },
      });
      expect(await third.exited).toBe('SIGKILL');
      start();
      await eventually(
        'quarantined again after one more death',
        async () => {
          const a = await k.get<Application>(API_VERSION, KIND, ns(), 'crash');
          const msg = getCondition(a?.status?.conditions, 'Ready')?.message ?? '';
          return msg.includes('died 3 times') ? true : undefined;
        },
        60_000,
      );
      await waitApp(k, ns(), 'ok', 'Synced/Healthy', syncedHealthy, 30_000);
    } finally {
      for (const p of procs) p.child.kill('SIGKILL');
      await Promise.all(procs.map((p) => p.exited));
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
