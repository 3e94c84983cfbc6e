/**
 * The run store's records against the real databases: the same suite on a SQLite file and on a
 * real PostgreSQL started for it (no Kubernetes needed). Checked as a user or operator would:
 * the schema, records and durations read back, secrets absent from the tables themselves,
 * errors that name the run, retention deleting runs with their logs.
 */
import { createServer, type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import {
  openRunStore,
  runSecrets,
  RunStoreError,
  SecretSet,
  type RunRecord,
} from '../../src/pipelines/store/index.ts';
import { BACKENDS, compile, iso, record, text, useBackend } from './run-store-backends.ts';

describe.each(BACKENDS)('run store on $name', ({ start }) => {
  const { backend, open } = useBackend(start);

  it('creates the schema (versions 1 and 2) once, and refuses a store written by a newer Sluice', async () => {
    const { store, url } = await open();
    await store.close();
    await open(url);
    expect(
      (await backend().raw(url, 'SELECT version FROM schema_version')).map((r) =>
        Number(r['version']),
      ),
    ).toEqual([1, 2]);
    await backend().raw(url, 'INSERT INTO schema_version (version, applied_at) VALUES (99, 0)');
    const err: unknown = await openRunStore({ databaseUrl: url }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RunStoreError);
    expect((err as RunStoreError).reason).toBe('SchemaTooNew');
  });

  it('records runs and tasks with durations and lists them by namespace, pipeline and status', async () => {
    const { store } = await open();
    const a = record({ status: 'Succeeded', reason: 'Succeeded', completionTime: iso(4) });
    const b = record({ createdAt: iso(10), startTime: iso(10), pipeline: 'deploy' });
    const c = record({ namespace: 'other', createdAt: iso(20) });
    for (const r of [a, b, c]) await store.recordRun(r, SecretSet.none);
    await store.recordTask(
      {
        runUid: a.uid, taskRun: `${a.name}-build`, task: 'build', status: 'Succeeded', reason: 'Succeeded', message: '',
        startTime: iso(1), completionTime: iso(3), attempts: 2, params: [], results: [{ name: 'digest', value: 'sha256:1' }],
        steps: [{ name: 'compile', exitCode: 0, startTime: iso(1), completionTime: iso(2), durationMs: 60_000 }],
      },
      SecretSet.none,
    ); // prettier-ignore
    const got = await store.getRun({ namespace: 'ci', name: a.name });
    expect(got?.run).toMatchObject({
      uid: a.uid,
      status: 'Succeeded',
      durationMs: 180_000,
      completionTime: iso(4),
    });
    expect(got?.tasks).toMatchObject([
      {
        task: 'build',
        attempts: 2,
        durationMs: 120_000,
        steps: [{ name: 'compile', exitCode: 0 }],
      },
    ]);
    expect((await store.listRuns({ namespace: 'ci' })).map((r) => r.name)).toEqual([
      b.name,
      a.name,
    ]);
    expect((await store.listRuns({ pipeline: 'build' })).map((r) => r.name)).toEqual([
      c.name,
      a.name,
    ]);
    expect((await store.listRuns({ status: ['Succeeded', 'Failed'] })).map((r) => r.name)).toEqual([
      a.name,
    ]);
    expect(await store.listRuns({ limit: 1 })).toHaveLength(1);
    // An update (same uid) changes the record in place.
    await store.recordRun(
      { ...b, status: 'Failed', reason: 'PipelineRunTimeout', completionTime: iso(70) },
      SecretSet.none,
    );
    expect((await store.listRuns({ namespace: 'ci' }))[0]).toMatchObject({
      name: b.name,
      status: 'Failed',
      durationMs: 3_600_000,
    });
  });

  it('finds the newest run of a reused name, and an older one by its uid', async () => {
    const { store } = await open();
    const old = record({ name: 'nightly', createdAt: iso(0) });
    const now = record({ name: 'nightly', createdAt: iso(60) });
    await store.recordRun(now, SecretSet.none);
    await store.recordRun(old, SecretSet.none);
    expect((await store.getRun({ namespace: 'ci', name: 'nightly' }))?.run.uid).toBe(now.uid);
    expect((await store.getRun({ namespace: 'ci', name: 'nightly', uid: old.uid }))?.run.uid).toBe(
      old.uid,
    );
  });

  it('never stores a secret: params, messages and logs (also a value split across writes)', async () => {
    const { store, url } = await open();
    const secrets = runSecrets({
      annotations: [{ 'sluice.dev/secret-params': 'token' }],
      params: [{ name: 'token', value: 'tok-SECRET-123' }],
      values: ['env-pass-xyz\n'],
    });
    const run = record({
      params: [
        { name: 'token', value: 'tok-SECRET-123' },
        { name: 'url', value: 'https://u:env-pass-xyz@git' },
      ],
      message: 'login with tok-SECRET-123 failed',
    });
    await store.recordRun(run, secrets);
    const log = await store.openLog(run, secrets);
    for (const piece of ['logging in with tok-SEC', 'RET-123 ok\n', 'env-pass', '-xy', 'z\nbye'])
      log.write(compile, piece);
    await log.flush();
    log.endStep(compile, { exitCode: 0 });
    await log.close();
    const want = 'logging in with *** ok\n***\nbye';
    expect(text(await store.readLogs(run))).toBe(want);
    const history = await store.getRun(run);
    expect(history?.run.params).toEqual([
      { name: 'token', value: '***' },
      { name: 'url', value: 'https://u:***@git' },
    ]);
    expect(history?.run.message).toBe('login with *** failed');
    expect(history?.streams).toMatchObject([
      { step: 'compile', finished: true, exitCode: 0, size: Buffer.byteLength(want) },
    ]);
    const stored = JSON.stringify([
      await backend().raw(url, 'SELECT data FROM log_chunks'),
      await backend().raw(url, 'SELECT params, message, results FROM runs'),
    ]);
    for (const leak of ['tok-SECRET-123', 'env-pass-xyz', 'tok-SEC', 'RET-123', 'env-pass', '-xy'])
      expect(stored).not.toContain(leak);
  });

  it('names the run in its errors', async () => {
    const { store } = await open();
    for (const call of [
      () => store.readLogs({ namespace: 'ci', name: 'nope' }),
      () => store.openLog({ namespace: 'ci', name: 'nope' }, SecretSet.none),
    ]) {
      const err: unknown = await call().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(RunStoreError);
      expect(err).toMatchObject({
        reason: 'RunNotFound',
        exitCode: 3,
        message: 'ci/nope: no such run in the store',
      });
    }
  });

  it('applies retention by age and by count per pipeline, deleting logs with the runs', async () => {
    const { store, url } = await open();
    const day = 24 * 60;
    const now = Date.parse(iso(0));
    const finished = (name: string, pipeline: string, daysAgo: number): RunRecord =>
      record({
        name,
        pipeline,
        status: 'Succeeded',
        createdAt: iso(-daysAgo * day - 5),
        startTime: iso(-daysAgo * day - 5),
        completionTime: iso(-daysAgo * day),
      });
    const runs = [
      ...[1, 2, 3, 4, 5].map((d) => finished(`p-${d}`, 'p', d)),
      finished('q-old', 'q', 40),
      record({ name: 'p-running', pipeline: 'p', createdAt: iso(-day) }),
    ];
    for (const r of runs) {
      await store.recordRun(r, SecretSet.none);
      const log = await store.openLog(r, SecretSet.none);
      log.write(compile, `${r.name}\n`);
      await log.close();
    }
    const report = await store.applyRetention({ maxAgeDays: 30, maxRunsPerPipeline: 3 }, now);
    expect(report).toEqual({ deletedRuns: 3, byAge: 1, byCount: 2 });
    expect((await store.listRuns()).map((r) => r.name).sort()).toEqual([
      'p-1',
      'p-2',
      'p-3',
      'p-running',
    ]);
    const chunks = await backend().raw(url, 'SELECT data FROM log_chunks ORDER BY data');
    expect(chunks.map((r) => r['data'])).toEqual(['p-1\n', 'p-2\n', 'p-3\n', 'p-running\n']);
    expect(await backend().raw(url, 'SELECT id FROM log_streams')).toHaveLength(4);
    expect(
      await store.applyRetention({ maxAgeDays: 30, maxRunsPerPipeline: 3 }, now),
    ).toMatchObject({ deletedRuns: 0 });
  });
});

describe('run store on an unreachable PostgreSQL', () => {
  it('fails with StoreUnavailable, naming the database without its password', async () => {
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise((r) => s.close(r));
    const err: unknown = await openRunStore({
      databaseUrl: `postgres://ci:hunter2@127.0.0.1:${port}/runs`,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'StoreUnavailable' });
    expect((err as Error).message).toContain(`run store postgres://ci:***@127.0.0.1:${port}/runs:`);
    expect((err as Error).message).not.toContain('hunter2');
  });
});
