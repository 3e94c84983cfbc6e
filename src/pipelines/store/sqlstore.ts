/**
 * `RunStore` over SQL, once for both backends (see sql.ts): records are upserted by uid,
 * masked on the way in; listing, lookup by name (the newest run of that name), logs (logs.ts,
 * follow.ts) and retention (retention.ts selects, this deletes in small transactions).
 */
import { errorMessage } from '../../errors.ts';
import { DeploymentStore } from './deployments.ts';
import { createLogger } from '../../util/log.ts';
import { runNotFound, RunStoreError } from './errors.ts';
import { followLogs, readLogs, streamInfo } from './follow.ts';
import { LogBatcher, RunLogWriter, type LogBatchOptions } from './logs.ts';
import { retentionPolicy, selectExpired, type RetentionCandidate } from './retention.ts';
import { RUN_COLUMNS, runFromRow, runValues, statusFrom, taskFromRow, taskValues } from './rows.ts';
import type { SecretSet } from './secrets.ts';
import { num, placeholders, str, type Row, type SqlDb, type SqlValue } from './sql.ts';
import {
  FINISHED_STATUSES,
  type FollowOptions,
  type LogChunk,
  type LogWriter,
  type ReadOptions,
  type RetentionPolicy,
  type RetentionReport,
  type RunFilter,
  type RunHistory,
  type RunKind,
  type RunRecord,
  type RunRef,
  type RunStore,
  type TaskRecord,
} from './types.ts';

export type StoreOptions = Partial<LogBatchOptions> & {
  /** Called after deletes (SQLite gives the freed pages back). */
  afterRetention?: (() => Promise<void>) | undefined;
};

const DELETE_BATCH = 50;

export class SqlRunStore implements RunStore {
  readonly backend: SqlDb['backend'];
  readonly deployments: DeploymentStore;
  private readonly db: SqlDb;
  private readonly batcher: LogBatcher;
  private readonly options: StoreOptions;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly onError: (err: unknown) => void;
  private closed = false;

  constructor(db: SqlDb, options: StoreOptions = {}) {
    this.db = db;
    this.backend = db.backend;
    this.deployments = new DeploymentStore(db);
    this.options = options;
    const log = createLogger('info');
    this.onError = options.onError ?? ((err) => log.error(`run store: ${errorMessage(err)}`));
    this.batcher = new LogBatcher(db, {
      flushIntervalMs: options.flushIntervalMs ?? 100,
      maxPendingBytes: options.maxPendingBytes ?? 1 << 20,
      maxBufferedBytes: options.maxBufferedBytes ?? 64 << 20,
      onError: this.onError,
    });
  }

  private open(): SqlDb {
    if (this.closed)
      throw new RunStoreError('StoreClosed', this.db.location, 'the store is closed');
    return this.db;
  }

  async recordRun(run: RunRecord, secrets: SecretSet): Promise<void> {
    if (!run.uid)
      throw new RunStoreError('InvalidRecord', run, 'has no uid; a run is recorded by its uid', {
        hint: 'set metadata.uid (the local executor makes one up with crypto.randomUUID())',
      });
    const values = runValues(run, secrets);
    const rows = await this.open().all(
      `INSERT INTO runs (uid, kind, namespace, name, pipeline, status, reason, message,
         created_at, start_time, completion_time, duration_ms, params, results, updated_at)
       VALUES (${placeholders(values.length)})
       ON CONFLICT (uid) DO UPDATE SET pipeline = excluded.pipeline, status = excluded.status,
         reason = excluded.reason, message = excluded.message,
         start_time = excluded.start_time, completion_time = excluded.completion_time,
         duration_ms = excluded.duration_ms, params = excluded.params,
         results = excluded.results, updated_at = excluded.updated_at
       RETURNING id`,
      values,
    );
    this.batcher.events.emit('written', num(rows[0]?.['id']));
  }

  async recordTask(task: TaskRecord, secrets: SecretSet): Promise<void> {
    const runId = await this.runIdByUid(task.runUid);
    const values = taskValues(runId, task, secrets);
    await this.open().run(
      `INSERT INTO tasks (run_id, task_run, task, status, reason, message, start_time,
         completion_time, duration_ms, attempts, steps, params, results, updated_at)
       VALUES (${placeholders(values.length)})
       ON CONFLICT (run_id, task_run) DO UPDATE SET task = excluded.task,
         status = excluded.status, reason = excluded.reason, message = excluded.message,
         start_time = excluded.start_time, completion_time = excluded.completion_time,
         duration_ms = excluded.duration_ms, attempts = excluded.attempts,
         steps = excluded.steps, params = excluded.params, results = excluded.results,
         updated_at = excluded.updated_at`,
      values,
    );
    this.batcher.events.emit('written', runId);
  }

  private async runIdByUid(uid: string): Promise<number> {
    const rows = await this.open().all('SELECT id FROM runs WHERE uid = ?', [uid]);
    if (!rows[0])
      throw new RunStoreError('RunNotFound', this.db.location, `no run with uid ${uid}`, {
        hint: 'record the run (recordRun) before its tasks',
      });
    return num(rows[0]['id']);
  }

