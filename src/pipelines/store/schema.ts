/**
 * The store's schema, as numbered migrations applied in order and remembered in
 * `schema_version` (one row per applied version). Opening a store applies the missing ones,
 * each in its own transaction; a store written by a newer Sluice (a version we do not know) is
 * refused rather than misread. Never edit a released migration: add the next one.
 *
 * Tables: runs (one per PipelineRun / standalone TaskRun, by uid), tasks (one per TaskRun of a
 * run), log_streams (one per step and attempt, with its size and whether it finished) and
 * log_chunks (the text, append-only; `id` increases in commit order and is the follow cursor).
 * Version 2 adds deployments (one per deployment an Application or Rollout made, for DORA
 * metrics; keyed by `record_key` so a restarted recorder never records one twice) and
 * deployment_commits (the commits each brought, with their committer times: lead time).
 * Times are epoch ms, booleans 0/1, JSON as text: the same in both backends.
 */
import { RunStoreError } from './errors.ts';
import { num, type SqlDb } from './sql.ts';
import type { Backend } from './types.ts';

interface Migration {
  version: number;
  description: string;
  /** DDL; `ID` is the auto-increasing primary key column type of the backend. */
  statements: readonly string[];
}

const ID: Record<Backend, string> = {
  sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  postgres: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
};

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'runs, tasks, log streams and chunks',
    statements: [
      `CREATE TABLE runs (
        id ID,
        uid TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        pipeline TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        start_time BIGINT,
        completion_time BIGINT,
        duration_ms BIGINT,
        params TEXT NOT NULL,
        results TEXT NOT NULL,
        updated_at BIGINT NOT NULL
      )`,
      'CREATE INDEX runs_by_name ON runs (namespace, name, created_at)',
      'CREATE INDEX runs_by_pipeline ON runs (namespace, pipeline, created_at)',
      'CREATE INDEX runs_by_created ON runs (created_at)',
      `CREATE TABLE tasks (
        run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        task_run TEXT NOT NULL,
        task TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        message TEXT NOT NULL,
        start_time BIGINT,
        completion_time BIGINT,
        duration_ms BIGINT,
        attempts INTEGER NOT NULL,
        steps TEXT NOT NULL,
        params TEXT NOT NULL,
        results TEXT NOT NULL,
        updated_at BIGINT NOT NULL,
        PRIMARY KEY (run_id, task_run)
      )`,
      `CREATE TABLE log_streams (
        id ID,
        run_id BIGINT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        task_run TEXT NOT NULL,
        task TEXT NOT NULL,
        step TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        size BIGINT NOT NULL DEFAULT 0,
        raw_size BIGINT NOT NULL DEFAULT 0,
        finished INTEGER NOT NULL DEFAULT 0,
        exit_code INTEGER,
        updated_at BIGINT NOT NULL,
        UNIQUE (run_id, task_run, step, attempt)
      )`,
      `CREATE TABLE log_chunks (
        id ID,
        stream_id BIGINT NOT NULL REFERENCES log_streams (id) ON DELETE CASCADE,
        start_offset BIGINT NOT NULL,
        end_offset BIGINT NOT NULL,
        data TEXT NOT NULL
      )`,
      'CREATE INDEX log_chunks_by_stream ON log_chunks (stream_id, id)',
    ],
  },
  {
    version: 2,
    description: 'deployment records and their commits (DORA metrics)',
    statements: [
      `CREATE TABLE deployments (
        id ID,
        record_key TEXT NOT NULL UNIQUE,
        environment TEXT NOT NULL,
        kind TEXT NOT NULL,
        namespace TEXT NOT NULL,
        app TEXT NOT NULL,
        revision TEXT NOT NULL,
        repo_url TEXT NOT NULL,
        commit_time BIGINT,
        deployed_at BIGINT NOT NULL,
        healthy_at BIGINT,
        outcome TEXT NOT NULL,
        is_rollback INTEGER NOT NULL DEFAULT 0,
        failure_reason TEXT,
        failed_at BIGINT,
        restored_at BIGINT,
        restored_by TEXT,
        message TEXT NOT NULL,
        recorded_at BIGINT NOT NULL
      )`,
      'CREATE INDEX deployments_by_environment ON deployments (environment, deployed_at)',
      'CREATE INDEX deployments_by_app ON deployments (namespace, app, kind, deployed_at)',
      `CREATE TABLE deployment_commits (
        deployment_id BIGINT NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
        sha TEXT NOT NULL,
        committed_at BIGINT NOT NULL,
        PRIMARY KEY (deployment_id, sha)
      )`,
    ],
  },
];

export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));

/** Brings the schema to SCHEMA_VERSION; returns the versions applied. */
export async function migrate(db: SqlDb): Promise<number[]> {
  await db.run(
    'CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)',
  );
  const applied: number[] = [];
  for (const m of MIGRATIONS) {
    // `exclusive`: two processes opening a new store at once apply each migration once.
    const done = await db.transaction(
      async (tx) => {
        const rows = await tx.all('SELECT MAX(version) AS v FROM schema_version');
        const current = rows[0]?.['v'] == null ? 0 : num(rows[0]['v']);
        if (current > SCHEMA_VERSION)
          throw new RunStoreError(
            'SchemaTooNew',
            db.location,
            `its schema is version ${current}; this Sluice knows up to ${SCHEMA_VERSION}`,
          );
        if (current >= m.version) return false;
        for (const s of m.statements) await tx.run(s.replaceAll(' ID,', ` ${ID[db.backend]},`));
        await tx.run('INSERT INTO schema_version (version, applied_at) VALUES (?, ?)', [
          m.version,
          Date.now(),
        ]);
        return true;
      },
      { exclusive: true },
    );
    if (done) applied.push(m.version);
  }
  return applied;
}
