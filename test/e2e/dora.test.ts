/**
 * DORA metrics through `sluice controller` itself (issue 12, item 6), on both stores: a real
 * SQLite file and a real PostgreSQL. An Application labelled `sluice.dev/environment: prod`
 * follows a real Git repository: two deploys, a commit whose sync fails, a fix that restores.
 * What a user checks: the deployment records (commit times are the commits' real committer
 * times, deploy and failure times are the Application's), `sluice dora -o json` with the four
 * keys computed from those timestamps, the same figures on GET /api/dora and /metrics, and a
 * restarted controller that records the next deploy but nothing twice.
 */
import { once } from 'node:events';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { Application } from '../../src/api/application.ts';
import type { DoraReport } from '../../src/delivery/dora/index.ts';
import {
  openRunStore,
  type DeploymentRecord,
  type RunStore,
} from '../../src/pipelines/store/index.ts';
import { execFile } from '../../src/util/exec.ts';
import {
  application,
  configMap,
  controllerProcess,
  createRepo,
  waitApp,
  type TestRepo,
} from './gitops-harness.ts';
import { eventually, kube, useNamespace } from './harness.ts';
import { BACKENDS, useBackend } from './run-store-backends.ts';
import { ensureCrds } from './taskrun-harness.ts';

const ns = useNamespace('dora');