  /** The run's row: by uid, or the newest with this namespace/name (and kind). */
  private async find(ref: RunRef): Promise<Row | undefined> {
    const [sql, params]: [string, SqlValue[]] = ref.uid
      ? ['uid = ?', [ref.uid]]
      : ['namespace = ? AND name = ?', [ref.namespace, ref.name]];
    const kind = ref.kind ? ' AND kind = ?' : '';
    const rows = await this.open().all(
      `SELECT ${RUN_COLUMNS} FROM runs WHERE ${sql}${kind}
       ORDER BY created_at DESC, id DESC LIMIT 1`,
      ref.kind ? [...params, ref.kind] : params,
    );
    return rows[0];
  }

  private async mustFind(ref: RunRef): Promise<number> {
    const row = await this.find(ref);
    if (!row) throw runNotFound(ref);
    return num(row['id']);
  }

  async getRun(ref: RunRef): Promise<RunHistory | undefined> {
    const row = await this.find(ref);
    if (!row) return undefined;
    const run = runFromRow(row);
    const id = num(row['id']);
    const tasks = await this.db.all(
      `SELECT * FROM tasks WHERE run_id = ?
       ORDER BY CASE WHEN start_time IS NULL THEN 1 ELSE 0 END, start_time, task_run`,
      [id],
    );
    const streams = await this.db.all('SELECT * FROM log_streams WHERE run_id = ? ORDER BY id', [
      id,
    ]);
    return {
      run,
      tasks: tasks.map((t) => taskFromRow(t, run.uid)),
      streams: streams.map(streamInfo),
    };
  }

  async listRuns(filter: RunFilter = {}): Promise<RunRecord[]> {
    const conds: string[] = [];
    const params: SqlValue[] = [];
    const eq = (column: string, v: string | undefined): void => {
      if (v === undefined) return;
      conds.push(`${column} = ?`);
      params.push(v);
    };
    eq('namespace', filter.namespace);
    eq('pipeline', filter.pipeline);
    eq('kind', filter.kind);
    const statuses = typeof filter.status === 'string' ? [filter.status] : filter.status;
    if (statuses?.length) {
      conds.push(`status IN (${placeholders(statuses.length)})`);
      params.push(...statuses);
    }
    const rows = await this.open().all(
      `SELECT ${RUN_COLUMNS} FROM runs ${conds.length ? `WHERE ${conds.join(' AND ')}` : ''}
       ORDER BY created_at DESC, id DESC LIMIT ?`,
      [...params, Math.max(1, Math.floor(filter.limit ?? 50))],
    );
    return rows.map(runFromRow);
  }

  async openLog(ref: RunRef, secrets: SecretSet): Promise<LogWriter> {
    const runId = await this.mustFind(ref);
    return new RunLogWriter(this.batcher, runId, ref, secrets);
  }

  async readLogs(ref: RunRef, options?: ReadOptions): Promise<LogChunk[]> {
    return readLogs(this.db, await this.mustFind(ref), options);
  }

  async *followLogs(ref: RunRef, options?: FollowOptions): AsyncGenerator<LogChunk> {
    yield* followLogs(this.db, this.batcher.events, await this.mustFind(ref), options);
  }

  async applyRetention(
    policy: Partial<RetentionPolicy> = {},
    now = Date.now(),
  ): Promise<RetentionReport> {
    const rows = await this.open().all(
      'SELECT id, kind, namespace, pipeline, status, created_at, completion_time FROM runs',
    );
    const candidates: RetentionCandidate[] = rows.map((r) => ({
      id: num(r['id']),
      kind: str(r['kind']) as RunKind,
      namespace: str(r['namespace']),
      pipeline: str(r['pipeline']),
      finished: FINISHED_STATUSES.has(statusFrom(r['status'])),
      createdAt: num(r['created_at']),
      completedAt: r['completion_time'] == null ? undefined : num(r['completion_time']),
    }));
    const { byAge, byCount } = selectExpired(candidates, retentionPolicy(policy), now);
    const ids = [...byAge, ...byCount];
    for (let i = 0; i < ids.length; i += DELETE_BATCH) {
      const part = ids.slice(i, i + DELETE_BATCH);
      // One small transaction each: writers and readers get their turn in between.
      await this.db.transaction((tx) =>
        tx.run(`DELETE FROM runs WHERE id IN (${placeholders(part.length)})`, part),
      );
    }
    if (ids.length > 0) await this.options.afterRetention?.();
    return { deletedRuns: ids.length, byAge: byAge.length, byCount: byCount.length };
  }

  startRetention(policy: Partial<RetentionPolicy> = {}): () => void {
    const p = retentionPolicy(policy);
    const apply = (): void => {
      if (this.closed) return;
      this.applyRetention(p).catch(this.onError);
    };
    const first = setTimeout(apply, 0);
    const every = setInterval(apply, p.intervalMs);
    for (const t of [first, every]) {
      t.unref();
      this.timers.add(t);
    }
    return () => {
      for (const t of [first, every]) {
        clearTimeout(t);
        this.timers.delete(t);
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    try {
      await this.batcher.flush();
    } finally {
      this.closed = true;
      await this.db.close();
    }
  }
}
