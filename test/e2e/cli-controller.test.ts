/**
 * The CLI and the controller it needs (issue 8, items 4 and 5). Without a controller holding the
 * Lease, `app sync` and `app get --refresh` say so within seconds, name the Lease and how to start
 * one, and never print an older operation's result as theirs; with one, `get --refresh` returns as
 * soon as the controller has looked again, even when nothing changed. A controller whose --listen
 * port is taken exits at once, naming the address and how to choose another; on SIGTERM it logs
 * while it finishes the reconciles in flight (item 11).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import { installCrds } from '../../src/api/install.ts';
import { GitOpsController } from '../../src/gitops/controller.ts';
import { execFile } from '../../src/util/exec.ts';
import { silentLogger } from '../../src/util/log.ts';
import { silentProgress } from '../../src/util/progress.ts';
import { application, configMap, controllerArgs, createRepo, getApp } from './gitops-harness.ts';
import { eventually, kube, kubeconfigPath, useNamespace } from './harness.ts';

const ns = useNamespace('clictl');
// The controller's namespace (its Lease) is the test's: SLUICE_CONTROLLER_NAMESPACE says so.
const sluice = (...args: string[]) =>
  execFile(process.execPath, ['bin/sluice.js', ...args, '--kubeconfig', kubeconfigPath()], {
    timeoutMs: 120_000,
    env: { ...process.env, NO_COLOR: '1', SLUICE_CONTROLLER_NAMESPACE: ns() },
  });
const app = (...args: string[]) => sluice('app', ...args, '-N', ns());

async function createGuestbook(): Promise<void> {
  const repo = await createRepo({ 'app/cm.yaml': configMap('settings', { color: 'blue' }) });
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
}

/** The state an earlier, failed sync left behind. */
async function previousFailure(): Promise<void> {
  const k = await kube();
  await k.mergePatch(
    {
      apiVersion: 'sluice.dev/v1alpha1',
      kind: 'Application',
      metadata: { name: 'gb', namespace: ns() },
    },
    {
      status: {
        operationState: {
          phase: 'Failed',
          message: 'an OLD failure from yesterday',
          startedAt: '2026-01-01T00:00:00Z',
          finishedAt: '2026-01-01T00:00:05Z',
          initiatedBy: 'someone',
        },
      },
    },
    { subresource: 'status' },
  );
}

describe('the CLI without a controller', () => {
  it('app sync says at once that no controller holds the Lease, and withdraws its request', async () => {
    await createGuestbook();
    await previousFailure();
    const started = Date.now();
    const r = await app('sync', 'gb', '--timeout', '5');
    expect(Date.now() - started).toBeLessThan(20_000);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(`no controller holds the Lease ${ns()}/sluice-controller`);
    expect(r.stderr).toContain('error: no controller is running');
    expect(r.stderr).toContain('sluice controller');
    expect(r.stderr).toContain('withdrawn');
    expect(r.stderr).not.toContain('OLD failure');
    expect(r.stdout).toBe('');
    expect((await getApp(await kube(), ns(), 'gb'))?.operation).toBeUndefined();
  });

  it('sync --async leaves a request; another sync is refused; terminate-op withdraws it', async () => {
    await createGuestbook();
    const asked = await app('sync', 'gb', '--async');
    expect(asked.code).toBe(0);
    expect(asked.stderr).toContain('the request waits until one runs');
    const again = await app('sync', 'gb', '--timeout', '5');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is waiting for the controller');
    expect(again.stderr).toContain('sluice app terminate-op gb');
    const withdrawn = await app('terminate-op', 'gb');
    expect(withdrawn.code, withdrawn.stderr).toBe(0);
    expect(withdrawn.stderr).toContain('was withdrawn');
    expect((await getApp(await kube(), ns(), 'gb'))?.operation).toBeUndefined();
  });

  it('app get --refresh says so instead of showing stale data after a long silence', async () => {
    await createGuestbook();
    const started = Date.now();
    const r = await app('get', 'gb', '--refresh');
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no controller is running');
    expect(r.stdout).toBe('');
  });

  it('a stale Lease is named with its holder', async () => {
    const k = await kube();
    await k.create({
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'sluice-controller', namespace: ns() },
      spec: {
        holderIdentity: 'gone-42',
        leaseDurationSeconds: 15,
        renewTime: new Date(Date.now() - 600_000).toISOString().replace('Z', '000Z'),
      },
    });
    await createGuestbook();
    const r = await app('sync', 'gb', '--timeout', '30');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is stale: gone-42 last renewed it \d+s ago/);
  });
});

