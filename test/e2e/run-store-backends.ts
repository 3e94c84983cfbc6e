/**
 * The run store's backends for the e2e suite: SQLite files in a temp dir and a real PostgreSQL
 * (postgres-harness.ts), each able to hand out a fresh empty store (a new file, a new database)
 * and to read the tables directly, as an operator would, to check what was really stored.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { Backend } from '../../src/pipelines/store/index.ts';
import { startPostgres } from './postgres-harness.ts';

export type RawRow = Record<string, unknown>;

export interface StoreBackend {
  name: Backend;
  /** A new, empty store: its --database-url. */
  fresh(): Promise<string>;
  /** Runs SQL on a store directly (outside Sluice). */
  raw(url: string, sql: string): Promise<RawRow[]>;
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
    stop: () => server.stop(),
  };
}

export const BACKENDS: ReadonlyArray<{ name: Backend; start: () => Promise<StoreBackend> }> = [
  { name: 'sqlite', start: sqliteBackend },
  { name: 'postgres', start: postgresBackend },
];
