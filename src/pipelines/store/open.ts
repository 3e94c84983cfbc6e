/**
 * Opening a run store from what a person types: no `--database-url` (or a file path, or
 * `sqlite:PATH`) is the embedded SQLite file, `postgres://…` / `postgresql://…` is PostgreSQL.
 * The schema is migrated on open. The controller opens it with `retention` (applied now and
 * every hour by default); short-lived readers (the CLI) leave retention off.
 *
 * The default (one for the controller and the CLI, so `sluice pipeline logs` reads what `sluice
 * controller` writes): `$SLUICE_DATABASE_URL`, else `runs.db` in the controller's work dir
 * (`$SLUICE_WORK_DIR`, else `<cache>/controller`).
 *
 * @example
 * const store = await openRunStore({ databaseUrl: opts.databaseUrl, retention: {} });
 */
import { join } from 'node:path';
import { cacheRoot } from '../../devcluster/paths.ts';
import { redactUrl, RunStoreError } from './errors.ts';
import { openPostgres } from './postgres.ts';
import { migrate } from './schema.ts';
import { openSqlite } from './sqlite.ts';
import type { SqlDb } from './sql.ts';
import { SqlRunStore, type StoreOptions } from './sqlstore.ts';
import type { RetentionPolicy, RunStore } from './types.ts';

export interface OpenOptions extends StoreOptions {
  /** postgres://… , sqlite:PATH or a path; default: `defaultStoreUrl()`. */
  databaseUrl?: string | undefined;
  /** Apply retention periodically (`{}`: the defaults); default off. */
  retention?: Partial<RetentionPolicy> | false | undefined;
}

/** The store used when none is named; an empty variable counts as unset. */
export function defaultStoreUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env['SLUICE_DATABASE_URL'];
  if (url) return url;
  return join(env['SLUICE_WORK_DIR'] || join(cacheRoot(env), 'controller'), 'runs.db');
}

export type StoreLocation =
  { backend: 'sqlite'; path: string } | { backend: 'postgres'; url: string };

/** Which backend a `--database-url` means. */
export function parseDatabaseUrl(url: string | undefined): StoreLocation {
  if (url === undefined || url === '') return parseDatabaseUrl(defaultStoreUrl());
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