/** A Deployment the API server refuses at dry-run: the sync fails, nothing is applied. */
const BAD =
  'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: bad\nspec:\n  replicas: "three"\n  selector: { matchLabels: { a: b } }\n  template: { metadata: { labels: { a: b } }, spec: { containers: [{ name: c, image: nginx }] } }\n';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function cli(url: string, ...args: string[]): Promise<unknown> {
  const r = await execFile(
    process.execPath,
    ['bin/sluice.js', 'dora', ...args, '--database-url', url, '-o', 'json'],
    {
      timeoutMs: 60_000,
    },
  );
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

const iso = (t: string): string => new Date(t).toISOString();
const ms = (t: string | undefined): number => Date.parse(t ?? '');
const settled = (rev: string) => (a: Application) =>
  a.status?.sync?.revision === rev &&
  a.status.sync.status === 'Synced' &&
  a.status.health?.status === 'Healthy';

describe.each(BACKENDS)('DORA through `sluice controller` on $name', ({ start }) => {
  const { backend } = useBackend(start);

  it('two deploys, a failed sync, a restore: records and four keys from the real timestamps; a restart records nothing twice', async () => {
    const k = await kube();
    await ensureCrds(k);
    const url = await backend().fresh();
    const port = await freePort();
    const cacheDir = mkdtempSync(join(tmpdir(), 'sluice-dora-'));
    const controllers: ChildProcess[] = [];
    const startController = (): void => {
      const c = controllerProcess(ns(), cacheDir, [
        '--database-url',
        url,
        '--poll-interval',
        '1s',
        '--listen',
        `127.0.0.1:${port}`,
      ]);
      controllers.push(c);
    };
    const stopController = async (c: ChildProcess | undefined): Promise<void> => {
      if (c && c.exitCode === null && c.signalCode === null) {
        c.kill('SIGTERM');
        await once(c, 'exit');
      }
    };
    onTestFinished(async () => {
      for (const c of controllers) await stopController(c);
    });
    const reader: RunStore = await openRunStore({ databaseUrl: url });
    onTestFinished(() => reader.close());
    const recorded = (n: number, check: (d: DeploymentRecord[]) => boolean = () => true) =>
      eventually(`${n} deployment records`, async () => {
        const list = await reader.deployments.list();
        return list.length === n && check(list) ? list : undefined;
      }, 60_000); // prettier-ignore
    const committedAt = async (repo: TestRepo, rev: string): Promise<string> =>
      iso(await repo.git('show', '-s', '--format=%cI', rev));

    const repo = await createRepo({ 'app/cm.yaml': configMap('cfg', { v: '1' }) });
    const c1 = await repo.git('rev-parse', 'HEAD');
    const app = application(ns(), 'web', {
      source: { repoURL: repo.url, path: 'app' },
      destination: { namespace: ns() },
      // No retry: the failed sync's times stay those of its one attempt.
      syncPolicy: { automated: { prune: true }, retry: { limit: 0 } },
    });
    app.metadata.labels = { 'sluice.dev/environment': 'prod' };
    await k.create(app);
    startController();

    // 1-2: two deploys.
    await waitApp(k, ns(), 'web', 'c1 deployed', settled(c1), 60_000);
    await recorded(1);
    const c2 = await repo.commit({ 'app/cm.yaml': configMap('cfg', { v: '2' }) }, 'v2');
    const atC2 = await waitApp(k, ns(), 'web', 'c2 deployed', settled(c2), 60_000);
    const seenC2 = Date.now();
    await recorded(2);
    // 3: a commit whose sync fails.
    const c3 = await repo.commit({ 'app/bad.yaml': BAD }, 'a bad Deployment');
    const failedApp = await waitApp(k, ns(), 'web', 'the sync of c3 failed', (a) => {
      const op = a.status?.operationState;
      return op?.phase === 'Failed' && op.syncResult?.revision === c3;
    }, 60_000); // prettier-ignore
    await recorded(3);
    // 4: the fix restores.
    const c4 = await repo.commit(
      { 'app/bad.yaml': null, 'app/cm.yaml': configMap('cfg', { v: '4' }) },
      'fix',
    );
    await waitApp(k, ns(), 'web', 'c4 deployed', settled(c4), 60_000);
    const [d1, d2, d3, d4] = await recorded(4, (l) => l[2]?.restoredAt !== undefined);
    if (!d1 || !d2 || !d3 || !d4) throw new Error('four records expected');

    // The records, against Git and the Application's status.
    expect(
      [d1, d2, d3, d4].map((d) => [d.revision, d.outcome, d.failureReason, d.environment, d.kind]),
    ).toEqual([
      [c1, 'Succeeded', undefined, 'prod', 'Application'],
      [c2, 'Succeeded', undefined, 'prod', 'Application'],
      [c3, 'Failed', 'SyncFailed', 'prod', 'Application'],
      [c4, 'Succeeded', undefined, 'prod', 'Application'],
    ]);
    for (const [d, rev] of [
      [d1, c1],
      [d2, c2],
      [d3, c3],
      [d4, c4],
    ] as const)
      expect(d.commitTime).toBe(await committedAt(repo, rev));
    expect(d1.commits.map((c) => c.sha)).toEqual([c1]);
    expect(d2.commits.map((c) => c.sha)).toEqual([c2]);
    expect(d3.commits.map((c) => c.sha)).toEqual([c3]);
    // The fix brings the failed commit too: it ran only with the fix.
    expect(d4.commits.map((c) => c.sha).sort()).toEqual([c3, c4].sort());
    const entry = atC2.status?.history?.find((h) => h.revision === c2);
    expect(ms(d2.deployedAt)).toBeGreaterThanOrEqual(ms(entry?.deployedAt));
    expect(ms(d2.deployedAt)).toBeLessThanOrEqual(seenC2);
    expect(d2.healthyAt).toBe(d2.deployedAt);
    const op = failedApp.status?.operationState;
    expect(d3).toMatchObject({
      deployedAt: iso(op?.startedAt ?? ''),
      failedAt: iso(op?.finishedAt ?? ''),
    });
    expect(d3.healthyAt).toBeUndefined();
    expect(d3).toMatchObject({ restoredAt: d4.deployedAt, restoredBy: c4 });
    for (const d of [d1, d2, d4]) expect(ms(d.deployedAt)).toBeGreaterThanOrEqual(ms(d.commitTime));
    expect(ms(d1.deployedAt)).toBeLessThan(ms(d2.deployedAt));
    expect(ms(d2.deployedAt)).toBeLessThan(ms(d3.deployedAt));
    expect(ms(d3.deployedAt)).toBeLessThan(ms(d4.deployedAt));

    // `sluice dora -o json`: the four keys from those timestamps.
    const report = (await cli(url, '--env', 'prod', '--since', '1d')) as DoraReport;
    // Lead times: c1, c2, and c3 and c4 (deployed by d4); the median of four is the middle two's mean.
    const leads = [d1, d2, d4]
      .flatMap((d) => d.commits.map((c) => (ms(d.healthyAt) - ms(c.committedAt)) / 1000))
      .sort((a, b) => a - b);
    expect(leads).toHaveLength(4);
    expect(report.deployments).toEqual({ total: 4, succeeded: 3, failed: 1, rollbacks: 0 });
    expect(report.deploymentFrequency.perDay).toBeCloseTo(4);
    expect(report.deploymentFrequency.band).toBe('Elite');
    expect(report.leadTime.changes).toBe(4);
    expect(report.leadTime.medianSeconds).toBeCloseTo(
      ((leads[1] ?? NaN) + (leads[2] ?? NaN)) / 2,
      3,
    );
    expect(report.leadTime.band).toBe('Elite');
    expect(report.changeFailureRate).toEqual({
      rate: 0.25,
      failed: 1,
      deployments: 4,
      band: 'Low',
    });
    const ttr = (ms(d3.restoredAt) - ms(d3.deployedAt)) / 1000;
    expect(ttr).toBeGreaterThan(0);
    expect(report.timeToRestore).toEqual({
      medianSeconds: ttr,
      restored: 1,
      unrestored: 0,
      band: 'Elite',
    });
    expect(((await cli(url, '--env', 'staging')) as DoraReport).deployments.total).toBe(0);
    const listed = (await cli(url, 'deployments', '--app', `${ns()}/web`)) as DeploymentRecord[];
    expect(listed.map((d) => d.revision)).toEqual([c1, c2, c3, c4]);

    // The same figures on the controller's HTTP server.
    const api = (await (
      await fetch(`http://127.0.0.1:${port}/api/dora?env=prod&since=1d`)
    ).json()) as DoraReport;
    expect(api.deployments).toEqual(report.deployments);
    expect(api.leadTime.medianSeconds).toBe(report.leadTime.medianSeconds);
    expect(api.timeToRestore.medianSeconds).toBe(report.timeToRestore.medianSeconds);
    expect((await fetch(`http://127.0.0.1:${port}/api/dora?since=soon`)).status).toBe(400);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('sluice_dora_deployments{environment="prod"} 4');
    expect(metrics).toContain('sluice_dora_change_failure_rate{environment="prod"} 0.25');
    expect(metrics).toContain(`sluice_dora_time_to_restore_seconds{environment="prod"} ${ttr}`);

    // A restart: the new leader looks at everything again, records the next deploy, nothing twice.
    await stopController(controllers[0]);
    startController();
    const c5 = await repo.commit({ 'app/cm.yaml': configMap('cfg', { v: '5' }) }, 'v5');
    await waitApp(k, ns(), 'web', 'c5 deployed', settled(c5), 60_000);
    const after = await recorded(5);
    expect(after.slice(0, 4)).toEqual([d1, d2, d3, d4]);
    expect(after[4]?.commits.map((c) => c.sha)).toEqual([c5]);
  }, 240_000);
});

describe('sluice controller --no-dora', () => {
  it('records nothing and serves no /api/dora', async () => {
    const k = await kube();
    await ensureCrds(k);
    const dir = mkdtempSync(join(tmpdir(), 'sluice-nodora-'));
    const url = join(dir, 'runs.db');
    const port = await freePort();
    const repo = await createRepo({ 'app/cm.yaml': configMap('cfg', { v: '1' }) });
    const c1 = await repo.git('rev-parse', 'HEAD');
    await k.create(
      application(ns(), 'web', {
        source: { repoURL: repo.url, path: 'app' },
        destination: { namespace: ns() },
        syncPolicy: { automated: {} },
      }),
    );
    const c = controllerProcess(ns(), dir, [
      '--no-dora',
      '--database-url',
      url,
      '--listen',
      `127.0.0.1:${port}`,
    ]);
    onTestFinished(async () => {
      if (c.exitCode === null) {
        c.kill('SIGTERM');
        await once(c, 'exit');
      }
    });
    await waitApp(k, ns(), 'web', 'c1 deployed', settled(c1), 60_000);
    // Without pipelines and DORA nothing needs the store: it is not even created.
    expect(existsSync(url)).toBe(false);
    expect((await fetch(`http://127.0.0.1:${port}/api/dora`)).status).toBe(404);
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).not.toContain(
      'sluice_dora_',
    );
  }, 120_000);
});
