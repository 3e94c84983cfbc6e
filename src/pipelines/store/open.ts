/**
 * Opening a run store from what a person types: no `--database-url` (or a file path, or
 * `sqlite:PATH`) is the embedded SQLite file, `postgres://…` / `postgresql://…` is PostgreSQL.
 * The schema is migrated on open. The controller opens it with `retention` (applied now and
 * every hour by default); short-lived readers (the CLI) leave retention off.
 *
 * The default SQLite file: `$SLUICE_DATA_DIR/runs.db`, or `$XDG_STATE_HOME/sluice/runs.db`
 * (`~/.local/state/sluice/runs.db`).
 *
 * @example
 * const store = await openRunStore({ databaseUrl: opts.databaseUrl, retention: {} });
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { redactUrl, RunStoreError } from './errors.ts';
import { openPostgres } from './postgres.ts';
import { migrate } from './schema.ts';
import { openSqlite } from './sqlite.ts';
import type { SqlDb } from './sql.ts';
import { SqlRunStore, type StoreOptions } from './sqlstore.ts';
import type { RetentionPolicy, RunStore } from './types.ts';

export interface OpenOptions extends StoreOptions {
  /** postgres://… , sqlite:PATH or a path; default: the SQLite file `defaultSqlitePath()`. */
  databaseUrl?: string | undefined;
  /** Apply retention periodically (`{}`: the defaults); default off. */
  retention?: Partial<RetentionPolicy> | false | undefined;
}

export function defaultSqlitePath(env: NodeJS.ProcessEnv = process.env): string {
  const dir = env['SLUICE_DATA_DIR'];
  if (dir) return join(dir, 'runs.db');
  const state = env['XDG_STATE_HOME'] || join(homedir(), '.local', 'state');
  return join(state, 'sluice', 'runs.db');
}

export type StoreLocation =
  { backend: 'sqlite'; path: string } | { backend: 'postgres'; url: string };

/** Which backend a `--database-url` means. */
export function parseDatabaseUrl(url: string | undefined): StoreLocation {
  if (url === undefined || url === '') return { backend: 'sqlite', path: defaultSqlitePath() };
  if (/^postgres(ql)?:\/\//.test(url)) return { backend: 'postgres', url };
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    if (path !== '') return { backend: 'sqlite', path };
  } else if (!/^[a-z][a-z0-9+.-]*:/i.test(url)) {
    return { backend: 'sqlite', path: url };
  }
  throw new RunStoreError('InvalidDatabaseUrl', redactUrl(url), 'not a database URL Sluice knows');
}

/** Opens (and migrates) the store `options.databaseUrl` names. */
export async function openRunStore(options: OpenOptions = {}): Promise<RunStore> {
  const where = parseDatabaseUrl(options.databaseUrl);
  let db: SqlDb;
  let afterRetention: (() => Promise<void>) | undefined;
  if (where.backend === 'postgres') {
    db = await openPostgres(where.url);
  } else {
    const sqlite = openSqlite(where.path);
    db = sqlite;
    afterRetention = () => sqlite.vacuum();
  }
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    throw err;
  }
  const store = new SqlRunStore(db, { afterRetention, ...options });
  if (options.retention !== undefined && options.retention !== false)
    store.startRetention(options.retention);
  return store;
}
