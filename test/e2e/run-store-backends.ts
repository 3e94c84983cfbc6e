/**
 * The run store's backends for the e2e suite: SQLite files in a temp dir and a real PostgreSQL
 * (postgres-harness.ts), each able to hand out a fresh empty store (a new file, a new database)
 * and to read the tables directly, as an operator would, to check what was really stored;
 * and the records and log helpers the run-store tests share.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import {
  openRunStore,
  type Backend,
  type LogChunk,
  type OpenOptions,
  type RunRecord,
  type RunStore,
} from '../../src/pipelines/store/index.ts';
import { startPostgres } from './postgres-harness.ts';

export type RawRow = Record<string, unknown>;

export interface StoreBackend {
  name: Backend;
  /** A new, empty store: its --database-url. */
  fresh(): Promise<string>;
  /** Runs SQL on a store directly (outside Sluice). */
  raw(url: string, sql: string): Promise<RawRow[]>;
  /**
   * Takes the store's write lock from outside, as another program could; `breakWaiters` makes a
   * write waiting for it fail (PostgreSQL: its session is terminated; SQLite: it times out).
   */
  holdWriteLock(url: string): Promise<{ breakWaiters(): Promise<void>; release(): Promise<void> }>;
  stop(): Promise<void>;
}

let counter = 0;

export async function sqliteBackend(): Promise<StoreBackend> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-runstore-'));
  return {
    name: 'sqlite',
    fresh: () => Promise.resolve(join(dir, `runs-${++counter}.db`)),
    raw: (url, sql) => {
      const db = new DatabaseSync(url);
      try {
        return Promise.resolve(db.prepare(sql).all() as RawRow[]);
      } finally {
        db.close();
      }
    },
    holdWriteLock: (url) => {
      const db = new DatabaseSync(url);
      db.exec('BEGIN IMMEDIATE');
      return Promise.resolve({
        breakWaiters: () => Promise.resolve(),
        release: () => {
          db.exec('COMMIT');
          db.close();
          return Promise.resolve();
        },
      });
    },
    stop: () => rm(dir, { recursive: true, force: true }),
  };
}

export async function postgresBackend(): Promise<StoreBackend> {
  const server = await startPostgres();
  return {
    name: 'postgres',
    fresh: () => server.createDatabase(`runs_${++counter}`),
    raw: async (url, sql) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        return (await c.query<RawRow>(sql)).rows;
      } finally {
        await c.end();
      }
    },
    holdWriteLock: async (url) => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query('BEGIN');
      await c.query('LOCK TABLE log_chunks IN ACCESS EXCLUSIVE MODE');
      return {
        breakWaiters: async () => {
          for (let i = 0; i < 100; i++) {
            const r = await c.query(
              `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            );
            if (r.rowCount) return;
            await new Promise((done) => setTimeout(done, 50));
          }
          throw new Error('no session waited for the lock');
        },
        release: async () => {
          await c.query('COMMIT');
          await c.end();
        },
      };
    },
    stop: () => server.stop(),
  };
}

export const BACKENDS: ReadonlyArray<{ name: Backend; start: () => Promise<StoreBackend> }> = [
  { name: 'sqlite', start: sqliteBackend },
  { name: 'postgres', start: postgresBackend },
];

/**
 * Starts the backend for a describe block; `open()` gives a store (on a fresh location, or on
 * `url` again; flushing every 20 ms unless `options` say otherwise), closed after each test.
 */
export function useBackend(start: () => Promise<StoreBackend>): {
  backend: () => StoreBackend;
  open: (url?: string, options?: OpenOptions) => Promise<{ store: RunStore; url: string }>;
} {
  let backend: StoreBackend | undefined;
  const opened: RunStore[] = [];
  beforeAll(async () => {
    backend = await start();
  }, 120_000);
  afterAll(async () => {
    await backend?.stop();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close().catch(() => undefined)));
  });
  const current = (): StoreBackend => {
    if (!backend) throw new Error('backend not started');
    return backend;
  };
  return {
    backend: current,
    open: async (url, options = { flushIntervalMs: 20 }) => {
      const databaseUrl = url ?? (await current().fresh());
      const store = await openRunStore({ ...options, databaseUrl });
      opened.push(store);
      return { store, url: databaseUrl };
    },
  };
}

/** `minutes` after 2026-12-01T10:00:00Z. */
export const iso = (minutes: number): string =>
  new Date(Date.parse('2026-12-01T10:00:00Z') + minutes * 60_000).toISOString();

/** A running PipelineRun of `build` in `ci`, unique name and uid. */
export function record(over: Partial<RunRecord> = {}): RunRecord {
  return {
    uid: randomUUID(),
    kind: 'PipelineRun',
    namespace: 'ci',
    name: `build-${randomUUID().slice(0, 6)}`,
    pipeline: 'build',
    status: 'Running',
    reason: 'Running',
    message: '',
    createdAt: iso(0),
    startTime: iso(1),
    params: [],
    results: [],
    ...over,
  };
}

export async function collect(chunks: AsyncIterable<LogChunk>): Promise<LogChunk[]> {
  const out: LogChunk[] = [];
  for await (const c of chunks) out.push(c);
  return out;
}

export const text = (chunks: readonly LogChunk[]): string => chunks.map((c) => c.text).join('');
export const compile = { taskRun: 'r-build', task: 'build', step: 'compile' };
export const unit = { taskRun: 'r-test', task: 'test', step: 'unit' };
