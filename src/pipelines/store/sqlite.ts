/**
 * The embedded backend: one SQLite file through Node's built-in `node:sqlite` (no native
 * dependency). WAL mode lets a CLI read (`sluice pipeline logs -f`) while the controller writes;
 * a busy timeout waits out the other process's write lock. Statements are synchronous, so every
 * operation of this process runs one at a time (`Serial`), and a write batch is one short
 * transaction (BEGIN IMMEDIATE: the write lock is taken up front). Waiting for another
 * process's write lock blocks this thread (up to the 5 s busy timeout): other processes only
 * take it briefly (a CLI migrating on open); past it the batch is kept and retried.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { RunStoreError } from './errors.ts';
import { Serial, type Row, type SqlDb, type SqlExec, type SqlValue } from './sql.ts';

/** BUSY, LOCKED, IOERR, CORRUPT, FULL, CANTOPEN, READONLY: the file, not the SQL, is the problem. */
const UNAVAILABLE = new Set([5, 6, 8, 10, 11, 13, 14]);

function wrap(location: string, err: unknown): Error {
  const code = (err as { errcode?: unknown } | null)?.errcode;
  if (typeof code !== 'number' || !UNAVAILABLE.has(code & 0xff))
    return err instanceof Error ? err : new Error(String(err));
  const message = err instanceof Error ? err.message : String(err);
  return new RunStoreError('StoreUnavailable', location, message, {
    cause: err,
    hint: 'another process may hold the write lock, or the disk is full or read-only',
  });
}

class SqliteDb implements SqlDb {
  readonly backend = 'sqlite' as const;
  readonly location: string;
  private readonly db: DatabaseSync;
  private readonly serial = new Serial();
  private readonly statements = new Map<string, StatementSync>();
  private readonly exec: SqlExec;

  constructor(path: string) {
    this.location = path;
    this.db = new DatabaseSync(path, { enableForeignKeyConstraints: true, timeout: 5000 });
    // Before any table exists: lets retention give freed pages back to the file system.
    this.db.exec('PRAGMA auto_vacuum = INCREMENTAL');
    this.db.exec('PRAGMA journal_mode = WAL');
    this.db.exec('PRAGMA synchronous = NORMAL');
    this.exec = {
      all: <T extends Row>(sql: string, params: readonly SqlValue[] = []) =>
        this.guard(() => this.prepare(sql).all(...params) as T[]),
      run: (sql: string, params: readonly SqlValue[] = []) =>
        this.guard(() => Number(this.prepare(sql).run(...params).changes)),
    };
  }

  private guard<T>(fn: () => T): Promise<T> {
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(wrap(this.location, err));
    }
  }

  private prepare(sql: string): StatementSync {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      // Multi-row inserts vary in length; keep only the statements used again and again.
      if (this.statements.size < 200) this.statements.set(sql, s);
    }
    return s;
  }

  all<T extends Row>(sql: string, params: readonly SqlValue[] = []): Promise<T[]> {
    return this.serial.run(() => this.exec.all<T>(sql, params));
  }

  run(sql: string, params: readonly SqlValue[] = []): Promise<number> {
    return this.serial.run(() => this.exec.run(sql, params));
  }

  transaction<T>(fn: (tx: SqlExec) => Promise<T>): Promise<T> {
    return this.serial.run(async () => {
      await this.guard(() => this.db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await fn(this.exec);
        await this.guard(() => this.db.exec('COMMIT'));
        return result;
      } catch (err) {
        if (this.db.isTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    });
  }

  /** Gives pages freed by deletes back to the file system (a little at a time). */
  vacuum(): Promise<void> {
    return this.serial.run(() => {
      this.db.exec('PRAGMA incremental_vacuum(2000)');
      return Promise.resolve();
    });
  }

  close(): Promise<void> {
    return this.serial.run(() => {
      if (this.db.isOpen) this.db.close();
      return Promise.resolve();
    });
  }
}

/** Opens (creating if needed) the SQLite file at `path`. */
export function openSqlite(path: string): SqlDb & { vacuum(): Promise<void> } {
  try {
    // Logs are masked, but still nobody else's business: a new directory is ours alone.
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    return new SqliteDb(path);
  } catch (err) {
    throw new RunStoreError(
      'StoreUnavailable',
      path,
      `cannot open: ${err instanceof Error ? err.message : String(err)}`,
      {
        cause: err,
        hint: 'check that the directory is writable (set the store path with --database-url)',
      },
    );
  }
}