describe('the CLI with a controller holding the Lease', () => {
  it('syncs without warnings; get --refresh returns once the controller looked, even with no change', async () => {
    const k = await kube();
    await installCrds(k, silentProgress);
    await createGuestbook();
    const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-ctrl-'));
    const leader = new GitOpsController({
      kube: k,
      namespace: ns(),
      appNamespaces: [ns()],
      cacheDir,
      leaderElection: { enabled: true, leaseDurationMs: 5000, renewMs: 1000 },
      log: silentLogger,
    });
    await leader.start();
    try {
      await previousFailure();
      const synced = await app('sync', 'gb', '--timeout', '60');
      expect(synced.code, synced.stderr).toBe(0);
      expect(synced.stderr).not.toContain('no controller');
      expect(synced.stderr).not.toContain('OLD failure');
      expect(synced.stdout).toMatch(/created\s+ConfigMap\/.*settings/);

      for (let i = 0; i < 2; i++) {
        const started = Date.now();
        const got = await app('get', 'gb', '--refresh', '-o', 'json');
        expect(got.code, got.stderr).toBe(0);
        expect(Date.now() - started).toBeLessThan(15_000);
        const a = JSON.parse(got.stdout) as Application;
        expect(a.status?.sync?.status).toBe('Synced');
        expect(a.metadata.annotations?.['sluice.dev/refresh']).toBeUndefined();
      }
    } finally {
      await leader.stop();
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});

describe('sluice controller', () => {
  it('exits at once, naming the address, when its --listen port is taken', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const started = Date.now();
      const r = await execFile(process.execPath, controllerArgs(ns(), `127.0.0.1:${port}`), {
        timeoutMs: 30_000,
      });
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect(r.stderr).toContain('already in use');
      expect(r.stderr).toContain('--listen 127.0.0.1:9090');
      expect(r.stderr).toContain('--listen off');
      // It never took the Lease: another controller can lead.
      expect(
        await (await kube()).get('coordination.k8s.io/v1', 'Lease', ns(), 'sluice-controller'),
      ).toBeUndefined();
    } finally {
      taken.close();
    }
  });

  it('logs while it drains on SIGTERM, then stops', async () => {
    const k = await kube();
    await installCrds(k, silentProgress);
    const files: Record<string, string> = {};
    for (let i = 0; i < 1000; i++)
      files[`app/cm-${i}.yaml`] = configMap(`cm-${i}`, { i: String(i) });
    const repo = await createRepo(files);
    const cacheDir = await mkdtemp(join(tmpdir(), 'sluice-ctrl-'));
    const child = spawn(process.execPath, controllerArgs(ns()), {
      env: { ...process.env, SLUICE_CACHE_DIR: cacheDir },
    });
    let log = '';
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await k.create(
        application(ns(), 'big', {
          source: { repoURL: repo.url, path: 'app' },
          destination: { namespace: ns() },
          syncPolicy: { automated: {} },
        }),
      );
      await eventually(
        'the sync to apply',
        async () => (log.includes('applying 1000 object(s)') ? true : undefined),
        120_000,
      );
      const signalled = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(log).toMatch(
        /shutting down: finishing reconciles in flight signal=SIGTERM inFlight=1/,
      );
      // A drain longer than the 2 s tick says so while it lasts (here, applying 1000 objects).
      if (Date.now() - signalled > 3000)
        expect(log).toMatch(/still finishing reconciles inFlight=1 seconds=\d/);
      expect(log).toContain('controller stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await rm(cacheDir, { recursive: true, force: true });
    }
  });
});
